package peer_test

import (
	"context"
	"fmt"
	"io"
	"net"
	"strings"

	"github.com/duplexrpc/duplex/codec"
	"github.com/duplexrpc/duplex/peer"
	"github.com/duplexrpc/duplex/transport"
)

// Shout is a worker's service: the master calls it over the worker's own
// connection.
type Shout struct{}

func (Shout) Up(s string, reply *string) error { *reply = strings.ToUpper(s) + "!"; return nil }

// Master is the master's service. Its handler calls back the peer that
// called it: each connection binds its own Master, handed that peer.
type Master struct{ caller *peer.Peer }

func (m *Master) Hello(name string, reply *string) error {
	var loud string
	if err := m.caller.Call(context.Background(), "Shout.Up", name, &loud); err != nil {
		return err
	}
	*reply = "hello, " + loud
	return nil
}

// Two peers on one connection call each other, and a handler calls back
// its caller: a nested reverse call.
func ExamplePeer() {
	masterEnd, workerEnd := transport.Pipe()
	master, _ := peer.New(masterEnd, codec.Msgpack, func(p *peer.Peer, s *peer.Registry) error {
		return s.Register(&Master{caller: p})
	})
	defer master.Close()
	worker, _ := peer.New(workerEnd, codec.Msgpack, func(_ *peer.Peer, s *peer.Registry) error {
		return s.Register(Shout{})
	})
	defer worker.Close()

	ctx := context.Background()
	var shouted, greeting string
	master.Call(ctx, "Shout.Up", "reverse call", &shouted) // the master calls the worker
	worker.Call(ctx, "Master.Hello", "worker", &greeting)  // the worker calls the master, which calls back
	fmt.Println(shouted)
	fmt.Println(greeting)
	// Output:
	// REVERSE CALL!
	// hello, WORKER!
}

// The master accepts workers and calls all of them; each worker dialed
// out, so no worker needs an address the master can reach.
func ExampleHub() {
	ln, _ := net.Listen("tcp", "127.0.0.1:0")
	connected := make(chan *peer.Peer, 1)
	hub := peer.NewHub(codec.JSONRPC2, nil, &peer.HubOptions{
		OnConnect: func(p *peer.Peer) { connected <- p },
	})
	go hub.Serve(ln)
	defer hub.Close()

	conn, _ := net.Dial("tcp", ln.Addr().String())
	worker, _ := peer.New(conn, codec.JSONRPC2, func(_ *peer.Peer, s *peer.Registry) error {
		return s.Register(Shout{})
	})
	defer worker.Close()
	<-connected

	for _, r := range hub.CallAll(context.Background(), "Shout.Up", "to every worker", func() any { return new(string) }) {
		fmt.Println(*r.Reply.(*string), r.Err)
	}
	// Output:
	// TO EVERY WORKER! <nil>
}

// A worker keeps its connection to the master, redialing with backoff,
// and binds its services afresh on every connection.
func ExampleRedialer() {
	ln, _ := net.Listen("tcp", "127.0.0.1:0")
	hub := peer.NewHub(codec.Gob, func(p *peer.Peer, s *peer.Registry) error {
		return s.Register(&Master{caller: p})
	}, nil)
	go hub.Serve(ln)
	defer hub.Close()

	worker := peer.NewRedialer(
		func(ctx context.Context) (io.ReadWriteCloser, error) {
			return transport.Dial(ctx, "tcp://"+ln.Addr().String(), nil)
		},
		codec.Gob,
		func(_ *peer.Peer, s *peer.Registry) error { return s.Register(Shout{}) },
		nil)
	defer worker.Close()

	ctx := context.Background()
	p, _ := worker.Peer(ctx) // waits for the connection
	var greeting string
	if err := p.Call(ctx, "Master.Hello", "redialer", &greeting); err != nil {
		fmt.Println(err)
	}
	fmt.Println(greeting, worker.State())
	// Output:
	// hello, REDIALER! connected
}
