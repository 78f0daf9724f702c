package main

import (
	"context"
	"strings"
	"sync"

	"github.com/duplexrpc/duplex/codec"
	"github.com/duplexrpc/duplex/peer"
	"github.com/duplexrpc/duplex/transport"
)

// masterOptions say what the master asks each worker for: a file's
// lines, for each of asks in turn.
type masterOptions struct {
	asks []ask
}

// ask is one stream the master asks a worker for.
type ask struct {
	path string // the file, under the worker's root
	head int    // break off after this many lines; 0: all
}

// master accepts workers and streams files' lines from each.
type master struct {
	hub  *peer.Hub
	opts masterOptions
	out  *printer

	mu     sync.Mutex
	joined int
	done   func(n int) // if set, called when worker n's streams have ended
}

func newMaster(c codec.Codec, opts masterOptions, out *printer) *master {
	m := &master{opts: opts, out: out}
	m.hub = peer.NewHub(c, nil, &peer.HubOptions{OnConnect: m.fetch})
	return m
}

// runMaster accepts workers on addr until ctx ends.
func runMaster(ctx context.Context, addr string, c codec.Codec, opts masterOptions, out *printer) error {
	ln, err := transport.Listen(ctx, addr, nil)
	if err != nil {
		return err
	}
	out.say("master: listening on %s (%s)", strings.TrimPrefix(ln.URL(), "tcp://"), c.Name())
	m := newMaster(c, opts, out)
	served := make(chan error, 1)
	go func() { served <- m.hub.Serve(ln) }()
	select {
	case <-ctx.Done():
		m.hub.Close()
		<-served
		return nil
	case err := <-served:
		m.hub.Close()
		return err
	}
}

// fetch streams the files from a worker that has just connected,
// printing each line as it comes. The hub runs it in a goroutine of its
// own.
func (m *master) fetch(p *peer.Peer) {
	m.mu.Lock()
	m.joined++
	n := m.joined
	m.mu.Unlock()
	for _, a := range m.opts.asks {
		lines, err := m.lines(p, n, a)
		switch {
		case err != nil:
			m.out.say("master: worker %d: %s: %v", n, a.path, err)
		case a.head > 0 && lines == a.head:
			m.out.say("master: worker %d: %s: broke off after %d lines", n, a.path, lines)
		default:
			m.out.say("master: worker %d: %s: %d lines", n, a.path, lines)
		}
	}
	if m.done != nil {
		m.done(n)
	}
}

// lines ranges over the stream of a's file from worker n, and returns how
// many lines it printed. Breaking out of the loop cancels the stream on
// the wire, and so the worker's handler.
func (m *master) lines(p *peer.Peer, n int, a ask) (int, error) {
	ctx, cancel := context.WithTimeout(context.Background(), callTimeout)
	defer cancel()
	got := 0
	for line, err := range peer.CallStream[Line](ctx, p, linesMethod, LinesArgs{Path: a.path}) {
		if err != nil {
			return got, err
		}
		m.out.say("master: worker %d: %s:%d: %s", n, a.path, line.N, line.Text)
		got++
		if got == a.head {
			break
		}
	}
	return got, nil
}
