package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/duplexrpc/duplex/codec"
	"github.com/duplexrpc/duplex/peer"
)

var workerCommand = &command{
	name:     "worker",
	synopsis: "dial a master and answer its calls: echo them, or run a command for each",
	usage: `
Usage: duplex worker [flags] -connect URL [-exec 'command']

Worker dials a master, the end that calls the peers that connect to it,
and answers every call the master makes on that connection, whatever the
method. Each call is logged on stdout, one line each:
  worker: connected to 127.0.0.1:1234 (msgpack)
  worker: Echo.Echo "hi" -> "hi"

Without -exec, a call is answered with its own argument: its single param,
or the params array when it has several. A Go master's
p.Call(ctx, "Echo.Echo", "hi", &s) gets back "hi".

With -exec, each call runs the command with /bin/sh -c: the call's argument
as JSON on stdin (a line), the method in $DUPLEX_METHOD and the codec in
$DUPLEX_CODEC. What it prints on stdout is the reply: a JSON value, or
else its text as a JSON string (nothing: null). A non-zero exit is an
error reply, with the exit status and what it printed on stderr. Calls that
overlap run at once; a call the master cancels kills its command.
  duplex worker -connect 127.0.0.1:1234 -exec 'jq ".A * .B"'
  duplex worker -connect ws://10.0.0.1:8080/rpc -exec './handle.sh'

Notifications are answered the same way, and the answer dropped.

With -exec and -stream, each call is a stream: every line the command
prints on stdout is an item, a JSON string without its line end, sent as
it is printed; the command's exit ends the stream (a non-zero exit is the
stream's error, after its items). A master that reads slowly holds the
command back (its stdout pipe fills); one that breaks off kills it. A line
may be up to 1 MiB. A plain call, or a notification, runs nothing: it is
told the method streams (duplex call then calls again as a stream).
  duplex worker -connect 127.0.0.1:1234 -exec 'tail -n 100 app.log' -stream

The worker runs until the master closes the connection (exit 0), the
connection is lost (exit 3) or it is interrupted (exit 0). With -redial it
dials again after every loss instead, backing off up to 5s, until
interrupted. URL may also be given as the one argument.
`,
	flags: func(fs *flag.FlagSet, o *options) {
		fs.StringVar(&o.connect, "connect", "", "the master's `URL`: host:port, tcp://, unix://, tls://, ws://, wss:// or http://")
		fs.StringVar(&o.exec, "exec", "", "answer each call with what this shell `command` prints, given the argument on stdin")
		fs.BoolVar(&o.streamLines, "stream", false, "with -exec, answer each call as a stream: each line the command prints is an item, a JSON string, sent as it is printed")
		fs.BoolVar(&o.redial, "redial", false, "dial again after the connection is lost, until interrupted")
		o.codecFlag(fs)
		o.timeoutFlags(fs, "kill each run of -exec's command after this `duration`, and answer the call with an error; 0 lets it run")
		o.outputFlags(fs)
		o.tlsFlags(fs, false)
	},
	run: runWorker,
}

// stopGrace is how long an interrupted worker or master lets the calls it
// has taken finish.
const stopGrace = 2 * time.Second

func runWorker(ctx context.Context, e *env, o *options, args []string) error {
	addr := o.connect
	switch {
	case len(args) == 1 && addr == "":
		addr = args[0]
	case len(args) > 0:
		return usageError("unexpected argument %q: the master's URL goes with -connect", args[0])
	case addr == "":
		return usageError("want -connect URL: the master's address")
	}
	w, err := wireFor(o.codec)
	if err != nil {
		return err
	}
	if _, err := o.transportOptions(addr, false); err != nil {
		return err
	}
	popts, err := o.peerOptions()
	if err != nil {
		return err
	}
	if o.streamLines && o.exec == "" {
		return usageError("-stream wants -exec: it streams the lines of a command")
	}
	who := func(context.Context) string { return "worker: " }
	h := echo
	if o.exec != "" {
		h = execHandler(e, o.exec, o.codec, o.timeout)
	}
	h = logged(e.line, who, h)
	bind := func(_ *peer.Peer, r *peer.Registry) error {
		if o.streamLines {
			w.serveStream(r, loggedStream(e.line, who, execStreamHandler(e, o.exec, o.codec, o.timeout)))
			return nil
		}
		w.serve(r, h)
		return nil
	}

	ctx, stop := signal.NotifyContext(ctx, os.Interrupt, syscall.SIGTERM)
	defer stop()
	if o.redial {
		return redialWorker(ctx, e, o, addr, w, bind, popts)
	}
	conn, err := o.dial(ctx, e, addr)
	if err != nil {
		if ctx.Err() != nil {
			return nil // interrupted while dialing
		}
		return err
	}
	p, err := peer.NewWithOptions(conn, w.codec(), bind, popts)
	if err != nil {
		return connError(err)
	}
	e.line("worker: connected to %s (%s)", addr, o.codec)
	peer.Greet(p)
	select {
	case <-p.Done():
		p.Close()
		if conn.eof.Load() && !errors.Is(p.Err(), codec.ErrWrongCodec) {
			e.line("worker: the master closed the connection")
			return nil
		}
		return connError(fmt.Errorf("connection lost: %w", p.Err()))
	case <-ctx.Done():
		shutdown(p)
		e.line("worker: stopped")
		return nil
	}
}

// shutdown lets the calls p has taken finish, for a while, and closes it.
func shutdown(p *peer.Peer) {
	ctx, cancel := context.WithTimeout(context.Background(), stopGrace)
	defer cancel()
	p.Shutdown(ctx)
}

// redialWorker keeps a connection to the master until ctx ends, dialing
// again after every loss.
func redialWorker(ctx context.Context, e *env, o *options, addr string, w wire, bind peer.Binder, popts *peer.Options) error {
	dial := func(ctx context.Context) (io.ReadWriteCloser, error) {
		conn, err := o.dial(ctx, e, addr)
		var f *failure
		if errors.As(err, &f) && f.exit == exitUsage {
			return nil, peer.Permanent(err)
		}
		return conn, err
	}
	stopped := make(chan error, 1)
	var current atomic.Pointer[peer.Peer]
	r := peer.NewRedialer(dial, w.codec(), bind, &peer.RedialOptions{
		Peer:       popts,
		MinBackoff: 100 * time.Millisecond,
		MaxBackoff: 5 * time.Second,
		OnState: func(s peer.State, p *peer.Peer, err error) {
			current.Store(p)
			switch s {
			case peer.Connected:
				e.line("worker: connected to %s (%s)", addr, o.codec)
			case peer.Disconnected:
				e.line("worker: not connected (%v); dialing again", err)
			case peer.Stopped:
				stopped <- err
			}
		},
	})
	defer r.Close()
	select {
	case <-ctx.Done():
		if p := current.Load(); p != nil {
			shutdown(p)
		}
		e.line("worker: stopped")
		return nil
	case err := <-stopped: // a permanent failure
		return classify("", err)
	}
}
