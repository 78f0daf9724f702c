package peer

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"sync"
	"time"

	"github.com/duplexrpc/duplex/codec"
	"github.com/duplexrpc/duplex/internal/backoff"
)

// Errors of a Hub.
var (
	// ErrHubClosed is returned by Hub.Serve and Hub.Add after Shutdown or
	// Close.
	ErrHubClosed = errors.New("peer: hub closed")
	// ErrHubFull is returned by Hub.Add for a connection over
	// HubOptions.MaxConns, which it closed.
	ErrHubFull = errors.New("peer: hub full: too many connections")
)

// HubOptions tune a Hub. A nil *HubOptions means the defaults.
type HubOptions struct {
	// Peer tunes every peer the hub makes. Nil means the defaults.
	Peer *Options
	// OnConnect, if set, is called in a goroutine of its own for every new
	// peer, once it is in the registry: the place to start calling it.
	// Shutdown and Close wait for these calls to return.
	OnConnect func(*Peer)
	// OnDisconnect, if set, is called once a peer's connection has ended
	// and the peer has left the registry, with the reason (Is ErrClosed).
	OnDisconnect func(*Peer, error)
	// MaxConns, if above zero, bounds the connections the hub serves at
	// once. One over it is closed at once, never queued, and Add returns
	// ErrHubFull for it.
	MaxConns int
	// Logger receives the hub's diagnostics. Nil means silence.
	Logger *slog.Logger
}

// Hub accepts connections and keeps a registry of the peers on them: the
// master's side of the reverse-call pattern. Each peer serves what bind
// registers for it; the hub calls one peer or all of them.
//
// A Hub is safe for concurrent use.
type Hub struct {
	codec codec.Codec
	bind  Binder
	opts  HubOptions
	log   *slog.Logger
	// peerOpts are opts.Peer with the hub's defaults: a FirstFrameTimeout.
	peerOpts *Options

	mu        sync.Mutex
	peers     map[*Peer]struct{}
	listeners map[net.Listener]struct{}
	closed    bool
	conns     sync.WaitGroup // peers not yet fully ended
	hooks     sync.WaitGroup // OnConnect calls running

	count   int           // connections taken and not yet ended, for MaxConns
	closing chan struct{} // closed by Shutdown or Close: Serve stops waiting

	finishOnce sync.Once
	finished   chan struct{} // closed when Shutdown or Close has finished
}

// NewHub returns a hub whose peers speak c and serve what bind registers.
func NewHub(c codec.Codec, bind Binder, opts *HubOptions) *Hub {
	h := &Hub{codec: c, bind: bind, peers: make(map[*Peer]struct{}), listeners: make(map[net.Listener]struct{}), closing: make(chan struct{}), finished: make(chan struct{})}
	if opts != nil {
		h.opts = *opts
	}
	h.log = h.opts.Logger
	if h.log == nil {
		h.log = slog.New(slog.DiscardHandler)
	}
	po := Options{}
	if h.opts.Peer != nil {
		po = *h.opts.Peer
	}
	if po.FirstFrameTimeout == 0 {
		po.FirstFrameTimeout = DefaultFirstFrameTimeout
	}
	h.peerOpts = &po
	return h
}

// Serve accepts connections on ln until ln fails or the hub is shut down,
// and makes each a peer. After Shutdown or Close it returns ErrHubClosed,
// once they have finished: a program may exit when Serve returns. Serve
// closes ln when it returns.
func (h *Hub) Serve(ln net.Listener) error {
	h.mu.Lock()
	if h.closed {
		h.mu.Unlock()
		ln.Close()
		<-h.finished
		return ErrHubClosed
	}
	h.listeners[ln] = struct{}{}
	h.mu.Unlock()
	defer func() {
		h.mu.Lock()
		delete(h.listeners, ln)
		h.mu.Unlock()
		ln.Close()
	}()
	var wait time.Duration
	for {
		conn, err := ln.Accept()
		if err != nil {
			if h.isClosed() {
				<-h.finished
				return ErrHubClosed
			}
			if errors.Is(err, net.ErrClosed) {
				return fmt.Errorf("peer: accept: %w", err) // closed by its owner
			}
			// Anything else passes: out of file descriptors (EMFILE,
			// ENFILE), a connection reset before it was accepted, a TLS
			// listener's failed handshake. Keep the listener, wait, and
			// try again; say so once per episode.
			if wait == 0 {
				h.log.Warn("peer: accept failing; retrying with backoff", "error", err)
			}
			wait = backoff.Next(wait)
			select {
			case <-time.After(wait):
			case <-h.closing:
			}
			continue
		}
		if wait != 0 {
			h.log.Info("peer: accepting again")
			wait = 0
		}
		if _, err := h.Add(conn); err != nil {
			h.log.Warn("peer: connection refused", "remote", conn.RemoteAddr(), "error", err)
		}
	}
}

// Add makes a peer of a connection accepted elsewhere (a WebSocket handler,
// a subprocess) and registers it. On error rwc is closed: ErrHubClosed
// after Shutdown or Close, ErrHubFull at HubOptions.MaxConns.
func (h *Hub) Add(rwc io.ReadWriteCloser) (*Peer, error) {
	h.mu.Lock()
	if h.closed {
		h.mu.Unlock()
		refuse(rwc)
		return nil, ErrHubClosed
	}
	if h.opts.MaxConns > 0 && h.count >= h.opts.MaxConns {
		h.mu.Unlock()
		refuse(rwc) // at once: a connection over the cap is never queued
		return nil, ErrHubFull
	}
	h.count++
	h.conns.Add(1)
	h.mu.Unlock()
	p, err := newPeer(rwc, h.codec, h.bind, h.peerOpts, h.register, h.unregister)
	if err != nil {
		h.mu.Lock()
		h.count--
		h.mu.Unlock()
		h.conns.Done()
		return nil, err
	}
	if h.opts.OnConnect != nil {
		h.hooks.Add(1)
		go func() {
			defer h.hooks.Done()
			h.opts.OnConnect(p)
		}()
	}
	return p, nil
}

// refuse closes a connection the hub will not serve. A TCP connection
// (plain, or under TLS) is reset rather than closed: the other end then
// reads "connection reset", which says the hub did not read what it sent,
// and not a clean close, which a peer takes, soon after its first frame,
// for a hub that read that frame and hung up on a codec it does not speak
// (see diagnose).
func refuse(rwc io.ReadWriteCloser) {
	c := any(rwc)
	if nc, ok := c.(interface{ NetConn() net.Conn }); ok {
		c = nc.NetConn()
	}
	if l, ok := c.(interface{ SetLinger(sec int) error }); ok {
		l.SetLinger(0)
	}
	rwc.Close()
}

// register runs before the new peer reads its first frame, so a peer is in
// the registry before anything it sends is served.
func (h *Hub) register(p *Peer) {
	h.mu.Lock()
	h.peers[p] = struct{}{}
	closed := h.closed
	h.mu.Unlock()
	if closed { // Close ran while this peer was being made: it missed it
		p.fail(ErrHubClosed)
	}
}

// unregister runs when a peer has ended, in the peer's last goroutine.
func (h *Hub) unregister(p *Peer) {
	h.mu.Lock()
	delete(h.peers, p)
	h.count--
	h.mu.Unlock()
	if h.opts.OnDisconnect != nil {
		h.opts.OnDisconnect(p, p.Err())
	}
	h.conns.Done()
}

func (h *Hub) isClosed() bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.closed
}

// Peers returns the connected peers, in no particular order.
func (h *Hub) Peers() []*Peer {
	h.mu.Lock()
	defer h.mu.Unlock()
	peers := make([]*Peer, 0, len(h.peers))
	for p := range h.peers {
		peers = append(peers, p)
	}
	return peers
}

// Len returns the number of connected peers.
func (h *Hub) Len() int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return len(h.peers)
}

// Lookup returns the connected peer with the given ID.
func (h *Hub) Lookup(id uint64) (*Peer, bool) {
	h.mu.Lock()
	defer h.mu.Unlock()
	for p := range h.peers {
		if p.id == id {
			return p, true
		}
	}
	return nil, false
}

// Shutdown stops accepting, then shuts every peer down as Peer.Shutdown
// does: new requests are refused with ErrDraining, and each peer closes
// once every request it took has been answered and every call it made has
// its answer, or when ctx ends. It returns when every peer has ended, with
// ctx.Err() if ctx ended first. Serve returns only once Shutdown has.
func (h *Hub) Shutdown(ctx context.Context) error {
	h.stopAccepting()
	var wg sync.WaitGroup
	errs := make(chan error, 1)
	for _, p := range h.Peers() {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := p.Shutdown(ctx); err != nil {
				select {
				case errs <- err:
				default:
				}
			}
		}()
	}
	wg.Wait()
	h.closePeers() // those that came in meanwhile
	select {
	case err := <-errs:
		return err
	default:
		return ctx.Err()
	}
}

// Close stops accepting and closes every peer at once, failing the calls
// in flight, and waits for them.
func (h *Hub) Close() error {
	h.stopAccepting()
	h.closePeers()
	return nil
}

func (h *Hub) stopAccepting() {
	h.mu.Lock()
	if !h.closed {
		close(h.closing)
	}
	h.closed = true
	for ln := range h.listeners {
		ln.Close()
	}
	h.mu.Unlock()
}

// closePeers closes every peer and waits for them and for the OnConnect
// hooks; then Serve may return.
func (h *Hub) closePeers() {
	var wg sync.WaitGroup
	for _, p := range h.Peers() {
		wg.Add(1)
		go func() {
			defer wg.Done()
			p.Close()
		}()
	}
	wg.Wait()
	h.conns.Wait()
	h.hooks.Wait() // their peers are closed: calls they make fail at once
	h.finishOnce.Do(func() { close(h.finished) })
}
