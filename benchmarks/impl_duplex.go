package benchmarks

import (
	"context"
	"errors"
	"net"

	"github.com/duplexrpc/duplex/codec"
	"github.com/duplexrpc/duplex/peer"
)

// duplexImpls are package peer over every codec: both ends are peers that
// serve Arith and Echo, so either end can call the other.
func duplexImpls() []Impl {
	var impls []Impl
	for _, c := range codec.All() {
		impls = append(impls, Impl{
			Name:    "duplex-" + c.Name(),
			Reverse: true,
			Pipe:    true,
			Connect: func(dialed, accepted net.Conn) (*Stack, error) { return connectPeers(c, dialed, accepted) },
		})
	}
	return impls
}

func bindServices(_ *peer.Peer, s *peer.Registry) error { return register(s) }

func connectPeers(c codec.Codec, dialed, accepted net.Conn) (*Stack, error) {
	d, err := peer.New(dialed, c, bindServices)
	if err != nil {
		accepted.Close()
		return nil, err
	}
	a, err := peer.New(accepted, c, bindServices)
	if err != nil {
		d.Close()
		return nil, err
	}
	return &Stack{
		Forward: peerCaller{d},
		Reverse: peerCaller{a},
		Close:   func() error { return errors.Join(d.Close(), a.Close()) },
	}, nil
}

// peerCaller calls through Peer.Call, the way the library is meant to be
// used: with a context, here one that never ends.
type peerCaller struct{ p *peer.Peer }

func (c peerCaller) Call(method string, args, reply any) error {
	return c.p.Call(context.Background(), method, args, reply)
}
