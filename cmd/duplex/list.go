package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"strings"
	"text/tabwriter"

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
(-32601), and list exits with 1.
`,
	flags: func(fs *flag.FlagSet, o *options) {
		o.codecFlag(fs)
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
	prefix := ""
	if len(args) == 2 {
		prefix = args[1]
	}
	conn, err := o.dial(ctx, e, args[0])
	if err != nil {
		return err
	}
	p, err := peer.NewWithOptions(conn, w.codec(), nil, nil)
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
	err = p.Call(ctx, peer.IntrospectionMethod, prefix, &methods)
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
