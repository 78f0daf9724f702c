package peer_test

import (
	"context"
	"net"
	"testing"

	"github.com/duplexrpc/duplex/codec"
	"github.com/duplexrpc/duplex/internal/rpctest"
	"github.com/duplexrpc/duplex/peer"
)

// tcpPair returns the two ends of a loopback TCP connection.
func tcpPair(t testing.TB) (net.Conn, net.Conn) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	type result struct {
		c   net.Conn
		err error
	}
	accepted := make(chan result, 1)
	go func() {
		c, err := ln.Accept()
		accepted <- result{c, err}
	}()
	dialed, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	r := <-accepted
	if r.err != nil {
		t.Fatal(r.err)
	}
	return dialed, r.c
}

// peerPair connects two peers over loopback TCP; each serves what its
// binder registers. Cleanup closes both.
func peerPair(t testing.TB, c codec.Codec, bindA, bindB peer.Binder, opts ...*peer.Options) (a, b *peer.Peer) {
	t.Helper()
	var oa, ob *peer.Options
	if len(opts) > 0 {
		oa = opts[0]
	}
	if len(opts) > 1 {
		ob = opts[1]
	}
	ca, cb := tcpPair(t)
	a, err := peer.NewWithOptions(ca, c, bindA, oa)
	if err != nil {
		t.Fatal(err)
	}
	b, err = peer.NewWithOptions(cb, c, bindB, ob)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		a.Close()
		b.Close()
	})
	return a, b
}

// bindTestServices registers Arith and Echo, plus extra receivers.
func bindTestServices(extra ...any) peer.Binder {
	return func(_ *peer.Peer, s *peer.Registry) error {
		for _, r := range append([]any{new(rpctest.Arith), new(rpctest.Echo)}, extra...) {
			if err := s.Register(r); err != nil {
				return err
			}
		}
		return nil
	}
}

// callOf adapts Peer.Call to the conformance table.
func callOf(p *peer.Peer) rpctest.CallFunc {
	return func(method string, args, reply any) error {
		return p.Call(context.Background(), method, args, reply)
	}
}
