package peer_test

import (
	"context"
	"fmt"
	"runtime"
	"testing"
	"time"

	"github.com/duplexrpc/duplex/codec"
	"github.com/duplexrpc/duplex/internal/rpctest"
)

// TestHandlersDoNotStopReading checks the serving layout of serve.go: the
// goroutine that reads a request runs its handler, so the next request must
// be read by a successor. With many handlers blocked at once, calls to the
// same peer still get through, and once the handlers return the peer is
// back to its idle goroutines.
func TestHandlersDoNotStopReading(t *testing.T) {
	for _, c := range []codec.Codec{codec.Msgpack, codec.Gob, codec.JSONRPC2} {
		t.Run(c.Name(), func(t *testing.T) {
			blocker := rpctest.NewBlocker()
			a, _ := peerPair(t, c, nil, bindTestServices(blocker))
			ctx := context.Background()
			var got int
			if err := a.Call(ctx, "Arith.Multiply", &rpctest.Args{A: 2, B: 3}, &got); err != nil || got != 6 {
				t.Fatalf("warm-up call: %d, %v", got, err)
			}
			idle := runtime.NumGoroutine()

			const blocked = 40
			done := make(chan error, blocked)
			for i := range blocked {
				go func() {
					var n int
					err := a.Call(ctx, "Blocker.Wait", i, &n)
					if err == nil && n != i {
						err = fmt.Errorf("Blocker.Wait(%d) = %d", i, n)
					}
					done <- err
				}()
			}
			for range blocked {
				select {
				case <-blocker.Started:
				case <-time.After(10 * time.Second):
					t.Fatal("handlers did not all start: requests stopped being read")
				}
			}
			// Every handler holds the goroutine that read its request.
			if err := a.Call(ctx, "Arith.Multiply", &rpctest.Args{A: 7, B: 8}, &got); err != nil || got != 56 {
				t.Fatalf("call while %d handlers block: %d, %v", blocked, got, err)
			}
			close(blocker.Release)
			for range blocked {
				if err := <-done; err != nil {
					t.Fatal(err)
				}
			}

			deadline := time.Now().Add(5 * time.Second)
			for runtime.NumGoroutine() > idle {
				if time.Now().After(deadline) {
					t.Fatalf("%d goroutines after the handlers returned, %d before they ran", runtime.NumGoroutine(), idle)
				}
				time.Sleep(10 * time.Millisecond)
			}
		})
	}
}
