// Cluster shows workers reachable by name from any process over NATS, and
// a failover: two masters, six workers, and a caller with no worker
// connection of its own that calls every worker by name; then one master
// dies, its workers redial the other, and the caller calls them all again.
//
// Usage:
//
//	go run ./examples/cluster [-nats nats://HOST:PORT] [-timeout 30s]
//
// By default it starts a NATS server inside the process, on 127.0.0.1 at a
// port the system picks; -nats uses a running server instead (the demo's
// subjects then carry a prefix of their own, so that runs do not meet).
// The masters listen for workers on loopback too.
//
// Its last line is
//
//	cluster demo: 6 of 6 workers answered after failover
//
// with the real counts, and it exits with status 1 if any worker did not
// answer, or if anything else failed or took longer than -timeout.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
	"time"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop() // os.Exit runs no deferred calls
	switch {
	case errors.Is(err, flag.ErrHelp):
	case err != nil:
		fmt.Fprintln(os.Stderr, "cluster:", err)
		os.Exit(1)
	}
}

// run parses the command line and runs the demo, printing to stdout.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("cluster", flag.ContinueOnError)
	fs.SetOutput(stderr)
	natsURL := fs.String("nats", "", "URL of a NATS server to use (default: one embedded in the process)")
	timeout := fs.Duration("timeout", 30*time.Second, "give up after this long")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		fs.Usage()
		return fmt.Errorf("unexpected arguments %q", fs.Args())
	}
	ctx, cancel := context.WithTimeout(ctx, *timeout)
	defer cancel()
	return demo(ctx, *natsURL, stdout)
}
