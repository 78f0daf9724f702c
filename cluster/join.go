package cluster

import (
	"context"
	"errors"
	"fmt"
	"net"
	"time"

	"github.com/duplexrpc/duplex/peer"
	"github.com/duplexrpc/duplex/transport"
)

// How a worker gets its name. Master.Add is the primitive: whoever knows
// the name calls it. Three hooks call it for the usual sources:
//   - a handshake call from the worker: the master's Binder registers
//     m.Service() as ServiceName, and the worker calls JoinMethod (Join
//     does it) after every connection, from RedialOptions.OnConnect, so
//     it joins again after a failover;
//   - the TLS identity: HubOptions.OnConnect = m.OnConnect(TLSName);
//   - what the Binder decides: it calls m.Add itself.

// ServiceName is the name under which a master's Binder registers
// m.Service(), and JoinMethod the method a worker calls to join.
const (
	ServiceName = "Cluster"
	JoinMethod  = ServiceName + ".Join"
)

// Service is the service through which workers name themselves.
type Service struct{ m *Master }

// Service returns the service a master's Binder registers, under
// ServiceName, so that its workers can join by a handshake call:
//
//	hub := peer.NewHub(codec.Msgpack, func(p *peer.Peer, r *peer.Registry) error {
//		return r.RegisterName(cluster.ServiceName, m.Service())
//	}, nil)
func (m *Master) Service() *Service { return &Service{m} }

// Join makes the calling worker reachable as name, and answers with the
// master's ID.
func (s *Service) Join(ctx context.Context, name string, master *string) error {
	p, ok := peer.FromContext(ctx)
	if !ok {
		return errors.New("cluster: Join called without a peer")
	}
	if err := s.m.Add(name, p); err != nil {
		return err
	}
	*master = s.m.id
	return nil
}

// Leave makes the calling worker unreachable under name, if it holds it.
func (s *Service) Leave(ctx context.Context, name string, _ *struct{}) error {
	p, ok := peer.FromContext(ctx)
	if !ok {
		return errors.New("cluster: Leave called without a peer")
	}
	s.m.mu.Lock()
	e := s.m.workers[name]
	held := e != nil && e.p == p
	if held {
		s.m.removeLocked(e)
	}
	s.m.mu.Unlock()
	if held {
		s.m.settle() // so that the worker's next move sees the name gone
	}
	return nil
}

// Join is the worker's side of the handshake: it asks the master at the
// other end of p to make it reachable as name, and returns the master's
// ID. Call it from RedialOptions.OnConnect, so that the worker joins again
// on every master it reconnects to.
func Join(ctx context.Context, p *peer.Peer, name string) (master string, err error) {
	err = p.Call(ctx, JoinMethod, name, &master)
	return master, err
}

// Namer decides the name of a worker that has just connected. An error
// leaves the worker unnamed.
type Namer func(ctx context.Context, p *peer.Peer) (string, error)

// joinTimeout bounds a Namer run by OnConnect.
const joinTimeout = 10 * time.Second

// OnConnect returns a hook for HubOptions.OnConnect that names every new
// worker with name and adds it. A worker name fails to name is logged and
// stays connected, unnamed.
func (m *Master) OnConnect(name Namer) func(*peer.Peer) {
	return func(p *peer.Peer) {
		ctx, cancel := context.WithTimeout(context.Background(), joinTimeout)
		defer cancel()
		n, err := name(ctx, p)
		if err == nil {
			err = m.Add(n, p)
		}
		if err != nil {
			m.log.Warn("cluster: worker not named", "peer", p.ID(), "error", err)
		}
	}
}

// TLSName is a Namer that names a worker after the Common Name of the
// certificate it presented, for masters that require and verify client
// certificates (transport.Options.TLSConfig with ClientAuth). It reads
// the connections of package transport's tls:// and wss:// listeners, and
// any *tls.Conn, whose handshake it completes first.
func TLSName(ctx context.Context, p *peer.Peer) (string, error) {
	conn, ok := p.Conn().(net.Conn)
	if !ok {
		return "", fmt.Errorf("cluster: TLSName: %T is not a network connection", p.Conn())
	}
	if hs, ok := conn.(interface{ HandshakeContext(context.Context) error }); ok {
		if err := hs.HandshakeContext(ctx); err != nil {
			return "", fmt.Errorf("cluster: TLSName: %w", err)
		}
	}
	if _, ok := transport.TLSState(conn); !ok {
		return "", fmt.Errorf("cluster: TLSName: %T is not a TLS connection", conn)
	}
	certs := transport.PeerCertificates(conn)
	if len(certs) == 0 {
		return "", errors.New("cluster: TLSName: the worker presented no certificate")
	}
	return certs[0].Subject.CommonName, nil
}

// AskName returns a Namer that asks the worker its name with a call of
// method (which takes any argument, sent as nil, and answers a string):
// a handshake the master starts.
func AskName(method string) Namer {
	return func(ctx context.Context, p *peer.Peer) (string, error) {
		var name string
		err := p.Call(ctx, method, nil, &name)
		return name, err
	}
}
