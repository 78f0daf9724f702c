// Masterworker shows the reverse-call pattern: a worker that can only dial
// out (it has a private address) connects to the master, and the master
// then calls the worker over that same connection, while the worker calls
// the master too.
//
// Usage:
//
//	masterworker [-codec NAME]                          master and two workers in one process, then exit
//	masterworker master [-listen ADDR] [-codec NAME]    accept workers until interrupted
//	masterworker worker [-connect ADDR] [-codec NAME] [-name NAME]
//	                                                    serve the master, redialing when it restarts
//
// ADDR is an address of package transport: a bare host:port is TCP, and
// tcp://, unix:// and ws:// URLs work as well (a master cannot listen on
// tls:// or wss://, as the example sets up no certificate). The default
// codec is msgpack; every name of codec.Names works, and the master and
// its workers must use the same one.
//
// For every worker that connects, the master calls Echo.Echo on it five
// times, 100 ms apart: "hello client!:0" to "hello client!:4". The worker
// calls Master.Hello(name) once per connection; before answering, the
// master calls the calling worker back (Echo.Echo("ping from master")), on
// the same connection, while the worker's own call is still waiting.
//
// The master's first line on stdout is the address workers can connect
// to, so that -listen 127.0.0.1:0 can be used to take any free port:
//
//	master: listening on 127.0.0.1:41234 (msgpack)
//
// The worker in ../python speaks the same protocol over msgpack-rpc.
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
	"syscall"

	"github.com/duplexrpc/duplex/codec"
)

// The calls both roles make, by name and argument.
const (
	echoMethod  = "Echo.Echo"
	helloMethod = "Master.Hello"
	greeting    = "hello client!" // the master sends greeting:0 … greeting:4
	ping        = "ping from master"
	echoCalls   = 5 // per worker and connection
)

const usage = `Usage:
  masterworker [-codec NAME]                   master and two workers in one process
  masterworker master [-listen ADDR] [flags]   accept workers until interrupted
  masterworker worker [-connect ADDR] [flags]  serve the master, redialing when it restarts
`

// errUsage is a bad command line, which the flag set has explained on
// stderr. The program exits with status 2, as the flag package does.
var errUsage = errors.New("usage")

func main() {
	// Interrupting the master or a worker is its normal end, not an error.
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, os.Args[1:], os.Stderr)
	stop() // os.Exit runs no deferred calls
	switch {
	case errors.Is(err, flag.ErrHelp):
		os.Exit(0)
	case errors.Is(err, errUsage):
		os.Exit(2)
	case err != nil:
		fmt.Fprintln(os.Stderr, "masterworker:", err)
		os.Exit(1)
	}
}

// run parses the command line and runs the command it names. A bad command
// line is reported on stderr and returned as errUsage; -h returns
// flag.ErrHelp.
func run(ctx context.Context, args []string, stderr io.Writer) error {
	cmd := "demo"
	if len(args) > 0 && (args[0] == "master" || args[0] == "worker") {
		cmd, args = args[0], args[1:]
	}
	fs := flag.NewFlagSet("masterworker "+cmd, flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprint(stderr, usage)
		if cmd == "demo" {
			fmt.Fprintln(stderr, "\nFlags of masterworker:")
		} else {
			fmt.Fprintf(stderr, "\nFlags of masterworker %s:\n", cmd)
		}
		fs.PrintDefaults()
	}
	codecName := fs.String("codec", "msgpack", "the wire `format`: one of "+strings.Join(codec.Names(), ", "))
	var listen, connect, name *string
	switch cmd {
	case "master":
		listen = fs.String("listen", "127.0.0.1:1234", "accept workers on this `address`")
	case "worker":
		connect = fs.String("connect", "127.0.0.1:1234", "the master's `address`")
		name = fs.String("name", defaultName(), "the `name` to say hello with")
	}
	if err := fs.Parse(args); err != nil {
		return fmt.Errorf("%w: %w", errUsage, err) // the flag package has said what is wrong
	}
	c, err := codec.ByName(*codecName)
	if err == nil && fs.NArg() > 0 {
		err = fmt.Errorf("unknown command %q: want master, worker or none", fs.Arg(0))
	}
	if err != nil {
		fmt.Fprintf(stderr, "masterworker: %v\n", err)
		fs.Usage()
		return errUsage
	}

	switch cmd {
	case "master":
		return runMaster(ctx, *listen, c)
	case "worker":
		return runWorker(ctx, *connect, c, *name)
	}
	return demo(ctx, c)
}

// defaultName names a worker after its host and process, so that workers
// started alike on many machines can be told apart.
func defaultName() string {
	host, err := os.Hostname()
	if err != nil {
		host = "worker"
	}
	return fmt.Sprintf("%s-%d", host, os.Getpid())
}
