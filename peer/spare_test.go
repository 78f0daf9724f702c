package peer_test

import (
	"context"
	"runtime"
	"testing"
	"time"

	"github.com/duplexrpc/duplex/codec"
	"github.com/duplexrpc/duplex/peer"
)

// A goroutine that served a request waits as the spare reader, and ends
// after one to two seconds without a request: an idle connection keeps its reader
// alone. Requests after that are still served.
func TestIdleSpareEnds(t *testing.T) {
	before := runtime.NumGoroutine()
	a, b := peerPair(t, codec.Msgpack, bindTestServices(), bindTestServices())
	call := func(p *peer.Peer) {
		var got int
		if err := p.Call(context.Background(), "Arith.Multiply", map[string]int{"A": 7, "B": 8}, &got); err != nil || got != 56 {
			t.Fatalf("Multiply: %d, %v", got, err)
		}
	}
	for range 3 {
		call(a)
		call(b)
	}
	// Two readers, and a spare on each side, give or take the first
	// moments of a goroutine on its way out.
	deadline := time.Now().Add(5 * time.Second)
	for runtime.NumGoroutine() > before+2 {
		if time.Now().After(deadline) {
			t.Fatalf("%d goroutines for an idle pair; want %d, its two readers", runtime.NumGoroutine()-before, 2)
		}
		time.Sleep(20 * time.Millisecond)
	}
	call(a)
	call(b)
}

// Closing a peer ends its waiting spare at once, not at the spare's
// linger: Close returns when every goroutine of the peer has, and a
// program's deferred Close must not wait a second for an idle spare.
func TestCloseEndsTheSpareAtOnce(t *testing.T) {
	a, b := peerPair(t, codec.Msgpack, bindTestServices(), bindTestServices())
	var got int
	if err := a.Call(context.Background(), "Arith.Multiply", map[string]int{"A": 7, "B": 8}, &got); err != nil || got != 56 {
		t.Fatalf("Multiply: %d, %v", got, err)
	}
	time.Sleep(10 * time.Millisecond) // b's handler goroutine parks as the spare
	start := time.Now()
	b.Close()
	if took := time.Since(start); took > 500*time.Millisecond {
		t.Fatalf("Close of a peer with an idle spare took %v; the spare lingers %v", took, time.Second)
	}
}
