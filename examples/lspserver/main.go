// Lspserver is a small language server, over its standard input and
// output, as editors run language servers: a peer.Peer with the LSP codec
// (Content-Length frames) and the LSP dialect (codec.LSPDialect: LSP's
// $/cancelRequest and $/progress, the progress token in a request's
// workDoneToken, params by name). It serves
//
//   - initialize, initialized, shutdown and exit, keeping LSP's lifecycle
//     (server.go);
//   - textDocument/didOpen, didChange and didClose, holding each open
//     document's text, in full sync (documents.go);
//   - textDocument/hover: the word under the cursor and its length, with
//     positions in UTF-16 code units, or in UTF-8 bytes when the client
//     offers them (hover.go, positions.go);
//   - workspace/executeCommand of slow, {"ms": n}, which reports progress,
//     under the client's token or one it asks the client to create with a
//     call back to it, and answers RequestCancelled (-32800) when the
//     client cancels it (commands.go).
//
// Usage:
//
//	go run ./examples/lspserver [-v]
//
// It then waits for an LSP client on standard input; README.md says how
// to start it from an editor. Diagnostics go to standard error (-v: all of
// the peer's). It exits when the client sends exit, with status 0 if
// shutdown came first and 1 otherwise, as LSP says, or when its input
// ends, with the same status.
package main

import (
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"

	"github.com/duplexrpc/duplex/codec"
	"github.com/duplexrpc/duplex/peer"
	"github.com/duplexrpc/duplex/transport"
)

func main() {
	verbose := flag.Bool("v", false, "log the peer's diagnostics, not only its warnings, to standard error")
	flag.Parse()
	level := slog.LevelWarn
	if *verbose {
		level = slog.LevelDebug
	}
	os.Exit(serve(transport.Stdio(), slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: level}))))
}

// serve runs a language server over rwc until the client sends exit or
// the connection ends, and returns the status the process exits with.
func serve(rwc io.ReadWriteCloser, log *slog.Logger) int {
	s := newServer()
	p, err := peer.NewWithOptions(rwc, codec.LSP, s.bind, &peer.Options{
		Dialect: codec.LSPDialect,
		// Document notifications are served in the order they came, and
		// a request only after those read before it: a hover sees every
		// change the client sent before it (documents.go).
		OrderedNotifications:       true,
		RequestsAfterNotifications: true,
		Intercept:                  s.intercept,
		Logger:                     log,
	})
	if err != nil {
		fmt.Fprintln(os.Stderr, "lspserver:", err)
		return 1
	}
	select {
	case <-s.exited:
		// Close writes what is queued, ends the peer (a slow command
		// still running sees its context end) and then waits for the
		// peer's goroutines; but its reader may be blocked reading
		// standard input, which closing does not interrupt (see
		// transport.Stdio) while the client keeps its end open. The
		// process ends once the peer has, without waiting for that read.
		go p.Close()
		<-p.Done()
	case <-p.Done():
		p.Close() // the input ended: the reader has returned
	}
	return s.exitStatus()
}
