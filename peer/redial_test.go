package peer_test

import (
	"context"
	"errors"
	"io"
	"net"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/duplexrpc/duplex/codec"
	"github.com/duplexrpc/duplex/internal/rpctest"
	"github.com/duplexrpc/duplex/peer"
)

// TestRedialerReconnects: the worker's services are bound again on every
// new connection, and the worker reconnects after the master restarts.
func TestRedialerReconnects(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	hub := peer.NewHub(codec.Msgpack, bindTestServices(), nil)
	go hub.Serve(ln)

	var mu sync.Mutex
	var states []peer.State
	binds := 0
	r := peer.NewRedialer(
		func(ctx context.Context) (io.ReadWriteCloser, error) {
			var d net.Dialer
			return d.DialContext(ctx, "tcp", addr)
		},
		codec.Msgpack,
		func(_ *peer.Peer, s *peer.Registry) error {
			mu.Lock()
			binds++
			mu.Unlock()
			return s.Register(&Name{"worker"})
		},
		&peer.RedialOptions{
			MinBackoff: 10 * time.Millisecond, MaxBackoff: 50 * time.Millisecond,
			OnState: func(s peer.State, _ *peer.Peer, _ error) { mu.Lock(); states = append(states, s); mu.Unlock() },
		})
	defer r.Close()

	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	callMaster := func() {
		t.Helper()
		p, err := r.Peer(ctx)
		if err != nil {
			t.Fatal(err)
		}
		var got int
		if err := p.Call(ctx, "Arith.Multiply", &rpctest.Args{A: 3, B: 3}, &got); err != nil || got != 9 {
			t.Fatalf("worker → master = %d, %v", got, err)
		}
	}
	callMaster()
	waitFor(t, "the worker at the hub", func() bool { return hub.Len() == 1 })

	// The master restarts on the same address.
	hub.Close()
	ln2, err := net.Listen("tcp", addr)
	if err != nil {
		t.Skipf("cannot listen again on %s: %v", addr, err) // the port was taken meanwhile
	}
	hub2 := peer.NewHub(codec.Msgpack, bindTestServices(), nil)
	go hub2.Serve(ln2)
	defer hub2.Close()
	waitFor(t, "the worker back at the new hub", func() bool { return hub2.Len() == 1 })
	callMaster()
	res := hub2.CallAll(ctx, "Name.Get", 0, func() any { return new(string) })
	if len(res) != 1 || res[0].Err != nil || *res[0].Reply.(*string) != "worker" {
		t.Fatalf("master → worker after redial = %+v", res)
	}
	r.Close()
	if r.State() != peer.Stopped {
		t.Fatalf("state after Close = %v", r.State())
	}
	if _, err := r.Peer(ctx); !errors.Is(err, peer.ErrClosed) {
		t.Fatalf("Peer after Close = %v", err)
	}
	mu.Lock()
	defer mu.Unlock()
	if binds < 2 {
		t.Fatalf("services bound %d times; want once per connection (≥ 2)", binds)
	}
	if states[0] != peer.Connecting || states[1] != peer.Connected || states[len(states)-1] != peer.Stopped {
		t.Fatalf("states = %v", states)
	}
}

func TestRedialerBacksOff(t *testing.T) {
	var mu sync.Mutex
	var attempts []time.Time
	r := peer.NewRedialer(
		func(ctx context.Context) (io.ReadWriteCloser, error) {
			mu.Lock()
			attempts = append(attempts, time.Now())
			mu.Unlock()
			return nil, errors.New("refused")
		},
		codec.Msgpack, nil,
		&peer.RedialOptions{MinBackoff: 20 * time.Millisecond, MaxBackoff: 80 * time.Millisecond})
	time.Sleep(400 * time.Millisecond)
	r.Close()
	mu.Lock()
	defer mu.Unlock()
	if len(attempts) < 3 || len(attempts) > 15 {
		t.Fatalf("%d dial attempts in 400ms with 20..80ms backoff", len(attempts))
	}
	for i := 1; i < len(attempts); i++ {
		if gap := attempts[i].Sub(attempts[i-1]); gap < 10*time.Millisecond || gap > 2*time.Second {
			t.Errorf("gap %d = %v; want within [MinBackoff/2, ~MaxBackoff]", i, gap)
		}
	}
}

func TestRedialerStopsOnPermanentError(t *testing.T) {
	stopped := make(chan error, 1)
	r := peer.NewRedialer(
		func(ctx context.Context) (io.ReadWriteCloser, error) {
			return nil, peer.Permanent(errors.New("no such scheme"))
		},
		codec.Msgpack, nil,
		&peer.RedialOptions{OnState: func(s peer.State, _ *peer.Peer, err error) {
			if s == peer.Stopped {
				stopped <- err
			}
		}})
	defer r.Close()
	select {
	case err := <-stopped:
		if err == nil || err.Error() != "peer: dial: no such scheme" {
			t.Fatalf("stopped with %v", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("a permanent dial error was retried")
	}
	if _, err := r.Peer(context.Background()); !errors.Is(err, peer.ErrClosed) {
		t.Fatalf("Peer after a permanent error = %v", err)
	}
}

func TestRedialerPeerHonoursEndedContext(t *testing.T) {
	a, _ := tcpPair(t)
	defer a.Close()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	hub := peer.NewHub(codec.Msgpack, nil, nil)
	go hub.Serve(ln)
	defer hub.Close()
	r := peer.NewRedialer(func(ctx context.Context) (io.ReadWriteCloser, error) {
		var d net.Dialer
		return d.DialContext(ctx, "tcp", ln.Addr().String())
	}, codec.Msgpack, nil, nil)
	defer r.Close()
	if _, err := r.Peer(context.Background()); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if p, err := r.Peer(ctx); !errors.Is(err, context.Canceled) {
		t.Fatalf("Peer(cancelled ctx) = %v, %v; want context.Canceled", p, err)
	}
}

// A worker given another codec than its master stops redialing: the first
// frame it reads names the mismatch, and redialing cannot mend it.
func TestRedialerStopsOnWrongCodec(t *testing.T) {
	hub, addr := startHub(t, codec.JSONRPC2, nil, &peer.HubOptions{
		OnConnect: func(p *peer.Peer) { p.Notify(context.Background(), "Worker.Hello", "hi") },
	})
	_ = hub
	stopped := make(chan error, 1)
	var dials atomic.Int32
	r := peer.NewRedialer(
		func(ctx context.Context) (io.ReadWriteCloser, error) {
			dials.Add(1)
			return net.Dial("tcp", addr)
		},
		codec.Msgpack, nil,
		&peer.RedialOptions{MinBackoff: time.Millisecond, OnState: func(s peer.State, _ *peer.Peer, err error) {
			if s == peer.Stopped {
				stopped <- err
			}
		}})
	defer r.Close()
	select {
	case err := <-stopped:
		if !errors.Is(err, codec.ErrWrongCodec) || !strings.Contains(err.Error(), "JSON") {
			t.Fatalf("stopped with %v; want ErrWrongCodec naming JSON", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatalf("still redialing after %d dials", dials.Load())
	}
	if n := dials.Load(); n != 1 {
		t.Fatalf("dialed %d times; want once", n)
	}
}
