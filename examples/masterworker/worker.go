package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/duplexrpc/duplex/codec"
	"github.com/duplexrpc/duplex/peer"
	"github.com/duplexrpc/duplex/transport"
)

// The worker redials a master that went away after a wait that starts at
// minBackoff and doubles on every failure up to maxBackoff.
const (
	minBackoff = 100 * time.Millisecond
	maxBackoff = 5 * time.Second
)

// runWorker serves the master at addr until ctx ends, saying hello on
// every connection and redialing whenever the connection is lost. It
// gives up only on an address it can never dial.
func runWorker(ctx context.Context, addr string, c codec.Codec, name string) error {
	w := &worker{addr: addr, codec: c, name: name}
	return w.run(ctx)
}

// worker keeps one connection to the master up, through a peer.Redialer:
// it serves Echo on it and calls Master.Hello once per connection.
type worker struct {
	addr  string
	codec codec.Codec
	name  string

	// hello, if set, is called with the master's answer to each
	// Master.Hello. It lets the demo know when the worker is done.
	hello func(answer string)

	giveUp context.CancelCauseFunc // ends run with a reason
}

// run works until ctx ends, or returns the error of an address that no
// retry can fix.
func (w *worker) run(ctx context.Context) error {
	ctx, w.giveUp = context.WithCancelCause(ctx)
	defer w.giveUp(nil)
	r := peer.NewRedialer(w.dial, w.codec, w.bind, &peer.RedialOptions{
		MinBackoff: minBackoff,
		MaxBackoff: maxBackoff,
		OnState:    w.state,
	})
	defer r.Close()
	for {
		p, err := r.Peer(ctx) // the next connection, once it is up
		if errors.Is(err, codec.ErrWrongCodec) {
			return err // the master speaks another codec: no redial mends it
		}
		if err != nil {
			return stopped(ctx)
		}
		w.sayHello(ctx, p)
		select {
		case <-p.Done(): // the redialer is dialing again
		case <-ctx.Done():
			return stopped(ctx)
		}
	}
}

// stopped is what run returns once its context has ended: nil when the
// worker was interrupted, the reason when it gave up.
func stopped(ctx context.Context) error {
	if cause := context.Cause(ctx); badAddress(cause) {
		return cause
	}
	return nil
}

// badAddress reports whether err is a dial error that redialing cannot fix.
func badAddress(err error) bool {
	return errors.Is(err, transport.ErrBadAddress) || errors.Is(err, transport.ErrUnknownScheme)
}

// dial opens a connection to the master. It is the redialer's DialFunc.
func (w *worker) dial(ctx context.Context) (io.ReadWriteCloser, error) {
	ctx, cancel := context.WithTimeout(ctx, callTimeout)
	defer cancel()
	return transport.Dial(ctx, w.addr, nil)
}

// bind serves Echo on every new connection. The redialer binds a
// connection before reading from it, so nothing the master sends can come
// before the line that says the worker is connected.
func (w *worker) bind(_ *peer.Peer, s *peer.Registry) error {
	fmt.Printf("worker %s: connected to %s\n", w.name, w.addr)
	return s.Register(&Echo{worker: w.name})
}

// state reports the redialer's losses of connection, and gives up on an
// address that can never be dialed.
func (w *worker) state(s peer.State, _ *peer.Peer, err error) {
	switch {
	case s != peer.Disconnected:
	case badAddress(err):
		w.giveUp(err)
	default:
		fmt.Printf("worker %s: not connected (%v); redialing\n", w.name, err)
	}
}

// sayHello calls Master.Hello on p and prints the answer. The master calls
// Echo.Echo on this worker before it answers, so the worker serves a call
// while its own call waits, on the same connection.
func (w *worker) sayHello(ctx context.Context, p *peer.Peer) {
	ctx, cancel := context.WithTimeout(ctx, callTimeout)
	defer cancel()
	var answer string
	if err := p.Call(ctx, helloMethod, w.name, &answer); err != nil {
		fmt.Printf("worker %s: %s: %v\n", w.name, helloMethod, err)
		return
	}
	fmt.Printf("worker %s: the master answered %q\n", w.name, answer)
	if w.hello != nil {
		w.hello(answer)
	}
}

// Echo is the service a worker serves to the master. Its method is called
// "Echo.Echo".
type Echo struct {
	worker string // the worker's name, for what it prints
}

// Echo answers its argument unchanged.
func (e *Echo) Echo(s string, reply *string) error {
	fmt.Printf("worker %s: echoing %q\n", e.worker, s)
	*reply = s
	return nil
}
