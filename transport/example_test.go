package transport_test

import (
	"context"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"net/rpc"

	"github.com/duplexrpc/duplex/transport"
)

// Both ends of a Pipe may write before either reads; net.Pipe would
// deadlock here.
func ExamplePipe() {
	a, b := transport.Pipe()
	defer a.Close()
	defer b.Close()

	a.Write([]byte("hello from a"))
	b.Write([]byte("hello from b"))

	buf := make([]byte, 12)
	io.ReadFull(b, buf)
	fmt.Println(string(buf))
	io.ReadFull(a, buf)
	fmt.Println(string(buf))
	// Output:
	// hello from a
	// hello from b
}

// Listen and Dial take address URLs; port 0 picks a free port, which Addr
// reports.
func ExampleListen() {
	ctx := context.Background()
	ln, err := transport.Listen(ctx, "tcp://127.0.0.1:0", nil)
	if err != nil {
		log.Fatal(err)
	}
	defer ln.Close()
	go func() {
		c, err := ln.Accept()
		if err != nil {
			return
		}
		defer c.Close()
		io.Copy(c, c) // echo
	}()

	c, err := transport.Dial(ctx, "tcp://"+ln.Addr().String(), nil)
	if err != nil {
		log.Fatal(err)
	}
	defer c.Close()
	c.Write([]byte("echo me"))
	buf := make([]byte, 7)
	io.ReadFull(c, buf)
	fmt.Println(string(buf))
	// Output: echo me
}

// A net/rpc server reachable over WebSocket on an existing HTTP server.
// net/rpc's gob codec flushes each message with one Write, so each RPC
// message travels in one WebSocket message.
func ExampleWebSocketHandler() {
	srv := rpc.NewServer()
	srv.Register(Arith{})

	mux := http.NewServeMux()
	mux.Handle("/rpc", transport.WebSocketHandler(func(c net.Conn) {
		go srv.ServeConn(c)
	}, nil))
	inner, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		log.Fatal(err)
	}
	hs := &http.Server{Handler: mux}
	go hs.Serve(inner)
	defer hs.Close()

	conn, err := transport.Dial(context.Background(), "ws://"+inner.Addr().String()+"/rpc", nil)
	if err != nil {
		log.Fatal(err)
	}
	client := rpc.NewClient(conn)
	defer client.Close()

	var sum int
	if err := client.Call("Arith.Add", Args{A: 2, B: 3}, &sum); err != nil {
		log.Fatal(err)
	}
	fmt.Println("2 + 3 =", sum)
	// Output: 2 + 3 = 5
}

// A net/rpc client speaking net/rpc's HTTP CONNECT handshake, as
// rpc.DialHTTP does, against a listener that yields the hijacked
// connections.
func ExampleDial_httpConnect() {
	ctx := context.Background()
	ln, err := transport.Listen(ctx, "http://127.0.0.1:0/_goRPC_", nil)
	if err != nil {
		log.Fatal(err)
	}
	defer ln.Close()
	srv := rpc.NewServer()
	srv.Register(Arith{})
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return // the listener is closed
			}
			go srv.ServeConn(c)
		}
	}()

	conn, err := transport.Dial(ctx, "http://"+ln.Addr().String()+"/_goRPC_", nil)
	if err != nil {
		log.Fatal(err)
	}
	client := rpc.NewClient(conn)
	defer client.Close()

	var sum int
	if err := client.Call("Arith.Add", Args{A: 40, B: 2}, &sum); err != nil {
		log.Fatal(err)
	}
	fmt.Println(sum)
	// Output: 42
}
