package cluster_test

import (
	"context"
	"fmt"
	"io"
	"log"
	"net"
	"time"

	"github.com/nats-io/nats.go"

	"github.com/duplexrpc/duplex/cluster"
	"github.com/duplexrpc/duplex/cluster/internal/embedded"
	"github.com/duplexrpc/duplex/codec"
	"github.com/duplexrpc/duplex/peer"
)

// Greeter is a worker's service.
type Greeter struct{ Name string }

func (g *Greeter) Hello(who string, reply *string) error {
	*reply = "hello " + who + ", from " + g.Name
	return nil
}

// A master process makes its workers reachable over NATS; a client
// elsewhere calls one by name. Here all three share one process and an
// embedded NATS server on loopback.
func Example() {
	srv, err := embedded.Start()
	if err != nil {
		log.Fatal(err)
	}
	defer srv.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()

	// The master: a hub whose workers join the cluster by name.
	masterNC, _ := nats.Connect(srv.URL())
	defer masterNC.Close()
	master, err := cluster.NewMaster(masterNC, &cluster.MasterOptions{ID: "master-1"})
	if err != nil {
		log.Fatal(err)
	}
	defer master.Close()
	hub := peer.NewHub(codec.Msgpack, func(p *peer.Peer, r *peer.Registry) error {
		return r.RegisterName(cluster.ServiceName, master.Service())
	}, nil)
	ln, _ := net.Listen("tcp", "127.0.0.1:0")
	go hub.Serve(ln)
	defer hub.Close()

	// A worker: dials the master and joins as "alice" on every connection.
	worker := peer.NewRedialer(func(ctx context.Context) (io.ReadWriteCloser, error) {
		var d net.Dialer
		return d.DialContext(ctx, "tcp", ln.Addr().String())
	}, codec.Msgpack, func(p *peer.Peer, r *peer.Registry) error {
		return r.Register(&Greeter{Name: "alice"})
	}, &peer.RedialOptions{OnConnect: func(p *peer.Peer) {
		if _, err := cluster.Join(ctx, p, "alice"); err != nil {
			log.Print(err)
		}
	}})
	defer worker.Close()
	if _, err := worker.Peer(ctx); err != nil { // connected and joined
		log.Fatal(err)
	}

	// A client anywhere: no worker connection of its own.
	clientNC, _ := nats.Connect(srv.URL())
	defer clientNC.Close()
	client, err := cluster.NewClient(clientNC, nil)
	if err != nil {
		log.Fatal(err)
	}
	defer client.Close()
	var reply string
	if err := client.Call(ctx, "alice", "Greeter.Hello", "bob", &reply); err != nil {
		log.Fatal(err)
	}
	fmt.Println(reply)
	workers, _ := client.Workers(ctx)
	for _, w := range workers {
		fmt.Println(w.Name, "is at", w.Master)
	}
	err = client.Call(ctx, "carol", "Greeter.Hello", "bob", &reply)
	fmt.Println(err)
	// Output:
	// hello bob, from alice
	// alice is at master-1
	// cluster: no such worker connected: "carol" (nats: no responders available for request)
}
