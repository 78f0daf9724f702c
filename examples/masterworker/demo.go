package main

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/duplexrpc/duplex/codec"
	"github.com/duplexrpc/duplex/peer"
	"github.com/duplexrpc/duplex/transport"
)

// demoTimeout bounds each step of the demo.
const demoTimeout = 10 * time.Second

// demoWorkers are the workers of the demo, in the order they connect.
var demoWorkers = []string{"alice", "bob"}

// demo runs a master and two workers in one process, over TCP on a free
// port of 127.0.0.1, and returns once every call in either direction has
// been answered and everyone has left.
func demo(ctx context.Context, c codec.Codec) error {
	ln, err := transport.Listen(ctx, "tcp://127.0.0.1:0", nil)
	if err != nil {
		return err
	}
	addr := ln.Addr().String()
	fmt.Printf("master: listening on %s (%s)\n", addr, c.Name())

	// The demo waits for events that hooks send on channels.
	n := len(demoWorkers)
	rounds, gone, hellos := make(chan int, n), make(chan int, n), make(chan string, n)
	m := newMaster(c)
	m.roundDone, m.gone = sender(rounds), sender(gone)
	served := make(chan error, 1)
	go func() { served <- m.hub.Serve(ln) }()
	defer func() {
		m.shutdown()
		<-served
	}()

	// The workers connect one at a time, so that alice is worker 1: each
	// has said hello before the next dials.
	workCtx, stopWorkers := context.WithCancel(context.Background())
	var working sync.WaitGroup
	defer func() {
		stopWorkers()
		working.Wait()
	}()
	for _, name := range demoWorkers {
		w := &worker{addr: addr, codec: c, name: name, hello: sender(hellos)}
		working.Add(1)
		go func() {
			defer working.Done()
			w.run(workCtx)
		}()
		if err := await(ctx, hellos, 1, name+" to say hello"); err != nil {
			return err
		}
	}
	if err := await(ctx, rounds, n, "the echo rounds"); err != nil {
		return err
	}

	// The hub can call every worker at once.
	fmt.Println("master: calling every worker at once")
	callCtx, cancel := context.WithTimeout(ctx, callTimeout)
	results := m.hub.CallAll(callCtx, echoMethod, "bye", func() any { return new(string) })
	cancel()
	slices.SortFunc(results, func(a, b peer.Result) int { return m.number(a.Peer) - m.number(b.Peer) })
	for _, r := range results {
		if r.Err != nil {
			return fmt.Errorf("worker %d: %w", m.number(r.Peer), r.Err)
		}
		fmt.Printf("master: worker %d answered %q\n", m.number(r.Peer), *r.Reply.(*string))
	}

	// The workers leave first, so that the master sees them go.
	stopWorkers()
	working.Wait()
	if err := await(ctx, gone, n, "the workers to leave"); err != nil {
		return err
	}
	fmt.Println("master: shutting down")
	return nil
}

// sender returns a hook that sends its argument on ch, and never blocks:
// ch has room for every event the demo waits for, and any more are
// dropped.
func sender[T any](ch chan<- T) func(T) {
	return func(v T) {
		select {
		case ch <- v:
		default:
		}
	}
}

// await waits for n events on ch, for ctx or for demoTimeout.
func await[T any](ctx context.Context, ch <-chan T, n int, what string) error {
	timeout := time.NewTimer(demoTimeout)
	defer timeout.Stop()
	for range n {
		select {
		case <-ch:
		case <-ctx.Done():
			return fmt.Errorf("interrupted waiting for %s", what)
		case <-timeout.C:
			return errors.New("no sign after " + demoTimeout.String() + " of " + what)
		}
	}
	return nil
}
