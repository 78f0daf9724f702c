package cluster_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/duplexrpc/duplex/codec"
	"github.com/duplexrpc/duplex/peer"
)

// waitCancelled waits until w's Wait handler has seen its context end.
func waitCancelled(t *testing.T, w *Work, what string) {
	t.Helper()
	select {
	case err := <-w.cancelled:
		if err == nil {
			t.Errorf("%s: the handler's context ended with no error", what)
		}
	case <-time.After(5 * time.Second):
		t.Fatalf("%s: the handler's context did not end", what)
	}
}

// waitStarted waits until w's Wait handler runs.
func waitStarted(t *testing.T, w *Work) {
	t.Helper()
	select {
	case <-w.started:
	case <-time.After(5 * time.Second):
		t.Fatal("the handler did not start")
	}
}

// A caller's cancel travels through NATS and the master to the worker's
// handler, on both wire families.
func TestCancelReachesTheHandler(t *testing.T) {
	for _, c := range []codec.Codec{codec.Msgpack, codec.JSONRPC2} {
		t.Run(c.Name(), func(t *testing.T) {
			tc := newCluster(t, c)
			_, w := tc.worker("w", c, 0)
			cl := tc.client(c)
			waitWorkers(t, cl, map[string]string{"w": "m0"}, 5*time.Second)

			ctx, cancel := context.WithCancel(context.Background())
			done := make(chan error, 1)
			go func() { done <- cl.Call(ctx, "w", "Work.Wait", 0, nil) }()
			waitStarted(t, w)
			cancel()
			select {
			case err := <-done:
				if !errors.Is(err, context.Canceled) {
					t.Errorf("Call after cancel: got %v, want context.Canceled", err)
				}
			case <-time.After(2 * time.Second):
				t.Fatal("Call did not return at its cancel")
			}
			waitCancelled(t, w, "cancel")

			// A deadline travels too, and ends the handler although
			// nobody cancels.
			ctx, cancel = context.WithTimeout(context.Background(), 200*time.Millisecond)
			defer cancel()
			start := time.Now()
			if err := cl.Call(ctx, "w", "Work.Wait", 0, nil); !errors.Is(err, context.DeadlineExceeded) {
				t.Errorf("Call past its deadline: got %v", err)
			}
			if d := time.Since(start); d > 2*time.Second {
				t.Errorf("Call past a 200ms deadline took %v", d)
			}
			<-w.started
			waitCancelled(t, w, "deadline")
		})
	}
}

// A fan-out's cancel reaches every handler it started, on every master.
func TestCancelReachesFanOut(t *testing.T) {
	tc := newCluster(t, codec.Msgpack, codec.Msgpack)
	_, a := tc.worker("a", codec.Msgpack, 0)
	_, b := tc.worker("b", codec.Msgpack, 1)
	cl := tc.client(nil)
	waitWorkers(t, cl, map[string]string{"a": "m0", "b": "m1"}, 5*time.Second)

	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan int, 1)
	go func() {
		cancelled := 0
		for _, r := range cl.CallAll(ctx, "Work.Wait", 0, func() any { return new(int) }) {
			if errors.Is(r.Err, context.Canceled) {
				cancelled++
			}
		}
		done <- cancelled
	}()
	waitStarted(t, a)
	waitStarted(t, b)
	cancel()
	select {
	case n := <-done:
		if n != 2 {
			t.Errorf("%d results were cancelled, want 2", n)
		}
	case <-time.After(2 * time.Second):
		t.Fatal("CallAll did not return at its cancel")
	}
	waitCancelled(t, a, "worker a")
	waitCancelled(t, b, "worker b")
}

// A master that closes ends the calls it relays: the caller gets an error
// that Is peer.ErrClosed, and the worker's handler a cancel.
func TestMasterCloseEndsItsCalls(t *testing.T) {
	tc := newCluster(t, codec.Msgpack)
	_, w := tc.worker("w", codec.Msgpack, 0)
	cl := tc.client(nil)
	waitWorkers(t, cl, map[string]string{"w": "m0"}, 5*time.Second)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- cl.Call(ctx, "w", "Work.Wait", 0, nil) }()
	waitStarted(t, w)
	tc.masters[0].m.Close()
	select {
	case err := <-done:
		if !errors.Is(err, peer.ErrClosed) {
			t.Errorf("a call whose master closed: got %v, want ErrClosed", err)
		}
	case <-ctx.Done():
		t.Fatal("the call did not end when its master closed")
	}
	waitCancelled(t, w, "master closed")
	// A graceful close says so: the worker leaves the view at once.
	waitWorkers(t, cl, map[string]string{}, time.Second)
}

// Shutdown lets the calls in flight finish and refuses new ones.
func TestMasterShutdownLetsCallsFinish(t *testing.T) {
	tc := newCluster(t, codec.Msgpack)
	_, w := tc.worker("w", codec.Msgpack, 0)
	cl := tc.client(nil)
	waitWorkers(t, cl, map[string]string{"w": "m0"}, 5*time.Second)
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- cl.Call(ctx, "w", "Work.Wait", 0, nil) }()
	waitStarted(t, w)
	shut := make(chan error, 1)
	go func() { shut <- tc.masters[0].m.Shutdown(context.Background()) }()
	waitWorkers(t, cl, map[string]string{}, time.Second) // refuses new calls at once
	if err := cl.Call(context.Background(), "w", "Work.Hello", "x", new(string)); err == nil {
		t.Error("a call during Shutdown succeeded")
	}
	select {
	case <-shut:
		t.Fatal("Shutdown returned while a call was in flight")
	case <-time.After(50 * time.Millisecond):
	}
	if err := <-done; !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("the call in flight: got %v", err)
	}
	select {
	case err := <-shut:
		if err != nil {
			t.Errorf("Shutdown: %v", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Shutdown did not return once the call in flight ended")
	}
	waitCancelled(t, w, "shutdown")
}
