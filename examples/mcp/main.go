// Mcp is a Model Context Protocol server (protocol version 2025-11-25) on
// package peer: newline-delimited JSON-RPC 2.0 over its standard input and
// output (codec.JSONRPC2Lines with codec.MCPDialect, over transport.Stdio),
// which is how an MCP client runs a local server. It offers five tools:
//
//   - echo {text}: the text back;
//   - add {a, b}: the sum;
//   - long {steps, ms}: steps steps of ms milliseconds, with a progress
//     notification after each, then "done"; a cancel stops it at once;
//   - ask {prompt}: asks the client's model, by calling the client's
//     sampling/createMessage back during the tool call, and answers with
//     what the model said;
//   - roots {}: calls the client's roots/list back and answers with the
//     root URIs, one per line.
//
// The MCP methods initialize, notifications/initialized, ping, tools/list
// and tools/call are the Go methods of Server, registered as any net/rpc
// service and given their MCP names with peer.Registry.MapName.
//
// Usage:
//
//	go run ./examples/mcp [-trace]
//
// and then speak MCP on its standard input, as an MCP client does when it
// starts the server (README.md shows how to plug it into one). It logs to
// standard error, with -trace every message too, and exits when its input
// ends or on SIGINT or SIGTERM.
package main

import (
	"context"
	"flag"
	"io"
	"log"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/duplexrpc/duplex/codec"
	"github.com/duplexrpc/duplex/peer"
	"github.com/duplexrpc/duplex/transport"
)

func main() {
	traceFlag := flag.Bool("trace", false, "log every message read and written to standard error")
	flag.Parse()
	logger := log.New(os.Stderr, "mcp: ", 0)
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	var rwc io.ReadWriteCloser = transport.Stdio()
	if *traceFlag {
		rwc = trace(rwc, logger)
	}
	if err := serve(ctx, rwc, logger); err != nil {
		logger.Print(err)
		os.Exit(1)
	}
}

// serve serves MCP on rwc until the connection ends, which for stdio is
// when the client closes the server's input, or until ctx ends. Either is
// the normal end of an MCP server, so it returns an error only when it
// could not start.
func serve(ctx context.Context, rwc io.ReadWriteCloser, l *log.Logger) error {
	s := NewServer(l)
	p, err := peer.NewWithOptions(rwc, codec.JSONRPC2Lines, s.bind, &peer.Options{Dialect: codec.MCPDialect})
	if err != nil {
		return err
	}
	select {
	case <-p.Done():
		// The client closed the server's input: write the answers still
		// owed for what it sent before, then stop.
		sctx, cancel := context.WithTimeout(context.Background(), closeGrace)
		p.Shutdown(sctx)
		cancel()
	case <-ctx.Done():
		p.Close() // ends the Read blocked on standard input too (transport.Stdio)
	}
	l.Printf("the connection ended: %v", p.Err())
	return nil
}

// closeGrace bounds how long a server whose input ended waits to write
// the answers it still owes.
const closeGrace = 5 * time.Second
