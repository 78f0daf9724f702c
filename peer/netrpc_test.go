package peer_test

import (
	"context"
	"errors"
	"io"
	"net/rpc"
	"sync"
	"testing"
	"time"

	"github.com/duplexrpc/duplex/codec"
	"github.com/duplexrpc/duplex/internal/rpctest"
	"github.com/duplexrpc/duplex/peer"
)

// This file checks that stock net/rpc stays a first-class path: a stock
// rpc.Client calls a Peer, a Peer calls a stock rpc.Server, and a Peer
// talks both ways with a stock client and server that share one
// connection through codec.NewClientServerCodecs.

// newArithPeer returns a Peer on conn that serves rpctest.Arith. Cleanup
// closes it.
func newArithPeer(t *testing.T, conn io.ReadWriteCloser, c codec.Codec) *peer.Peer {
	t.Helper()
	p, err := peer.New(conn, c, func(p *peer.Peer, r *peer.Registry) error { return r.Register(new(rpctest.Arith)) })
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { p.Close() })
	return p
}

// serveStock runs a stock rpc.Server with Arith, Echo and blocker on sc,
// and returns the release of blocker's calls, safe to call more than once.
// Cleanup releases them, closes conn and waits for ServeCodec, which
// returns once its handlers have.
func serveStock(t *testing.T, conn io.Closer, sc rpc.ServerCodec, blocker *rpctest.Blocker) (release func()) {
	t.Helper()
	server := rpc.NewServer()
	for _, rcvr := range []any{new(rpctest.Arith), new(rpctest.Echo), blocker} {
		if err := server.Register(rcvr); err != nil {
			t.Fatal(err)
		}
	}
	served := make(chan struct{})
	go func() {
		defer close(served)
		server.ServeCodec(sc)
	}()
	var once sync.Once
	release = func() { once.Do(func() { close(blocker.Release) }) }
	t.Cleanup(func() {
		release()
		conn.Close()
		select {
		case <-served:
		case <-time.After(10 * time.Second):
			t.Error("ServeCodec still running 10s after its connection closed")
		}
	})
	return release
}

// checkArith makes calls that answer, fail remotely and name no method,
// and checks each outcome, with net/rpc's error texts.
func checkArith(t *testing.T, call rpctest.CallFunc) {
	t.Helper()
	var got int
	if err := call("Arith.Multiply", &rpctest.Args{A: 7, B: 8}, &got); err != nil || got != 56 {
		t.Errorf("Multiply(7, 8): got %d, %v; want 56, nil", got, err)
	}
	var q rpctest.Quotient
	if err := call("Arith.Divide", &rpctest.Args{A: 17, B: 5}, &q); err != nil || q != (rpctest.Quotient{Quo: 3, Rem: 2}) {
		t.Errorf("Divide(17, 5): got %+v, %v; want {3 2}, nil", q, err)
	}
	err := call("Arith.Divide", &rpctest.Args{A: 1, B: 0}, &q)
	var serverErr rpc.ServerError
	if !errors.As(err, &serverErr) || serverErr.Error() != "divide by zero" {
		t.Errorf("Divide(1, 0): got error %#v; want rpc.ServerError(\"divide by zero\")", err)
	}
	for method, want := range map[string]string{
		"Arith.Nope":    "rpc: can't find method Arith.Nope",
		"Nope.Multiply": "rpc: can't find service Nope.Multiply",
	} {
		if err := call(method, &rpctest.Args{}, &got); err == nil || err.Error() != want {
			t.Errorf("%s: got error %v; want %q", method, err, want)
		}
	}
}

// callConcurrently makes n calls of Arith.Multiply at once.
func callConcurrently(t *testing.T, call rpctest.CallFunc, n int) {
	t.Helper()
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var got int
			if err := call("Arith.Multiply", &rpctest.Args{A: i, B: 3}, &got); err != nil || got != 3*i {
				t.Errorf("Multiply(%d, 3): got %d, %v; want %d, nil", i, got, err, 3*i)
			}
		}()
	}
	wg.Wait()
}

// checkCancel has p start a call of Blocker.Wait and cancel it once the
// handler runs: the call returns context.Canceled, and the stock server,
// which cannot stop the handler, reads past the cancel message and goes on
// answering; once release lets the handler return, the late answer of the
// cancelled call is dropped.
func checkCancel(t *testing.T, p *peer.Peer, blocker *rpctest.Blocker, release func()) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	errc := make(chan error, 1)
	go func() { errc <- p.Call(ctx, "Blocker.Wait", 1, new(int)) }()
	<-blocker.Started
	cancel()
	select {
	case err := <-errc:
		if !errors.Is(err, context.Canceled) {
			t.Errorf("cancelled call: got error %v; want context.Canceled", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("cancelled call still running after 10s")
	}
	call := callOf(p)
	var got int
	if err := call("Arith.Multiply", &rpctest.Args{A: 2, B: 3}, &got); err != nil || got != 6 {
		t.Errorf("call after the cancel: got %d, %v; want 6, nil", got, err)
	}
	release()
	if err := call("Arith.Multiply", &rpctest.Args{A: 4, B: 5}, &got); err != nil || got != 20 {
		t.Errorf("call after the cancelled handler returned: got %d, %v; want 20, nil", got, err)
	}
}

// TestNetRPCClientCallsPeer has a stock rpc.Client, through this module's
// one-way client codec, call a Peer.
func TestNetRPCClientCallsPeer(t *testing.T) {
	for _, c := range codec.All() {
		t.Run(c.Name(), func(t *testing.T) {
			t.Parallel()
			clientConn, peerConn := tcpPair(t)
			newArithPeer(t, peerConn, c)
			client := rpc.NewClientWithCodec(codec.NewClientCodec(c.NewConn(clientConn, nil)))
			t.Cleanup(func() { client.Close() })
			checkArith(t, client.Call)
			callConcurrently(t, client.Call, 100)
		})
	}
}

// TestPeerCallsNetRPCServer has a Peer call a stock rpc.Server, through
// this module's one-way server codec, and cancel a call it runs. Not over
// gob: a one-way gob server writes net/rpc's own responses, which carry no
// kind and which a Peer reads as requests (docs/wire.md §2.3);
// TestPeerAndSharedCodecs has a Peer call a stock server over gob.
func TestPeerCallsNetRPCServer(t *testing.T) {
	for _, c := range codec.All() {
		if c == codec.Gob {
			continue
		}
		t.Run(c.Name(), func(t *testing.T) {
			t.Parallel()
			peerConn, serverConn := tcpPair(t)
			blocker := rpctest.NewBlocker()
			release := serveStock(t, serverConn, codec.NewServerCodec(c.NewConn(serverConn, nil)), blocker)
			p := newArithPeer(t, peerConn, c)
			checkArith(t, callOf(p))
			callConcurrently(t, callOf(p), 100)
			checkCancel(t, p, blocker, release)
		})
	}
}

// TestPeerAndSharedCodecs has a Peer and a stock rpc.Client and rpc.Server
// sharing one connection call each other at once, and the Peer cancel a
// call.
func TestPeerAndSharedCodecs(t *testing.T) {
	for _, c := range codec.All() {
		t.Run(c.Name(), func(t *testing.T) {
			t.Parallel()
			peerConn, sharedConn := tcpPair(t)
			cc, sc := codec.NewClientServerCodecs(c.NewConn(sharedConn, nil))
			blocker := rpctest.NewBlocker()
			release := serveStock(t, sharedConn, sc, blocker)
			client := rpc.NewClientWithCodec(cc)
			t.Cleanup(func() { client.Close() })
			p := newArithPeer(t, peerConn, c)

			checkArith(t, client.Call)
			checkArith(t, callOf(p))
			var wg sync.WaitGroup
			for _, call := range []rpctest.CallFunc{client.Call, callOf(p)} {
				wg.Add(1)
				go func() {
					defer wg.Done()
					callConcurrently(t, call, 200)
				}()
			}
			wg.Wait()
			checkCancel(t, p, blocker, release)
			var got int
			if err := client.Call("Arith.Multiply", &rpctest.Args{A: 6, B: 7}, &got); err != nil || got != 42 {
				t.Errorf("stock client's call after the cancel: got %d, %v; want 42, nil", got, err)
			}
		})
	}
}
