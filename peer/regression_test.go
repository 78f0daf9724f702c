package peer_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"sync"
	"testing"
	"time"

	"github.com/duplexrpc/duplex/codec"
	"github.com/duplexrpc/duplex/internal/rpctest"
	"github.com/duplexrpc/duplex/peer"
)

// A reply that does not decode into a Go call's value fails that call
// only: the engine reads every body whole, so the stream stays in step
// (net/rpc's own client ends the connection instead).
func TestGoWithUndecodableReplyFailsOnlyThatCall(t *testing.T) {
	for _, c := range codec.All() {
		t.Run(c.Name(), func(t *testing.T) {
			t.Parallel()
			a, _ := peerPair(t, c, nil, bindTestServices())
			call := a.Go("Echo.String", "not a number", new(int), nil)
			select {
			case <-call.Done:
			case <-time.After(10 * time.Second):
				t.Fatal("Go call never completed")
			}
			if call.Error == nil {
				t.Fatal("string reply decoded into an int without error")
			}
			var got string
			if err := a.Call(context.Background(), "Echo.String", "still up", &got); err != nil || got != "still up" {
				t.Fatalf("next call = %q, %v", got, err)
			}
		})
	}
}

// CallAll's cancellation must not steal completions of other calls from
// the shared channel, nor wait for the slow peers.
func TestCallAllCancelsOnlyTheSlow(t *testing.T) {
	blocker := rpctest.NewBlocker()
	hub, addr := startHub(t, codec.Msgpack, nil, nil)
	var workers []*peer.Peer
	defer func() { // release the held handler first: Close waits for handlers
		close(blocker.Release)
		for _, w := range workers {
			w.Close()
		}
	}()
	for i := range 4 {
		conn, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		var bind peer.Binder
		if i == 0 {
			bind = func(_ *peer.Peer, s *peer.Registry) error { return s.RegisterName("Work", blocker) }
		} else {
			bind = func(_ *peer.Peer, s *peer.Registry) error { return s.RegisterName("Work", &fastWait{}) }
		}
		w, err := peer.New(conn, codec.Msgpack, bind)
		if err != nil {
			t.Fatal(err)
		}
		workers = append(workers, w)
	}
	waitFor(t, "4 peers", func() bool { return hub.Len() == 4 })
	for round := range 3 {
		ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
		start := time.Now()
		results := hub.CallAll(ctx, "Work.Wait", round, func() any { return new(int) })
		cancel()
		if took := time.Since(start); took > 5*time.Second {
			t.Fatalf("CallAll took %v past a 100ms deadline", took)
		}
		var ok, expired int
		for _, r := range results {
			switch {
			case r.Err == nil && *r.Reply.(*int) == round:
				ok++
			case errors.Is(r.Err, context.DeadlineExceeded):
				expired++
			default:
				t.Fatalf("result %+v", r)
			}
		}
		if ok != 3 || expired != 1 {
			t.Fatalf("round %d: %d ok, %d expired; want 3, 1", round, ok, expired)
		}
	}
}

type fastWait struct{}

func (fastWait) Wait(n int, reply *int) error { *reply = n; return nil }

// Responses count as life for the idle timeout, not only requests.
func TestIdleTimeoutCountsResponses(t *testing.T) {
	a, _ := peerPair(t, codec.Msgpack, nil, bindTestServices(), &peer.Options{IdleTimeout: 500 * time.Millisecond})
	deadline := time.Now().Add(1500 * time.Millisecond)
	for time.Now().Before(deadline) {
		var got int
		if err := a.Call(context.Background(), "Arith.Multiply", &rpctest.Args{A: 1, B: 1}, &got); err != nil {
			t.Fatalf("peer calling every 20ms dropped as idle: %v", err)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// Done fires when the connection ends, without waiting for handlers.
func TestDoneDoesNotWaitForHandlers(t *testing.T) {
	blocker := rpctest.NewBlocker()
	a, b := peerPair(t, codec.Msgpack, nil, bindTestServices(blocker))
	go a.Call(context.Background(), "Blocker.Wait", 1, new(int))
	<-blocker.Started
	a.Conn().Close()
	select {
	case <-b.Done():
	case <-time.After(5 * time.Second):
		t.Fatal("Done waited for a running handler")
	}
	close(blocker.Release)
}

// OnDisconnect may close the peer it is handed.
func TestOnDisconnectMayClose(t *testing.T) {
	var once sync.Once
	closed := make(chan struct{})
	hub, addr := startHub(t, codec.Msgpack, nil, &peer.HubOptions{
		OnDisconnect: func(p *peer.Peer, _ error) { p.Close(); once.Do(func() { close(closed) }) },
	})
	w := dialWorker(t, addr, codec.Msgpack, "w")
	waitFor(t, "the peer", func() bool { return hub.Len() == 1 })
	w.Close()
	select {
	case <-closed:
	case <-time.After(5 * time.Second):
		t.Fatal("OnDisconnect calling Close deadlocked")
	}
}

// Large frames both ways at once over an unbuffered pipe: a writer blocked
// on the stream must never stop its own side from reading, or both sides
// wait for each other for ever.
func TestBigFramesBothWaysOverUnbufferedPipe(t *testing.T) {
	for _, c := range codec.All() {
		t.Run(c.Name(), func(t *testing.T) {
			t.Parallel()
			ca, cb := net.Pipe()
			a, err := peer.New(ca, c, bindTestServices())
			if err != nil {
				t.Fatal(err)
			}
			defer a.Close()
			b, err := peer.New(cb, c, bindTestServices())
			if err != nil {
				t.Fatal(err)
			}
			defer b.Close()
			payload := rpctest.BigBytes(256 << 10)
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			var wg sync.WaitGroup
			for _, p := range []*peer.Peer{a, b, a, b} {
				wg.Add(1)
				go func() {
					defer wg.Done()
					var got []byte
					if err := p.Call(ctx, "Echo.Bytes", payload, &got); err != nil || len(got) != len(payload) {
						t.Errorf("Echo(256 KiB) = %d bytes, %v", len(got), err)
					}
				}()
			}
			wg.Wait()
		})
	}
}

// Slow answers after a pause, and takes no context: nothing can cut it
// short.
type Slow struct{}

func (Slow) Wait(ms int, reply *int) error {
	time.Sleep(time.Duration(ms) * time.Millisecond)
	*reply = ms
	return nil
}

// A client that sends its requests and then closes its side of the
// connection still gets every answer, as from net/rpc's server: the peer
// is Done at once, but writes what it owes before it closes.
func TestHalfCloseStillGetsAnswers(t *testing.T) {
	x, y := tcpPair(t)
	p, err := peer.New(x, codec.JSONRPC2, bindTestServices(Slow{}))
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	defer y.Close()
	y.SetDeadline(time.Now().Add(10 * time.Second))
	for id := range 3 {
		fmt.Fprintf(y, `{"jsonrpc":"2.0","id":%d,"method":"Slow.Wait","params":[%d]}`+"\n", id, 100+50*id)
	}
	y.(*net.TCPConn).CloseWrite()
	dec := json.NewDecoder(y)
	got := map[int]int{}
	for range 3 {
		var resp struct {
			ID     int `json:"id"`
			Result int `json:"result"`
		}
		if err := dec.Decode(&resp); err != nil {
			t.Fatalf("after %d answers: %v", len(got), err)
		}
		got[resp.ID] = resp.Result
	}
	if want := map[int]int{0: 100, 1: 150, 2: 200}; fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("answers %v; want %v", got, want)
	}
	select {
	case <-p.Done():
	case <-time.After(5 * time.Second):
		t.Fatal("the peer is not Done after the other end closed")
	}
	if err := dec.Decode(new(any)); err == nil {
		t.Fatal("the connection stayed open after the last answer")
	}
}

// The answers to a JSON-RPC 2.0 batch leave together with the last one,
// and each gives back its place in flight: with MaxInFlight 4, batches of
// three keep being served.
func TestBatchAnswersGiveBackTheirPlaces(t *testing.T) {
	x, y := tcpPair(t)
	p, err := peer.NewWithOptions(x, codec.JSONRPC2, bindTestServices(), &peer.Options{MaxInFlight: 4})
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	defer y.Close()
	y.SetDeadline(time.Now().Add(10 * time.Second))
	dec := json.NewDecoder(y)
	for round := range 20 {
		fmt.Fprintf(y, `[{"jsonrpc":"2.0","id":1,"method":"Echo.Upper","params":["a"]},`+
			`{"jsonrpc":"2.0","id":2,"method":"Echo.Upper","params":["b"]},`+
			`{"jsonrpc":"2.0","id":3,"method":"Echo.Upper","params":["c"]}]`+"\n")
		var answers []struct {
			ID     int    `json:"id"`
			Result string `json:"result"`
			Error  any    `json:"error"`
		}
		if err := dec.Decode(&answers); err != nil {
			t.Fatalf("round %d: %v", round, err)
		}
		if len(answers) != 3 {
			t.Fatalf("round %d: %d answers; want 3", round, len(answers))
		}
		for _, a := range answers {
			if a.Error != nil || a.Result == "" {
				t.Fatalf("round %d: answer %+v", round, a)
			}
		}
	}
	waitFor(t, "nothing in flight", func() bool { in, _ := p.InFlight(); return in == 0 })
}
