package peer_test

import (
	"context"
	"errors"
	"fmt"
	"net/rpc"
	"sync"
	"testing"
	"time"

	"github.com/duplexrpc/duplex/codec"
	"github.com/duplexrpc/duplex/internal/rpctest"
	"github.com/duplexrpc/duplex/peer"
)

// TestConformanceBothWays runs the codec conformance table through peers,
// in both directions over one connection, for every codec.
func TestConformanceBothWays(t *testing.T) {
	for _, c := range codec.All() {
		t.Run(c.Name(), func(t *testing.T) {
			t.Parallel()
			a, b := peerPair(t, c, bindTestServices(), bindTestServices())
			t.Run("a calls b", func(t *testing.T) { rpctest.RunConformance(t, callOf(a)) })
			t.Run("b calls a", func(t *testing.T) { rpctest.RunConformance(t, callOf(b)) })
		})
	}
}

func bindBouncer(p *peer.Peer, s *peer.Registry) error { return s.Register(&rpctest.Bouncer{Self: p}) }

func TestNestedCalls(t *testing.T) {
	for _, c := range codec.All() {
		t.Run(c.Name(), func(t *testing.T) {
			t.Parallel()
			a, _ := peerPair(t, c, bindBouncer, bindBouncer)
			var got int
			if err := a.Call(context.Background(), "Bouncer.Bounce", 12, &got); err != nil || got != 12 {
				t.Fatalf("Bounce(12) = %d, %v; want 12, nil", got, err)
			}
		})
	}
}

// TestManyCallsBothWays makes 1000 calls each way at once on one connection.
func TestManyCallsBothWays(t *testing.T) {
	for _, c := range codec.All() {
		t.Run(c.Name(), func(t *testing.T) {
			t.Parallel()
			a, b := peerPair(t, c, bindTestServices(), bindTestServices())
			var wg sync.WaitGroup
			errs := make(chan error, 2000)
			for i := range 1000 {
				for _, p := range []*peer.Peer{a, b} {
					wg.Add(1)
					go func() {
						defer wg.Done()
						var got int
						if err := p.Call(context.Background(), "Arith.Multiply", &rpctest.Args{A: i, B: 7}, &got); err != nil {
							errs <- err
						} else if got != 7*i {
							errs <- fmt.Errorf("Multiply(%d, 7) = %d", i, got)
						}
					}()
				}
			}
			wg.Wait()
			close(errs)
			for err := range errs {
				t.Error(err)
			}
		})
	}
}

func TestCancelledCallDiscardsLateReply(t *testing.T) {
	for _, c := range codec.All() {
		t.Run(c.Name(), func(t *testing.T) {
			t.Parallel()
			blocker := rpctest.NewBlocker()
			a, _ := peerPair(t, c, nil, bindTestServices(blocker))
			ctx, cancel := context.WithCancel(context.Background())
			reply := -1
			done := make(chan error, 1)
			go func() { done <- a.Call(ctx, "Blocker.Wait", 42, &reply) }()
			<-blocker.Started
			cancel()
			if err := <-done; !errors.Is(err, context.Canceled) {
				t.Fatalf("cancelled Call = %v; want context.Canceled", err)
			}
			close(blocker.Release) // the late reply now arrives and must be dropped
			// The connection still works, and the reply never reached our value.
			var got int
			if err := a.Call(context.Background(), "Arith.Multiply", &rpctest.Args{A: 3, B: 4}, &got); err != nil || got != 12 {
				t.Fatalf("call after cancel = %d, %v", got, err)
			}
			if reply != -1 { // read concurrently with any late write: -race catches it
				t.Fatalf("late reply written into the abandoned value: %d", reply)
			}
			if in, out := a.InFlight(); out != 0 {
				t.Fatalf("outgoing calls in flight = %d, %d; want 0", in, out)
			}
		})
	}
}

func TestCallToDeadPeerFails(t *testing.T) {
	for _, c := range codec.All() {
		t.Run(c.Name(), func(t *testing.T) {
			t.Parallel()
			blocker := rpctest.NewBlocker()
			a, b := peerPair(t, c, nil, bindTestServices(blocker))
			pendingErr := make(chan error, 1)
			go func() { pendingErr <- a.Call(context.Background(), "Blocker.Wait", 1, new(int)) }()
			<-blocker.Started
			close(blocker.Release)
			b.Close()
			select {
			case <-a.Done():
			case <-time.After(10 * time.Second):
				t.Fatal("a did not notice b closing")
			}
			if err := a.Call(context.Background(), "Arith.Multiply", &rpctest.Args{}, new(int)); !errors.Is(err, peer.ErrClosed) {
				t.Fatalf("call to a dead peer = %v; want ErrClosed", err)
			}
			if err := a.Err(); !errors.Is(err, peer.ErrClosed) {
				t.Fatalf("Err() = %v; want ErrClosed", err)
			}
			select {
			case err := <-pendingErr: // may have completed before the close; must not hang
				_ = err
			case <-time.After(10 * time.Second):
				t.Fatal("pending call hangs after the peer died")
			}
		})
	}
}

func TestPendingCallsFailOnClose(t *testing.T) {
	for _, c := range codec.All() {
		t.Run(c.Name(), func(t *testing.T) {
			t.Parallel()
			blocker := rpctest.NewBlocker()
			a, b := peerPair(t, c, nil, bindTestServices(blocker))
			errs := make(chan error, 5)
			for range 5 {
				go func() { errs <- a.Call(context.Background(), "Blocker.Wait", 1, new(int)) }()
			}
			for range 5 {
				<-blocker.Started
			}
			a.Close()
			for range 5 {
				if err := <-errs; !errors.Is(err, peer.ErrClosed) {
					t.Errorf("pending call = %v; want ErrClosed", err)
				}
			}
			close(blocker.Release)
			<-b.Done()
		})
	}
}

func TestWrongTypedReplyFailsOnlyThatCall(t *testing.T) {
	for _, c := range codec.All() {
		t.Run(c.Name(), func(t *testing.T) {
			t.Parallel()
			a, _ := peerPair(t, c, nil, bindTestServices())
			var wrong int
			if err := a.Call(context.Background(), "Echo.String", "not a number", &wrong); err == nil {
				t.Fatal("string reply decoded into an int without error")
			}
			var got string
			if err := a.Call(context.Background(), "Echo.String", "still up", &got); err != nil || got != "still up" {
				t.Fatalf("next call = %q, %v", got, err)
			}
		})
	}
}

func TestCloseDuringHeavyTraffic(t *testing.T) {
	for _, c := range codec.All() {
		t.Run(c.Name(), func(t *testing.T) {
			t.Parallel()
			a, b := peerPair(t, c, bindTestServices(), bindTestServices())
			var wg sync.WaitGroup
			for range 20 {
				for _, p := range []*peer.Peer{a, b} {
					wg.Add(1)
					go func() {
						defer wg.Done()
						for i := 0; ; i++ {
							var got int
							err := p.Call(context.Background(), "Arith.Multiply", &rpctest.Args{A: i, B: 2}, &got)
							if err != nil {
								if !errors.Is(err, peer.ErrClosed) {
									t.Errorf("call during close = %v; want ErrClosed", err)
								}
								return
							}
							if got != 2*i {
								t.Errorf("Multiply(%d, 2) = %d", i, got)
							}
						}
					}()
				}
			}
			time.Sleep(100 * time.Millisecond)
			a.Close()
			wg.Wait()
		})
	}
}

// Gate is a service whose Hold calls back the caller before replying, so
// that a handler at the in-flight cap waits on its own outgoing call.
type Gate struct {
	self    *peer.Peer
	release chan struct{}
}

func (g *Gate) Hold(n int, reply *int) error {
	<-g.release
	return g.self.Call(context.Background(), "Arith.Multiply", &rpctest.Args{A: n, B: 1}, reply)
}

func TestInFlightCapWithNestedCalls(t *testing.T) {
	for _, c := range codec.All() {
		t.Run(c.Name(), func(t *testing.T) {
			t.Parallel()
			release := make(chan struct{})
			bindB := func(p *peer.Peer, s *peer.Registry) error { return s.Register(&Gate{self: p, release: release}) }
			a, _ := peerPair(t, c, bindTestServices(), bindB, nil, &peer.Options{MaxInFlight: 2})
			calls := make([]*rpc.Call, 0, 2)
			for i := range 2 {
				calls = append(calls, a.Go("Gate.Hold", i, new(int), nil))
			}
			// Wait until both are in flight at b, then one more is refused.
			deadline := time.Now().Add(10 * time.Second)
			var err error
			for time.Now().Before(deadline) {
				if err = a.Call(context.Background(), "Gate.Hold", 9, new(int)); errors.Is(err, peer.ErrBusy) {
					break
				}
				time.Sleep(time.Millisecond)
			}
			if !errors.Is(err, peer.ErrBusy) {
				t.Fatalf("call over the cap = %v; want ErrBusy", err)
			}
			// The held handlers now call back a; their replies must come
			// although b is at its cap.
			close(release)
			for i, call := range calls {
				select {
				case <-call.Done:
					if call.Error != nil || *call.Reply.(*int) != i {
						t.Errorf("held call %d = %v, %v", i, *call.Reply.(*int), call.Error)
					}
				case <-time.After(10 * time.Second):
					t.Fatal("a handler at the cap deadlocked on its nested call")
				}
			}
		})
	}
}

func TestIdleTimeoutAndHeartbeat(t *testing.T) {
	t.Parallel()
	t.Run("silent peer is dropped", func(t *testing.T) {
		t.Parallel()
		a, _ := peerPair(t, codec.Msgpack, nil, nil, &peer.Options{IdleTimeout: 150 * time.Millisecond})
		select {
		case <-a.Done():
			if !errors.Is(a.Err(), peer.ErrIdle) {
				t.Fatalf("Err() = %v; want ErrIdle", a.Err())
			}
		case <-time.After(10 * time.Second):
			t.Fatal("idle peer not dropped")
		}
	})
	t.Run("heartbeat keeps it", func(t *testing.T) {
		t.Parallel()
		a, _ := peerPair(t, codec.Msgpack, nil, nil,
			&peer.Options{IdleTimeout: 300 * time.Millisecond},
			&peer.Options{Heartbeat: 30 * time.Millisecond})
		select {
		case <-a.Done():
			t.Fatalf("peer with a heartbeat dropped: %v", a.Err())
		case <-time.After(time.Second):
		}
	})
}

// Inbox records notifications.
type Inbox struct{ got chan string }

func (i *Inbox) Post(s string, _ *struct{}) error { i.got <- s; return nil }

func TestNotify(t *testing.T) {
	for _, c := range codec.All() {
		t.Run(c.Name(), func(t *testing.T) {
			t.Parallel()
			inbox := &Inbox{got: make(chan string, 1)}
			a, _ := peerPair(t, c, nil, bindTestServices(inbox))
			if err := a.Notify(context.Background(), "Nobody.Home", "ignored"); err != nil {
				t.Fatal(err)
			}
			if err := a.Notify(context.Background(), "Inbox.Post", "hello"); err != nil {
				t.Fatal(err)
			}
			select {
			case got := <-inbox.got:
				if got != "hello" {
					t.Fatalf("notified %q; want hello", got)
				}
			case <-time.After(10 * time.Second):
				t.Fatal("notification not delivered")
			}
			var n int // and the connection is still fine
			if err := a.Call(context.Background(), "Arith.Multiply", &rpctest.Args{A: 2, B: 2}, &n); err != nil || n != 4 {
				t.Fatalf("call after notify = %d, %v", n, err)
			}
		})
	}
}
