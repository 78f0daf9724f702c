package main

import (
	"context"
	"fmt"
	"io"
	"net"
	"strings"
	"sync"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nuid"

	"github.com/duplexrpc/duplex/cluster"
	"github.com/duplexrpc/duplex/cluster/internal/embedded"
	"github.com/duplexrpc/duplex/codec"
	"github.com/duplexrpc/duplex/peer"
)

// The demo's cast.
const (
	masters = 2
	workers = 6
)

// demo runs the demo against the NATS server at natsURL, or an embedded
// one if it is empty.
func demo(ctx context.Context, natsURL string, out io.Writer) error {
	prefix := cluster.DefaultPrefix
	if natsURL == "" {
		srv, err := embedded.Start()
		if err != nil {
			return err
		}
		defer srv.Close()
		natsURL = srv.URL()
	} else {
		prefix = "duplex-demo-" + nuid.Next()
	}
	var cleanup []func()
	defer func() {
		for i := len(cleanup) - 1; i >= 0; i-- {
			cleanup[i]()
		}
	}()

	// Two masters, each a hub that its workers join by name.
	var ms []*master
	var addrs []string
	for i := range masters {
		m, err := startMaster(natsURL, prefix, fmt.Sprintf("master-%d", i+1))
		if err != nil {
			return err
		}
		cleanup = append(cleanup, m.stop)
		ms = append(ms, m)
		addrs = append(addrs, m.addr)
	}

	// Six workers, each knowing both masters, half starting with each.
	names := make([]string, workers)
	for i := range workers {
		names[i] = fmt.Sprintf("w%d", i+1)
		r := startWorker(ctx, names[i], rotate(addrs, i))
		cleanup = append(cleanup, func() { r.Close() })
	}

	// The caller: any process that reaches NATS.
	nc, err := nats.Connect(natsURL, nats.Name("demo caller"))
	if err != nil {
		return err
	}
	cleanup = append(cleanup, nc.Close)
	client, err := cluster.NewClient(nc, &cluster.ClientOptions{Prefix: prefix})
	if err != nil {
		return err
	}
	cleanup = append(cleanup, func() { client.Close() })

	if _, err := waitFor(ctx, client, func(ws []cluster.Worker) bool { return len(ws) == workers }); err != nil {
		return fmt.Errorf("waiting for the workers to join: %w", err)
	}
	if _, err := callEvery(ctx, out, client, names, "first round"); err != nil {
		return err
	}

	// A master dies without a word: its workers must move.
	dead := ms[0]
	dead.crash()
	fmt.Fprintf(out, "killed %s\n", dead.id)
	start := time.Now()
	list, err := waitFor(ctx, client, func(ws []cluster.Worker) bool {
		if len(ws) != workers {
			return false
		}
		for _, w := range ws {
			if w.Master == dead.id {
				return false
			}
		}
		return true
	})
	if err != nil {
		return fmt.Errorf("waiting for the failover: %w", err)
	}
	fmt.Fprintf(out, "failover: %d workers at %s after %v\n", len(list), ms[1].id, time.Since(start).Round(10*time.Millisecond))

	answered, err := callEvery(ctx, out, client, names, "after failover")
	fmt.Fprintf(out, "cluster demo: %d of %d workers answered after failover\n", answered, workers)
	if err != nil {
		return err
	}
	if answered < workers {
		return fmt.Errorf("%d workers did not answer", workers-answered)
	}
	return nil
}

// rotate returns addrs starting at addrs[i%len(addrs)].
func rotate(addrs []string, i int) []string {
	i %= len(addrs)
	return append(append([]string(nil), addrs[i:]...), addrs[:i]...)
}

// waitFor polls the cluster's workers until ok says they are as wanted,
// and prints them.
func waitFor(ctx context.Context, client *cluster.Client, ok func([]cluster.Worker) bool) ([]cluster.Worker, error) {
	for {
		list, err := client.Workers(ctx)
		if err != nil {
			return nil, err
		}
		if ok(list) {
			return list, nil
		}
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-time.After(20 * time.Millisecond):
		}
	}
}

// callEvery calls every worker by name, one by one, printing each reply,
// and returns how many answered.
func callEvery(ctx context.Context, out io.Writer, client *cluster.Client, names []string, round string) (int, error) {
	list, err := client.Workers(ctx)
	if err != nil {
		return 0, err
	}
	var where []string
	for _, w := range list {
		where = append(where, w.Name+"@"+w.Master)
	}
	fmt.Fprintf(out, "%s: workers %s\n", round, strings.Join(where, " "))
	answered := 0
	for _, name := range names {
		callCtx, cancel := context.WithTimeout(ctx, 2*time.Second)
		var reply string
		err := client.Call(callCtx, name, "Worker.Hello", "caller", &reply)
		cancel()
		if err != nil {
			fmt.Fprintf(out, "  %s: error: %v\n", name, err)
			continue
		}
		answered++
		fmt.Fprintf(out, "  %s: %s\n", name, reply)
	}
	return answered, ctx.Err()
}

// master is one master: a NATS connection, a cluster.Master and the hub
// its workers connect to.
type master struct {
	id     string
	addr   string
	nc     *nats.Conn
	m      *cluster.Master
	hub    *peer.Hub
	served chan error
	once   sync.Once
}

func startMaster(natsURL, prefix, id string) (*master, error) {
	nc, err := nats.Connect(natsURL, nats.Name(id), nats.MaxReconnects(0))
	if err != nil {
		return nil, err
	}
	m, err := cluster.NewMaster(nc, &cluster.MasterOptions{Prefix: prefix, ID: id})
	if err != nil {
		nc.Close()
		return nil, err
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		m.Close()
		nc.Close()
		return nil, err
	}
	ms := &master{id: id, addr: ln.Addr().String(), nc: nc, m: m, served: make(chan error, 1)}
	ms.hub = peer.NewHub(codec.Msgpack, func(p *peer.Peer, r *peer.Registry) error {
		return r.RegisterName(cluster.ServiceName, m.Service())
	}, nil)
	go func() { ms.served <- ms.hub.Serve(ln) }()
	return ms, nil
}

// crash ends the master as a dying process would: its NATS connection
// drops first, so that nobody is told, then its workers' connections.
func (ms *master) crash() { ms.end(false) }

// stop ends the master in good order.
func (ms *master) stop() { ms.end(true) }

func (ms *master) end(graceful bool) {
	ms.once.Do(func() {
		if !graceful {
			ms.nc.Close()
		}
		ms.m.Close()
		ms.hub.Close()
		<-ms.served
		ms.nc.Close()
	})
}

// Worker is a worker's service.
type Worker struct {
	name string
	mu   sync.Mutex
	at   string // the master it joined last
}

// Hello greets the caller, saying which worker answers, and through which
// master.
func (w *Worker) Hello(who string, reply *string) error {
	w.mu.Lock()
	defer w.mu.Unlock()
	*reply = fmt.Sprintf("hello %s, from %s at %s", who, w.name, w.at)
	return nil
}

// startWorker starts a worker called name that dials the first of addrs it
// can reach, and on every connection joins the cluster under its name.
func startWorker(ctx context.Context, name string, addrs []string) *peer.Redialer {
	w := &Worker{name: name}
	dial := peer.DialAny(func(ctx context.Context, addr string) (io.ReadWriteCloser, error) {
		d := net.Dialer{Timeout: 2 * time.Second}
		return d.DialContext(ctx, "tcp", addr)
	}, addrs...)
	return peer.NewRedialer(dial, codec.Msgpack, func(_ *peer.Peer, r *peer.Registry) error {
		return r.Register(w)
	}, &peer.RedialOptions{
		MinBackoff: 50 * time.Millisecond, MaxBackoff: time.Second,
		OnConnect: func(p *peer.Peer) {
			joinCtx, cancel := context.WithTimeout(ctx, 5*time.Second)
			defer cancel()
			at, err := cluster.Join(joinCtx, p, name)
			if err != nil {
				p.Close() // the redialer dials again, and this worker joins again
				return
			}
			w.mu.Lock()
			w.at = at
			w.mu.Unlock()
		},
	})
}
