package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"
)

// commands are duplex's subcommands, in the order the usage lists them.
var commands = []*command{callCommand, notifyCommand, listCommand, workerCommand, masterCommand}

func main() {
	e := &env{stdin: os.Stdin, stdout: os.Stdout, stderr: os.Stderr}
	os.Exit(run(context.Background(), e, os.Args[1:]))
}

// run runs the command line args and returns the exit code.
func run(ctx context.Context, e *env, args []string) int {
	e.jsonErrors = slices.ContainsFunc(args, func(a string) bool {
		return a == "-json-errors" || a == "--json-errors" || strings.HasPrefix(a, "-json-errors=t") || strings.HasPrefix(a, "--json-errors=t")
	})
	if len(args) == 0 {
		printUsage(e.stderr)
		return exitUsage
	}
	switch args[0] {
	case "-h", "-help", "--help":
		printUsage(e.stdout)
		return exitOK
	case "help":
		if len(args) == 1 {
			printUsage(e.stdout)
			return exitOK
		}
		if c := find(args[1]); c != nil {
			return c.execute(ctx, e, []string{"-h"})
		}
		args = args[1:]
	}
	c := find(args[0])
	if c == nil {
		e.fail(usageError("unknown command %q: want %s (see duplex -h)", args[0], strings.Join(names(), ", ")))
		return exitUsage
	}
	return c.execute(ctx, e, args[1:])
}

func find(name string) *command {
	for _, c := range commands {
		if c.name == name {
			return c
		}
	}
	return nil
}

func names() []string {
	var list []string
	for _, c := range commands {
		list = append(list, c.name)
	}
	return list
}

func printUsage(w io.Writer) {
	fmt.Fprint(w, `duplex calls, serves and watches the peers of github.com/duplexrpc/duplex,
or any msgpack-rpc or JSON-RPC peer, from the shell.

Usage: duplex COMMAND [flags] ARGS

Commands:
`)
	for _, c := range commands {
		fmt.Fprintf(w, "  %-7s %s\n", c.name, c.synopsis)
	}
	fmt.Fprint(w, `
Examples:
  duplex call 127.0.0.1:1234 Arith.Multiply '{"A": 7, "B": 8}'
  duplex call -codec jsonrpc2 -params '[1, 2]' ws://127.0.0.1:8080/rpc Calc.Add
  duplex list unix:///tmp/app.sock
  duplex worker -connect 127.0.0.1:1234 -exec 'cat'
  duplex master -listen 127.0.0.1:0 -call Echo.Echo '"hi"'

Every command takes -codec (`+strings.Join(codecNames(), ", ")+`; default msgpack),
-dialect (`+strings.Join(dialectNames(), ", ")+`), -v to dump the frames, and
-json-errors; call, notify, list and master -call take -H key=value for
metadata. Run "duplex COMMAND -h" for its flags.
`+exitCodes)
}
