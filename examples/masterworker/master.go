package main

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/duplexrpc/duplex/codec"
	"github.com/duplexrpc/duplex/peer"
	"github.com/duplexrpc/duplex/transport"
)

const (
	// callTimeout bounds every call either role makes.
	callTimeout = 10 * time.Second
	// echoInterval is the pause between the master's echo calls.
	echoInterval = 100 * time.Millisecond
	// shutdownTimeout is how long the master waits for calls in flight
	// before it closes the workers' connections anyway.
	shutdownTimeout = 5 * time.Second
)

// runMaster accepts workers on addr until ctx ends, then shuts down
// gracefully.
func runMaster(ctx context.Context, addr string, c codec.Codec) error {
	ln, err := transport.Listen(ctx, addr, nil)
	if err != nil {
		return err
	}
	fmt.Printf("master: listening on %s (%s)\n", strings.TrimPrefix(ln.URL(), "tcp://"), c.Name())
	m := newMaster(c)
	served := make(chan error, 1)
	go func() { served <- m.hub.Serve(ln) }()
	select {
	case <-ctx.Done():
	case err := <-served: // the listener failed
		m.shutdown()
		return err
	}
	fmt.Println("master: shutting down")
	m.shutdown()
	<-served // peer.ErrHubClosed, now that the hub is shut down
	return nil
}

// master accepts workers and calls each of them, through a peer.Hub. It
// numbers workers in the order they connect.
type master struct {
	hub *peer.Hub

	// roundDone and gone, if set, are called when the echo round of
	// worker n has ended and when worker n has left. They let the demo
	// know when everyone has answered.
	roundDone, gone func(n int)

	mu       sync.Mutex
	stopping bool
	stop     chan struct{}      // closed when stopping: start no new calls
	joined   int                // workers that have connected so far
	numbers  map[*peer.Peer]int // the connected workers' numbers
	rounds   sync.WaitGroup     // echo rounds running
}

func newMaster(c codec.Codec) *master {
	m := &master{stop: make(chan struct{}), numbers: make(map[*peer.Peer]int)}
	m.hub = peer.NewHub(c, m.bind, &peer.HubOptions{OnConnect: m.echoRound, OnDisconnect: m.left})
	return m
}

// bind numbers a new worker and serves it a Master of its own, which knows
// whom to call back. The hub binds each connection before reading from it,
// in the order it accepted them.
func (m *master) bind(p *peer.Peer, s *peer.Registry) error {
	m.mu.Lock()
	m.joined++
	n := m.joined
	m.numbers[p] = n
	m.mu.Unlock()
	fmt.Printf("master: worker %d connected\n", n)
	return s.Register(&Master{worker: p, n: n})
}

// number returns the number of a connected worker.
func (m *master) number(p *peer.Peer) int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.numbers[p]
}

// echoRound calls Echo.Echo on a worker that has just connected, five
// times, echoInterval apart: the master calls a worker it could never have
// dialed itself. The hub runs it in a goroutine of its own.
func (m *master) echoRound(p *peer.Peer) {
	m.mu.Lock()
	if m.stopping {
		m.mu.Unlock()
		return
	}
	m.rounds.Add(1)
	n := m.numbers[p]
	m.mu.Unlock()
	defer m.rounds.Done()

	for i := range echoCalls {
		if i > 0 {
			select {
			case <-time.After(echoInterval):
			case <-p.Done(): // left tells why
				return
			case <-m.stop:
				return
			}
		}
		ctx, cancel := context.WithTimeout(context.Background(), callTimeout)
		var answer string
		err := p.Call(ctx, echoMethod, fmt.Sprintf("%s:%d", greeting, i), &answer)
		cancel()
		if errors.Is(err, peer.ErrClosed) {
			return
		}
		if err != nil {
			fmt.Printf("master: worker %d: %s: %v\n", n, echoMethod, err)
			return
		}
		fmt.Printf("master: worker %d answered %q\n", n, answer)
	}
	if m.roundDone != nil {
		m.roundDone(n)
	}
}

// left reports a worker whose connection has ended.
func (m *master) left(p *peer.Peer, err error) {
	m.mu.Lock()
	n := m.numbers[p]
	delete(m.numbers, p)
	m.mu.Unlock()
	fmt.Printf("master: worker %d left (%v)\n", n, err)
	if m.gone != nil {
		m.gone(n)
	}
}

// shutdown stops accepting and starting calls, lets the calls in flight
// finish (for up to shutdownTimeout), closes every connection and waits for
// the echo rounds to return.
func (m *master) shutdown() {
	m.mu.Lock()
	if !m.stopping {
		m.stopping = true
		close(m.stop)
	}
	m.mu.Unlock()
	ctx, cancel := context.WithTimeout(context.Background(), shutdownTimeout)
	defer cancel()
	if err := m.hub.Shutdown(ctx); err != nil {
		fmt.Printf("master: calls still running after %v; closed them\n", shutdownTimeout)
	}
	m.rounds.Wait()
}

// Master is the service the master serves, one value per worker
// connection. Its methods are called "Master.Hello".
type Master struct {
	worker *peer.Peer // the connection the calls come in on
	n      int        // the worker's number
}

// Hello greets a worker by name. Before it answers, it calls the worker
// back on the connection the call came in on, while the worker is still
// waiting for this answer: a nested call in the other direction. The
// reply is "hello, NAME (echo: ping from master)".
func (s *Master) Hello(name string, reply *string) error {
	fmt.Printf("master: worker %d says hello as %q; calling it back\n", s.n, name)
	ctx, cancel := context.WithTimeout(context.Background(), callTimeout)
	defer cancel()
	var echo string
	if err := s.worker.Call(ctx, echoMethod, ping, &echo); err != nil {
		return fmt.Errorf("calling %s back: %w", name, err)
	}
	fmt.Printf("master: worker %d answered %q inside its %s\n", s.n, echo, helloMethod)
	*reply = fmt.Sprintf("hello, %s (echo: %s)", name, echo)
	return nil
}
