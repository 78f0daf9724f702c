// Arith serves and calls the Arith service of net/rpc's package doc over
// any wire of package codec, so that the same service can be called from Go,
// Python or Node.js.
//
// Usage:
//
//	arith                                   serve and call in one process, then exit
//	arith -listen 127.0.0.1:1234            serve until interrupted
//	arith -connect 127.0.0.1:1234           call a server: Multiply(7, 8), Divide(17, 5), Divide(1, 0)
//	arith -codec jsonrpc2 ...               pick the wire (default msgpack)
//
// An address is a TCP host:port or any address URL of package transport:
//
//	arith -listen unix:///tmp/arith.sock    arith -connect unix:///tmp/arith.sock
//	arith -listen ws://127.0.0.1:8080/rpc   arith -connect ws://127.0.0.1:8080/rpc
//	arith -connect http://127.0.0.1:1234/_goRPC_ -codec gob    net/rpc's own HandleHTTP server
//
// Over WebSocket each frame travels as one binary message, as a browser
// needs. A tls:// or wss:// client trusts the system's authorities;
// listening with TLS needs a certificate, which this example does not take.
//
// When it listens, the first line on stdout is the address it listens on,
// so that -listen 127.0.0.1:0 can be used to take any free port:
//
//	listening on 127.0.0.1:41234 (msgpack)
//	listening on ws://127.0.0.1:41234/rpc (msgpack)
//
// The clients in ../python and ../node call the msgpack server.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"net"
	"net/rpc"
	"net/url"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/duplexrpc/duplex/codec"
	"github.com/duplexrpc/duplex/transport"
)

// Args are the operands of Multiply and Divide. Over msgpack-rpc and
// JSON-RPC they travel as a map keyed by field name: {"A": 7, "B": 8}.
type Args struct{ A, B int }

// Quotient is the result of Divide.
type Quotient struct{ Quo, Rem int }

// Arith is the service: its exported methods are called "Arith.Multiply"
// and "Arith.Divide".
type Arith int

// Multiply sets reply to A*B.
func (*Arith) Multiply(args *Args, reply *int) error {
	*reply = args.A * args.B
	return nil
}

// Divide sets quo to A/B and A%B. A caller sees its error as the string
// "divide by zero": an rpc.ServerError in Go.
func (*Arith) Divide(args *Args, quo *Quotient) error {
	if args.B == 0 {
		return errors.New("divide by zero")
	}
	quo.Quo, quo.Rem = args.A/args.B, args.A%args.B
	return nil
}

func main() {
	listen := flag.String("listen", "", "serve on this `address` (host:port or a URL such as unix:///path or ws://host:port/path) until interrupted")
	connect := flag.String("connect", "", "call the server at this `address` (host:port or a URL)")
	name := flag.String("codec", "msgpack", "the wire `format`: one of "+strings.Join(codec.Names(), ", "))
	flag.Parse()

	c, err := codec.ByName(*name)
	if err == nil && (*listen != "" && *connect != "" || flag.NArg() > 0) {
		err = errors.New("give -listen, -connect or neither, and no other arguments")
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "arith:", err)
		os.Exit(2)
	}

	// Interrupting a server is its normal end, not an error.
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	switch {
	case *listen != "":
		err = listenAndServe(ctx, *listen, c)
	case *connect != "":
		err = call(*connect, c)
	default:
		err = demo(ctx, c)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "arith:", err)
		os.Exit(1)
	}
}

// demo serves on a free port and calls itself.
func demo(ctx context.Context, c codec.Codec) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	l, err := transport.Listen(ctx, "127.0.0.1:0", nil)
	if err != nil {
		return err
	}
	served := make(chan error, 1)
	go func() { served <- serve(ctx, l, c, nil) }()
	err = call(l.Addr().String(), c)
	cancel()
	return errors.Join(err, <-served)
}

// listenAndServe serves on addr, a host:port or an address URL.
func listenAndServe(ctx context.Context, addr string, c codec.Codec) error {
	l, err := transport.Listen(ctx, addr, nil)
	if err != nil {
		return err
	}
	return serve(ctx, l, c, boundURL(addr, l))
}

// boundURL is the address URL to dial a listener on, with the port it
// bound in place of port 0; nil for a bare host:port.
func boundURL(addr string, l net.Listener) *url.URL {
	u, err := url.Parse(addr)
	if err != nil || !strings.Contains(addr, "://") {
		return nil
	}
	switch u.Scheme {
	case "tcp", "tls", "ws", "wss", "http":
		u.Host = l.Addr().String()
	}
	return u
}

// serve answers calls on every connection l accepts until ctx is done. It
// prints u, if not nil, as the address it listens on.
func serve(ctx context.Context, l net.Listener, c codec.Codec, u *url.URL) error {
	defer l.Close()
	server := rpc.NewServer()
	if err := server.Register(new(Arith)); err != nil {
		return err
	}
	addr := l.Addr().String()
	if u != nil {
		addr = u.String()
	}
	fmt.Printf("listening on %s (%s)\n", addr, c.Name())
	opts := codecOptions(addr)

	stop := context.AfterFunc(ctx, func() { l.Close() })
	defer stop()
	for {
		conn, err := l.Accept()
		if err != nil {
			if ctx.Err() != nil {
				return nil
			}
			return err
		}
		go server.ServeCodec(codec.NewServerCodec(c.NewConn(conn, opts)))
	}
}

// codecOptions returns what the wire needs on the transport of addr: over
// WebSocket, one frame per message.
func codecOptions(addr string) *codec.Options {
	scheme, _, _ := strings.Cut(addr, "://")
	if strings.EqualFold(scheme, "ws") || strings.EqualFold(scheme, "wss") {
		return &codec.Options{FramePerWrite: true}
	}
	return nil
}

// call calls the server at addr and prints what it answers. Multiply waits
// for its answer (Call); the two divisions are sent together (Go) and
// answered in any order.
func call(addr string, c codec.Codec) error {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	conn, err := transport.Dial(ctx, addr, nil)
	cancel()
	if err != nil {
		return err
	}
	client := rpc.NewClientWithCodec(codec.NewClientCodec(c.NewConn(conn, codecOptions(addr))))
	defer client.Close()

	args := Args{7, 8}
	var product int
	if err := client.Call("Arith.Multiply", &args, &product); err != nil {
		return err
	}
	fmt.Printf("Arith.Multiply(%d, %d) = %d\n", args.A, args.B, product)

	divisions := []Args{{17, 5}, {1, 0}}
	quotients := make([]Quotient, len(divisions))
	calls := make([]*rpc.Call, len(divisions))
	for i := range divisions {
		calls[i] = client.Go("Arith.Divide", &divisions[i], &quotients[i], nil)
	}
	for i, d := range divisions {
		err := (<-calls[i].Done).Error
		var remote rpc.ServerError // the service's error, not the connection's
		switch {
		case errors.As(err, &remote):
			fmt.Printf("Arith.Divide(%d, %d): %s\n", d.A, d.B, remote)
		case err != nil:
			return err
		default:
			fmt.Printf("Arith.Divide(%d, %d) = %d remainder %d\n", d.A, d.B, quotients[i].Quo, quotients[i].Rem)
		}
	}
	return nil
}
