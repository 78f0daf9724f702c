// Browser serves a web page whose script and this program call each other
// over one WebSocket, in msgpack-rpc: the page calls Greeter.Hello in Go
// and shows the greeting, and Go calls Page.Add in the page as soon as it
// connects and prints the sum.
//
// Usage:
//
//	browser                          serve on 127.0.0.1:8080
//	browser -listen 127.0.0.1:0      serve on any free port
//
// The first line on stdout says where to point a browser:
//
//	browser demo: open http://127.0.0.1:8080/
//
// and each page that connects adds a line with its answer to Go's call:
//
//	page 1 answered Page.Add(2, 3) = 5
//
// The page's script, static/peer.js, is a msgpack-rpc peer in some sixty
// lines of JavaScript. It encodes with the @msgpack/msgpack library, whose
// browser build is vendored as static/msgpack.min.js: run go generate
// after npm ci to refresh it from node_modules.
package main

//go:generate go run vendor.go

import (
	"context"
	"embed"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"log"
	"net"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/duplexrpc/duplex/codec"
	"github.com/duplexrpc/duplex/peer"
	"github.com/duplexrpc/duplex/transport"
)

//go:embed static
var static embed.FS

// callTimeout bounds Go's call to a page.
const callTimeout = 10 * time.Second

// Greeter is the service Go offers the page.
type Greeter struct{}

// Hello greets name.
func (Greeter) Hello(name string, reply *string) error {
	*reply = "Hello, " + name + ", from Go!"
	return nil
}

func main() {
	listen := flag.String("listen", "127.0.0.1:8080", "serve HTTP on this `address`")
	flag.Parse()
	if flag.NArg() > 0 {
		fmt.Fprintln(os.Stderr, "browser: no arguments expected, only -listen")
		os.Exit(2)
	}
	// Interrupting the server is its normal end, not an error.
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, *listen, os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "browser:", err)
		os.Exit(1)
	}
}

// run serves the page and its WebSocket on addr until ctx ends, reporting
// to out.
func run(ctx context.Context, addr string, out io.Writer) error {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return err
	}
	report := log.New(out, "", 0) // safe for the peers' concurrent use

	// Every page is a peer: Go serves it Greeter and calls its Page.Add.
	// Each frame travels as one WebSocket message, which is what the
	// page's onmessage decodes: the codec sees a WebSocket connection
	// (codec.MessageWriter) and writes one frame per message by itself.
	hub := peer.NewHub(codec.Msgpack, func(_ *peer.Peer, s *peer.Registry) error {
		return s.Register(Greeter{})
	}, &peer.HubOptions{
		OnConnect: func(p *peer.Peer) { callPage(ctx, p, report) },
	})
	defer hub.Close()

	pages, err := fs.Sub(static, "static")
	if err != nil {
		return err
	}
	mux := http.NewServeMux()
	mux.Handle("GET /", http.FileServerFS(pages))
	mux.Handle("GET /rpc", transport.WebSocketHandler(func(c net.Conn) {
		if _, err := hub.Add(c); err != nil {
			report.Printf("websocket from %s: %v", c.RemoteAddr(), err)
		}
	}, nil))
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}

	report.Printf("browser demo: open http://%s/", ln.Addr())
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()
	select {
	case err = <-served:
	case <-ctx.Done():
		shutdown, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		err = srv.Shutdown(shutdown)
		cancel()
		<-served
	}
	if errors.Is(err, http.ErrServerClosed) {
		err = nil
	}
	return err
}

// callPage calls the page's Page.Add, a function written in JavaScript,
// with two positional parameters, and reports the answer.
func callPage(ctx context.Context, p *peer.Peer, report *log.Logger) {
	ctx, cancel := context.WithTimeout(ctx, callTimeout)
	defer cancel()
	var sum int
	if err := p.Call(ctx, "Page.Add", codec.Params{2, 3}, &sum); err != nil {
		report.Printf("page %d: Page.Add(2, 3): %v", p.ID(), err)
		return
	}
	report.Printf("page %d answered Page.Add(2, 3) = %d", p.ID(), sum)
}
