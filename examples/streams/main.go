// Streams shows a stream that runs against the direction of its
// connection: a worker, which dials its master (it may have only a private
// address), streams the lines of a file to that master, which ranges over
// them with peer.CallStream. The worker sends no faster than the master
// takes the lines (the stream's window of credit), and stops when the
// master breaks off.
//
// Usage:
//
//	streams [-codec NAME]                          a master and a worker in one process, then exit
//	streams master [-listen ADDR] [-file PATH] [-head N] [-codec NAME]
//	                                               ask each worker for a file's lines, until interrupted
//	streams worker [-connect ADDR] [-root DIR] [-codec NAME]
//	                                               serve the files under DIR to the master
//
// ADDR is an address of package transport (host:port is TCP; tcp://,
// unix:// and ws:// URLs work too). The master and its workers must use
// the same codec, msgpack by default; every name of codec.Names works.
//
// The worker serves Files.Lines, a stream of {N, Text}, one item per line
// of a file under its root, opened with os.OpenRoot: a path that leaves
// the root ("../x", "/etc/passwd") is refused. The master prints each line
// as it comes:
//
//	master: listening on 127.0.0.1:41234 (msgpack)
//	master: worker 1: notes.txt:1: A worker dials out; its master calls in.
//	master: worker 1: notes.txt: 4 lines
//
// With -head N the master breaks off after N lines: the stream is
// cancelled on the wire, and the worker's handler ends, having sent at
// most the window ahead.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/duplexrpc/duplex/codec"
)

// linesMethod is the stream the worker serves.
const linesMethod = "Files.Lines"

// callTimeout bounds a dial, and a stream that has not ended.
const callTimeout = 30 * time.Second

const usage = `Usage:
  streams [-codec NAME]                   a master and a worker in one process
  streams master [-listen ADDR] [flags]   ask each worker for a file's lines, until interrupted
  streams worker [-connect ADDR] [flags]  serve the files under a directory to the master
`

// errUsage is a bad command line, explained on stderr already: exit 2.
var errUsage = errors.New("usage")

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop() // os.Exit runs no deferred calls
	switch {
	case errors.Is(err, flag.ErrHelp):
		os.Exit(0)
	case errors.Is(err, errUsage):
		os.Exit(2)
	case err != nil:
		fmt.Fprintln(os.Stderr, "streams:", err)
		os.Exit(1)
	}
}

// run parses the command line and runs the command it names, printing on
// stdout what the roles do.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	cmd := "demo"
	if len(args) > 0 && (args[0] == "master" || args[0] == "worker") {
		cmd, args = args[0], args[1:]
	}
	fs := flag.NewFlagSet("streams "+cmd, flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprintf(stderr, "%s\nFlags of streams %s:\n", usage, cmd)
		fs.PrintDefaults()
	}
	codecName := fs.String("codec", "msgpack", "the wire `format`: one of "+strings.Join(codec.Names(), ", "))
	var a ask
	var listen, connect, root *string
	switch cmd {
	case "master":
		listen = fs.String("listen", "127.0.0.1:1234", "accept workers on this `address`")
		fs.StringVar(&a.path, "file", "notes.txt", "the `path` of the file to ask each worker for, under its root")
		fs.IntVar(&a.head, "head", 0, "break off after this many `lines`; 0 takes them all")
	case "worker":
		connect = fs.String("connect", "127.0.0.1:1234", "the master's `address`")
		root = fs.String("root", ".", "serve the files under this `directory`")
	}
	if err := fs.Parse(args); err != nil {
		return fmt.Errorf("%w: %w", errUsage, err)
	}
	c, err := codec.ByName(*codecName)
	switch {
	case err == nil && fs.NArg() > 0:
		err = fmt.Errorf("unknown command %q: want master, worker or none", fs.Arg(0))
	case err == nil && a.head < 0:
		err = fmt.Errorf("-head %d: want 0 or more lines", a.head)
	}
	if err != nil {
		fmt.Fprintf(stderr, "streams: %v\n", err)
		fs.Usage()
		return errUsage
	}
	out := &printer{w: stdout}
	switch cmd {
	case "master":
		return runMaster(ctx, *listen, c, masterOptions{asks: []ask{a}}, out)
	case "worker":
		return runWorker(ctx, *connect, c, *root, out)
	}
	return demo(ctx, c, out)
}

// printer prints the lines of both roles, whole, when they share a
// process.
type printer struct {
	mu sync.Mutex
	w  io.Writer
}

func (p *printer) say(format string, args ...any) {
	p.mu.Lock()
	defer p.mu.Unlock()
	fmt.Fprintf(p.w, format+"\n", args...)
}
