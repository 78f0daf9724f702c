package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/duplexrpc/duplex/codec"
	"github.com/duplexrpc/duplex/peer"
)

var listCommand = &command{
	name:     "list",
	synopsis: "list the remote's methods, with the shapes of their arguments and replies",
	usage: `
Usage: duplex list [flags] URL [PREFIX]

List prints the methods the remote serves, one a line: its name, the shape
of its argument and the shape of its reply, written like JSON with types
for values. With PREFIX, only the methods whose names begin with it.
  $ duplex list 127.0.0.1:1234
  Arith.Divide    {"A": int, "B": int}  ->  {"Quo": int, "Rem": int}
  Arith.Multiply  {"A": int, "B": int}  ->  int

It works only with a remote that chose to serve introspection, the opt-in
service duplex.Methods of package peer (Registry.RegisterIntrospection).
It is off by default, because a list of methods helps an attacker too; a
remote without it answers "rpc: can't find service duplex.Methods"
(-32601), and list exits with 1. call suggests list when a remote that
serves the list does not know a method.
`,
	flags: func(fs *flag.FlagSet, o *options) {
		o.codecFlag(fs)
		o.metadataFlags(fs)
		fs.BoolVar(&o.jsonOut, "json", false, "print the list as JSON, with the Go types too")
		o.timeoutFlags(fs, "give up waiting for the list after this `duration` (exit 3); 0 waits for ever")
		o.outputFlags(fs)
		o.tlsFlags(fs, false)
	},
	run: runList,
}

func runList(ctx context.Context, e *env, o *options, args []string) error {
	if len(args) < 1 || len(args) > 2 {
		return usageError("want URL, and at most a PREFIX of the names")
	}
	w, err := wireFor(o.codec)
	if err != nil {
		return err
	}
	popts, err := o.peerOptions()
	if err != nil {
		return err
	}
	prefix := ""
	if len(args) == 2 {
		prefix = args[1]
	}
	conn, err := o.dial(ctx, e, args[0])
	if err != nil {
		return err
	}
	p, err := peer.NewWithOptions(conn, w.codec(), nil, popts)
	if err != nil {
		return connError(err)
	}
	defer p.Close()
	if o.timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, o.timeout)
		defer cancel()
	}
	var methods []peer.MethodDescription
	err = p.Call(peer.WithMetadata(ctx, o.metadata.md), peer.IntrospectionMethod, prefix, &methods)
	var remote *peer.Error
	switch {
	case errors.Is(err, context.DeadlineExceeded):
		return timeoutError(peer.IntrospectionMethod, o.timeout)
	case errors.As(err, &remote) && remote.Code == codec.CodeMethodNotFound:
		f := remoteFailure(w, peer.IntrospectionMethod, err)
		f.err = fmt.Errorf("%w: the remote does not serve introspection (a Go peer opts in with Registry.RegisterIntrospection)", err)
		return f
	case err != nil:
		return remoteFailure(w, peer.IntrospectionMethod, conn.codecHint(err, o.codec))
	}
	if o.jsonOut {
		text, err := marshalJSON(methods)
		if err != nil {
			return err
		}
		return printJSON(e, text)
	}
	var b strings.Builder
	tw := tabwriter.NewWriter(&b, 0, 8, 2, ' ', 0)
	for _, m := range methods {
		fmt.Fprintf(tw, "%s\t%s\t->  %s\n", m.Name, m.Args, m.Reply)
	}
	tw.Flush()
	if b.Len() > 0 {
		e.line("%s", strings.TrimSuffix(b.String(), "\n"))
	}
	return nil
}

// probeTimeout bounds the probe of listHint when the call has no shorter
// -timeout: the hint is worth a moment, not a wait.
const probeTimeout = 2 * time.Second

// listHint says, after an unknown method, how to list the methods the
// remote has, if it serves the list. Whether it does is found out once per
// connection, by calling IntrospectionMethod; a probe that fails in any
// way, or takes longer than the call's -timeout or probeTimeout, gives no
// hint. One goroutine uses it.
type listHint struct {
	o      *options
	addr   string
	p      *peer.Peer
	probed bool
	names  []string // the methods listed, when the probe succeeded
	serves bool
}

// hint returns what to try after the remote did not know method, or "".
func (h *listHint) hint(ctx context.Context, method string) string {
	if method == peer.IntrospectionMethod {
		return ""
	}
	if !h.probed {
		h.probed = true
		d := probeTimeout
		if h.o.timeout > 0 && h.o.timeout < d {
			d = h.o.timeout
		}
		ctx, cancel := context.WithTimeout(peer.WithMetadata(ctx, h.o.metadata.md), d)
		defer cancel()
		var methods []peer.MethodDescription
		if err := h.p.Call(ctx, peer.IntrospectionMethod, "", &methods); err == nil {
			h.serves = true
			for _, m := range methods {
				h.names = append(h.names, m.Name)
			}
		}
	}
	if !h.serves {
		return ""
	}
	prefix := ""
	if i := strings.LastIndex(method, "."); i > 0 {
		svc := method[:i+1]
		if slices.ContainsFunc(h.names, func(n string) bool { return strings.HasPrefix(n, svc) }) {
			prefix = svc // the service is there: list its methods only
		}
	}
	return "the remote lists its methods: " + h.o.listCommand(h.addr, prefix)
}

// listCommand is the command line of duplex list for addr, with the flags
// given to this command that reaching the remote needs, quoted for a
// POSIX shell.
func (o *options) listCommand(addr, prefix string) string {
	args := []string{"duplex", "list"}
	if o.codec != "msgpack" {
		args = append(args, "-codec", o.codec)
	}
	for _, kv := range o.metadata.pairs() {
		args = append(args, "-H", kv)
	}
	for _, f := range []struct{ name, value string }{
		{"-cacert", o.caFile}, {"-cert", o.certFile}, {"-key", o.keyFile}, {"-servername", o.serverName},
	} {
		if f.value != "" {
			args = append(args, f.name, f.value)
		}
	}
	if o.insecure {
		args = append(args, "-insecure")
	}
	args = append(args, addr)
	if prefix != "" {
		args = append(args, prefix)
	}
	for i, a := range args {
		args[i] = shellQuote(a)
	}
	return strings.Join(args, " ")
}

// shellQuote is s as one word of a POSIX shell: as it is when it needs no
// quoting, else in single quotes.
func shellQuote(s string) string {
	plain := s != "" && strings.IndexFunc(s, func(r rune) bool {
		return !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune("@%+=:,./_-", r))
	}) < 0
	if plain {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}
