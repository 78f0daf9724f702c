package peer_test

// README.md shows these examples: the body of each Example function below
// is the body of main in one of its Quick start programs, and the types are
// the ones that program declares. Keep the two in step; `go test -run
// Example ./peer/` proves that the README's code compiles and prints what
// it says.

import (
	"context"
	"fmt"
	"io"
	"log"
	"net"
	"net/rpc"

	"github.com/duplexrpc/duplex/codec"
	"github.com/duplexrpc/duplex/peer"
	"github.com/duplexrpc/duplex/transport"
)

// Operands are the arguments of Calc.Multiply.
type Operands struct{ A, B int }

// Calc is a service that follows net/rpc's rules.
type Calc struct{}

func (Calc) Multiply(args *Operands, product *int) error {
	*product = args.A * args.B
	return nil
}

// README.md, "Plain net/rpc, one direction".
func Example_readmeNetRPC() {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		log.Fatal(err)
	}
	defer ln.Close()

	// Server: a stock rpc.Server, with a codec of this module.
	server := rpc.NewServer()
	if err := server.Register(Calc{}); err != nil {
		log.Fatal(err)
	}
	go func() {
		for {
			conn, err := ln.Accept()
			if err != nil {
				return
			}
			go server.ServeCodec(codec.NewServerCodec(codec.Msgpack.NewConn(conn, nil)))
		}
	}()

	// Client: a stock rpc.Client.
	conn, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		log.Fatal(err)
	}
	client := rpc.NewClientWithCodec(codec.NewClientCodec(codec.Msgpack.NewConn(conn, nil)))
	defer client.Close()

	var product int
	err = client.Call("Calc.Multiply", &Operands{7, 8}, &product)
	fmt.Println(product, err)
	// Output:
	// 56 <nil>
}

// Worker is the worker's service: the master calls it over the
// connection the worker dialed.
type Worker struct{ Name string }

func (w *Worker) Work(job string, result *string) error {
	*result = w.Name + " did " + job
	return nil
}

// Lobby is the master's service. Join takes a context first: it ends if
// the caller cancels the call, and peer.FromContext gives the peer that
// made it, here to call it back before answering.
type Lobby struct{}

func (Lobby) Join(ctx context.Context, name string, reply *string) error {
	worker, _ := peer.FromContext(ctx)
	var result string
	if err := worker.Call(ctx, "Worker.Work", "a warm-up", &result); err != nil {
		return err
	}
	*reply = "welcome, " + name + " (" + result + ")"
	return nil
}

// README.md, "Both directions over one connection".
func Example_readmeMasterWorker() {
	ctx := context.Background()

	// Master: accepts workers; every connection serves its own Lobby.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		log.Fatal(err)
	}
	hub := peer.NewHub(codec.Msgpack, func(p *peer.Peer, r *peer.Registry) error {
		return r.Register(Lobby{})
	}, nil)
	served := make(chan error, 1)
	go func() { served <- hub.Serve(ln) }()

	// Worker: dials out, serves Worker, and redials if the connection
	// drops. OnConnect runs after every dial that succeeds, so the worker
	// joins again after each redial.
	worker := peer.NewRedialer(func(ctx context.Context) (io.ReadWriteCloser, error) {
		return transport.Dial(ctx, "tcp://"+ln.Addr().String(), nil)
	}, codec.Msgpack, func(p *peer.Peer, r *peer.Registry) error {
		return r.Register(&Worker{Name: "w1"})
	}, &peer.RedialOptions{OnConnect: func(p *peer.Peer) {
		var welcome string
		if err := p.Call(ctx, "Lobby.Join", "w1", &welcome); err != nil { // worker → master
			log.Print(err)
		}
		fmt.Println(welcome)
	}})
	if _, err := worker.Peer(ctx); err != nil { // waits until connected and joined
		log.Fatal(err)
	}

	// The master calls every worker, over the connections they dialed.
	for _, r := range hub.CallAll(ctx, "Worker.Work", "job 1", func() any { return new(string) }) {
		fmt.Println(*r.Reply.(*string), r.Err)
	}

	worker.Close()
	if err := hub.Shutdown(ctx); err != nil {
		log.Print(err)
	}
	fmt.Println(<-served) // Serve returns once Shutdown has finished
	// Output:
	// welcome, w1 (w1 did a warm-up)
	// w1 did job 1 <nil>
	// peer: hub closed
}
