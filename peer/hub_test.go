package peer_test

import (
	"context"
	"errors"
	"io"
	"net"
	"sort"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/duplexrpc/duplex/codec"
	"github.com/duplexrpc/duplex/internal/rpctest"
	"github.com/duplexrpc/duplex/peer"
)

// Name is a worker service that says which worker it is.
type Name struct{ name string }

func (n *Name) Get(_ int, reply *string) error { *reply = n.name; return nil }

// Size returns the length of what it is given: a call with a large argument.
func (n *Name) Size(s string, reply *int) error { *reply = len(s); return nil }

func startHub(t *testing.T, c codec.Codec, bind peer.Binder, opts *peer.HubOptions) (*peer.Hub, string) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	hub := peer.NewHub(c, bind, opts)
	served := make(chan error, 1)
	go func() { served <- hub.Serve(ln) }()
	t.Cleanup(func() {
		hub.Close()
		if err := <-served; !errors.Is(err, peer.ErrHubClosed) {
			t.Errorf("Serve returned %v; want ErrHubClosed", err)
		}
	})
	return hub, ln.Addr().String()
}

func dialWorker(t *testing.T, addr string, c codec.Codec, name string) *peer.Peer {
	t.Helper()
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	w, err := peer.New(conn, c, func(_ *peer.Peer, s *peer.Registry) error { return s.Register(&Name{name}) })
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { w.Close() })
	return w
}

func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(2 * time.Millisecond)
	}
}

func TestHubRegistryAndFanOut(t *testing.T) {
	var mu sync.Mutex
	var connected, disconnected int
	hub, addr := startHub(t, codec.Msgpack, bindTestServices(), &peer.HubOptions{
		OnConnect:    func(*peer.Peer) { mu.Lock(); connected++; mu.Unlock() },
		OnDisconnect: func(_ *peer.Peer, err error) { mu.Lock(); disconnected++; mu.Unlock() },
	})
	workers := []*peer.Peer{}
	for _, name := range []string{"w1", "w2", "w3"} {
		workers = append(workers, dialWorker(t, addr, codec.Msgpack, name))
	}
	waitFor(t, "3 peers", func() bool { return hub.Len() == 3 })

	// Workers call the master over their own connection...
	var got int
	if err := workers[0].Call(context.Background(), "Arith.Multiply", &rpctest.Args{A: 6, B: 7}, &got); err != nil || got != 42 {
		t.Fatalf("worker → master = %d, %v", got, err)
	}
	// ...and the master calls every worker over theirs.
	results := hub.CallAll(context.Background(), "Name.Get", 0, func() any { return new(string) })
	var names []string
	for _, r := range results {
		if r.Err != nil {
			t.Fatalf("CallAll: %v", r.Err)
		}
		names = append(names, *r.Reply.(*string))
		if p, ok := hub.Lookup(r.Peer.ID()); !ok || p != r.Peer {
			t.Fatalf("Lookup(%d) = %v, %v", r.Peer.ID(), p, ok)
		}
	}
	sort.Strings(names)
	if len(names) != 3 || names[0] != "w1" || names[2] != "w3" {
		t.Fatalf("CallAll names = %v", names)
	}

	workers[1].Close()
	waitFor(t, "the closed worker to leave", func() bool { return hub.Len() == 2 })
	mu.Lock()
	defer mu.Unlock()
	if connected != 3 || disconnected != 1 {
		t.Fatalf("hooks: %d connects, %d disconnects; want 3, 1", connected, disconnected)
	}
}

func TestHubCallAllHonoursContext(t *testing.T) {
	blocker := rpctest.NewBlocker()
	hub, addr := startHub(t, codec.JSONRPC2, nil, nil)
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	w, err := peer.New(conn, codec.JSONRPC2, bindTestServices(blocker))
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	defer close(blocker.Release)
	waitFor(t, "the peer", func() bool { return hub.Len() == 1 })
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	results := hub.CallAll(ctx, "Blocker.Wait", 1, func() any { return new(int) })
	if len(results) != 1 || !errors.Is(results[0].Err, context.DeadlineExceeded) {
		t.Fatalf("CallAll past its deadline = %+v", results)
	}
}

func TestHubShutdownLetsCallsFinish(t *testing.T) {
	blocker := rpctest.NewBlocker()
	hub, addr := startHub(t, codec.Gob, bindTestServices(blocker), nil)
	w := dialWorker(t, addr, codec.Gob, "w")
	waitFor(t, "the peer", func() bool { return hub.Len() == 1 })
	result := make(chan error, 1)
	go func() { result <- w.Call(context.Background(), "Blocker.Wait", 5, new(int)) }()
	<-blocker.Started
	shut := make(chan error, 1)
	go func() { shut <- hub.Shutdown(context.Background()) }()
	// Shutdown stops accepting at once...
	waitFor(t, "the listener to close", func() bool {
		c, err := net.Dial("tcp", addr)
		if err == nil {
			c.Close()
		}
		return err != nil
	})
	// ...but waits for the call in flight.
	select {
	case err := <-shut:
		t.Fatalf("Shutdown returned %v with a call in flight", err)
	case <-time.After(50 * time.Millisecond):
	}
	close(blocker.Release)
	if err := <-result; err != nil {
		t.Fatalf("call in flight during Shutdown = %v", err)
	}
	if err := <-shut; err != nil {
		t.Fatalf("Shutdown = %v", err)
	}
	select {
	case <-w.Done():
	case <-time.After(10 * time.Second):
		t.Fatal("worker still connected after Shutdown")
	}
	if _, err := hub.Add(nopConn{}); !errors.Is(err, peer.ErrHubClosed) {
		t.Fatalf("Add after Shutdown = %v; want ErrHubClosed", err)
	}
}

func TestHubShutdownDeadline(t *testing.T) {
	blocker := rpctest.NewBlocker()
	defer close(blocker.Release)
	hub, addr := startHub(t, codec.Msgpack, bindTestServices(blocker), nil)
	w := dialWorker(t, addr, codec.Msgpack, "w")
	waitFor(t, "the peer", func() bool { return hub.Len() == 1 })
	result := make(chan error, 1)
	go func() { result <- w.Call(context.Background(), "Blocker.Wait", 5, new(int)) }()
	<-blocker.Started
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	go func() { time.Sleep(200 * time.Millisecond); blocker.Release <- struct{}{} }()
	if err := hub.Shutdown(ctx); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Shutdown past its deadline = %v", err)
	}
	if err := <-result; !errors.Is(err, peer.ErrClosed) {
		t.Fatalf("call cut by Shutdown = %v; want ErrClosed", err)
	}
}

type nopConn struct{}

func (nopConn) Read([]byte) (int, error)    { return 0, io.EOF }
func (nopConn) Write(p []byte) (int, error) { return len(p), nil }
func (nopConn) Close() error                { return nil }

// A connection over HubOptions.MaxConns is reset at once, never queued;
// once a connection ends there is room again.
func TestHubMaxConns(t *testing.T) {
	hub, addr := startHub(t, codec.Msgpack, bindTestServices(), &peer.HubOptions{MaxConns: 2})
	first := dialWorker(t, addr, codec.Msgpack, "a")
	dialWorker(t, addr, codec.Msgpack, "b")
	waitFor(t, "2 peers", func() bool { return hub.Len() == 2 })
	// The reset may come before the dial has returned.
	if conn, err := net.Dial("tcp", addr); err == nil {
		over, err := peer.New(conn, codec.Msgpack, nil)
		if err != nil {
			t.Fatal(err)
		}
		defer over.Close()
		select {
		case <-over.Done():
		case <-time.After(5 * time.Second):
			t.Fatal("a connection over MaxConns was not closed")
		}
	} else if !errors.Is(err, syscall.ECONNRESET) {
		t.Fatalf("dialing a full hub: %v; want a connection that it resets", err)
	}
	var got int
	if err := first.Call(context.Background(), "Arith.Multiply", &rpctest.Args{A: 2, B: 5}, &got); err != nil || got != 10 {
		t.Fatalf("a peer under the cap: %d, %v", got, err)
	}
	first.Close()
	waitFor(t, "room again", func() bool { return hub.Len() == 1 })
	again := dialWorker(t, addr, codec.Msgpack, "d")
	if err := again.Call(context.Background(), "Arith.Multiply", &rpctest.Args{A: 3, B: 5}, &got); err != nil || got != 15 {
		t.Fatalf("a peer once there was room: %d, %v", got, err)
	}
}
