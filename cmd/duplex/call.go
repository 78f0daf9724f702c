package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"strconv"

	"github.com/duplexrpc/duplex/codec"
	"github.com/duplexrpc/duplex/peer"
)

var callCommand = &command{
	name:     "call",
	synopsis: "call a method and print its reply as JSON",
	usage: `
Usage: duplex call [flags] URL Service.Method [JSON]

Call sends one call and prints the reply as indented JSON on stdout.

URL is any address of package transport: a bare host:port (TCP),
tcp://host:port, unix:///path, tls://host:port, ws://host:port/path,
wss://host:port/path, or http://host:port/path (net/rpc's HTTP CONNECT).

JSON is the call's argument: one param. For several positional params give
a JSON array with -params instead; with neither, the call has no params.
(A Go method takes several params into a slice argument, or, over msgpack,
into a struct's fields in order.)
  duplex call 127.0.0.1:1234 Arith.Multiply '{"A": 7, "B": 8}'
  duplex call -codec jsonrpc2 ws://127.0.0.1:8080/rpc Calc.Add -params '[1, 2]'
  duplex call -d @args.json unix:///tmp/app.sock Store.Put

With -d @FILE or -d @- (stdin), each JSON value read is the argument of
one call, all on the same connection, one after another; -params @- reads
a JSON array per call. Each reply is printed as it comes:
  printf '{"A":1,"B":2} {"A":3,"B":4}' | duplex call -d @- HOST:PORT Arith.Multiply

-batch sends all the calls at once as one JSON-RPC 2.0 batch (-codec
jsonrpc2 only), and prints the replies in the order of the calls.

A method that streams (a handler of package peer that takes a
*peer.Stream) prints each item as it comes, compact JSON on a line of its
own, JSON lines a pipe can read as they arrive; a stream that fails prints
its items, then the error. A call the remote answers with "the method
streams" is made again as a stream. -stream calls as a stream from the
start (a plain method's reply is then the one item): under the lsp
dialect it is what asks for partial results, which a plain call there
gets only in its answer, all at once, as LSP prescribes:
  duplex call 127.0.0.1:1234 Arith.Count '{"N": 3, "EveryMs": 100}'
  duplex call -codec lsp -stream 127.0.0.1:1234 Arith.Count '{"N": 3}'

A remote that calls back while it answers (a master greeting a worker, say)
gets the error that nothing is served here, unless -echo answers each of
its calls with their own argument, as a worker does:
  duplex call -echo 127.0.0.1:1234 Master.Hello '"me"'

-H key=value sends metadata with the call (repeat it for more keys);
-dialect picks how the wire spells cancels and progress (mcp and lsp also
send object params by name); -progress prints each progress value the
remote reports, as {"progress": VALUE} on a line of stderr:
  duplex call -H traceparent=00-0af7…-01 127.0.0.1:1234 Job.Run '{"n": 3}'
  duplex call -codec jsonrpc2-lines -dialect mcp -progress URL tools/call '{…}'

A remote error is printed on stderr, one line with the remote's code
(where the wire carries one) and data (as JSON), and the exit code is 1:
  duplex: Arith.Nope: remote error -32601: rpc: can't find method Arith.Nope
  duplex: Store.Put: remote error -32602: bad key (data: {"field":"k"})
When the remote does not know the method and serves the list of its
methods (a quick duplex.Methods call tells), the line ends with the
command that lists them:
  …: rpc: can't find method Arith.Nope; the remote lists its methods: duplex list 127.0.0.1:1234 Arith.
With several calls, every call is made and the exit code is that of the
worst failure.
`,
	flags: func(fs *flag.FlagSet, o *options) {
		callFlags(fs, o, "give up on each call after this `duration` (exit 3); 0 waits for ever")
		fs.BoolVar(&o.progress, "progress", false, `print each progress value the remote reports for a call on stderr, as a line {"progress": VALUE}`)
		fs.BoolFunc("stream", "call as a stream from the start, and print each item as it comes, compact, on a line of its own (under the lsp dialect, its partial results); without it a call that the remote answers with \"the method streams\" is made again as a stream", func(s string) error {
			v, err := strconv.ParseBool(s)
			o.stream = &v
			return err
		})
		fs.BoolVar(&o.echo, "echo", false, "answer the calls the remote makes back, while ours waits, with their own argument, as worker does; each is logged on stderr")
	},
	run: func(ctx context.Context, e *env, o *options, args []string) error {
		return runCall(ctx, e, o, args, false)
	},
}

var notifyCommand = &command{
	name:     "notify",
	synopsis: "send a notification: a call that gets no answer",
	usage: `
Usage: duplex notify [flags] URL Service.Method [JSON]

Notify sends a notification, a call that expects no answer, and exits once
it is written. It takes the params as call does: a JSON argument, -params
'[…]' for several, -d @FILE or -d @- for one notification per JSON value.
Nothing comes back, so a method that does not exist is no error.
  duplex notify 127.0.0.1:1234 Log.Line '"hello"'
  duplex notify -codec jsonrpc2 -batch -d @- ws://127.0.0.1:8080/rpc Log.Line < lines.json
-H key=value sends metadata with each notification, as with call.
`,
	flags: func(fs *flag.FlagSet, o *options) {
		callFlags(fs, o, "give up sending after this `duration` (exit 3); 0 waits for ever")
	},
	run: func(ctx context.Context, e *env, o *options, args []string) error {
		return runCall(ctx, e, o, args, true)
	},
}

func callFlags(fs *flag.FlagSet, o *options, timeout string) {
	o.codecFlag(fs)
	o.paramFlags(fs)
	o.metadataFlags(fs)
	fs.BoolVar(&o.batch, "batch", false, "send the calls as one JSON-RPC 2.0 batch (-codec jsonrpc2, jsonrpc2-lines or lsp), written by this command: without -H, -progress or -dialect")
	o.timeoutFlags(fs, timeout)
	o.outputFlags(fs)
	o.tlsFlags(fs, false)
}

// runCall runs call, or notify.
func runCall(ctx context.Context, e *env, o *options, args []string, notify bool) error {
	if len(args) < 2 {
		return usageError("want URL and Service.Method, then at most one JSON argument")
	}
	addr, method := args[0], args[1]
	w, err := wireFor(o.codec)
	if err != nil {
		return err
	}
	popts, err := o.peerOptions()
	if err != nil {
		return err
	}
	if o.streams() && (notify || o.batch || o.progress) {
		return usageError("-stream takes no -batch or -progress (a stream reports by its items; CallStream takes no progress), and notify cannot stream: a stream's items are answers")
	}
	if o.batch && (len(o.metadata.md) > 0 || o.progress || o.dialect != "") {
		// The batch is written here, not by the peer engine, which
		// owns where metadata, tokens and dialects go on the wire.
		return usageError("-batch takes no -H, -progress or -dialect: the batch is written by this command, not by the peer")
	}
	src, err := newParamSource(o, args[2:], e.stdin)
	if err != nil {
		return err
	}
	defer src.close()
	if o.batch {
		return runBatch(ctx, e, o, w, addr, method, src, notify)
	}
	// The first params are read before connecting: bad JSON is reported
	// without touching the remote.
	first, _, err := src.next()
	if err != nil {
		return err
	}
	conn, err := o.dial(ctx, e, addr)
	if err != nil {
		return err
	}
	var bind peer.Binder
	if o.echo {
		bind = func(_ *peer.Peer, r *peer.Registry) error {
			w.serve(r, logged(e.errLine, func(context.Context) string { return "duplex: answered " }, echo))
			return nil
		}
	}
	p, err := peer.NewWithOptions(conn, w.codec(), bind, popts)
	if err != nil {
		return connError(err)
	}
	defer p.Close()

	lister := &listHint{o: o, addr: addr, p: p}
	status := exitOK
	for ps, ok := first, true; ok; ps, ok, err = src.next() {
		if err := callOnce(ctx, e, o, w, p, conn, method, ps, notify); err != nil {
			f := remoteFailure(w, method, err)
			if f.remote != nil && f.remote.code == codec.CodeMethodNotFound {
				f.hint = lister.hint(ctx, method)
			}
			if f.exit != exitRemote {
				return f // the connection is gone, or the input is bad
			}
			e.fail(f)
			status = worst(status, f.exit)
		}
	}
	if err != nil {
		return err
	}
	if status != exitOK {
		return exitStatus(status)
	}
	return nil
}

// callOnce makes one call, or sends one notification, and prints the
// reply.
func callOnce(ctx context.Context, e *env, o *options, w wire, p *peer.Peer, conn *wireConn, method string, ps params, notify bool) error {
	arg, err := w.args(ps)
	if err != nil {
		return err
	}
	if o.timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, o.timeout)
		defer cancel()
	}
	ctx = o.callContext(ctx, e, w)
	if !notify && o.streams() {
		return callFailure(o, conn, method, callStream(ctx, e, w, p, method, arg), false)
	}
	reply := w.newValue()
	if notify {
		err = p.Notify(ctx, method, arg)
	} else {
		err = p.Call(ctx, method, arg, reply)
	}
	if notStreamed(err) {
		// Told at once, before the method ran: it runs once, as a stream.
		return callFailure(o, conn, method, callStream(ctx, e, w, p, method, arg), false)
	}
	if err != nil || notify {
		return callFailure(o, conn, method, err, notify)
	}
	text, err := w.toJSON(reply)
	if err != nil {
		return fmt.Errorf("the reply cannot be shown as JSON: %w", err)
	}
	return printJSON(e, text)
}

// streams reports whether calls are made as streams from the start
// (-stream). Not by default under the lsp dialect, though a plain call of
// a streaming method gets its items only in the answer there, as LSP
// prescribes for a request without a partialResultToken: a server that
// does not know that member would refuse every call.
func (o *options) streams() bool { return o.stream != nil && *o.stream }

// callFailure is the failure of a call, or of sending a notification,
// that ended with err; nil if err is.
func callFailure(o *options, conn *wireConn, method string, err error, notify bool) error {
	switch {
	case errors.Is(err, context.DeadlineExceeded) && notify:
		return &failure{exit: exitConn, kind: kindTimeout, method: method, err: fmt.Errorf("not sent within %v", o.timeout)}
	case errors.Is(err, context.DeadlineExceeded):
		return timeoutError(method, o.timeout)
	case err != nil:
		return conn.codecHint(err, o.codec)
	}
	return nil
}

// printJSON prints a JSON value indented, on a line of its own.
func printJSON(e *env, text json.RawMessage) error {
	var b bytes.Buffer
	if err := json.Indent(&b, text, "", "  "); err != nil {
		return fmt.Errorf("the reply is not JSON: %w", err)
	}
	e.line("%s", b.Bytes())
	return nil
}
