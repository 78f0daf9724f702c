package peer_test

import (
	"context"
	"encoding/json"
	"errors"
	"net/rpc"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/duplexrpc/duplex/codec"
	"github.com/duplexrpc/duplex/internal/rpctest"
	"github.com/duplexrpc/duplex/peer"
	"github.com/vmihailenco/msgpack/v5"
)

// The fallback answers every method the registry lacks, dotted or not, on
// every codec; registered methods still come first, and Methods does not
// list it.
func TestFallbackServesUnknownMethods(t *testing.T) {
	for _, c := range codec.All() {
		t.Run(c.Name(), func(t *testing.T) {
			var server *peer.Registry
			bind := func(p *peer.Peer, r *peer.Registry) error {
				server = r
				peer.SetFallback(r, func(ctx context.Context, method, args string, reply *string) error {
					if p, ok := peer.FromContext(ctx); !ok || p == nil {
						return errors.New("no peer in the fallback's context")
					}
					*reply = method + ":" + args
					return nil
				})
				return r.Register(new(rpctest.Arith))
			}
			a, _ := peerPair(t, c, nil, bind)
			ctx := context.Background()
			for _, method := range []string{"Nope.Echo", "Arith.Nope", "echo", "a/b$c"} {
				var got string
				if err := a.Call(ctx, method, "hi", &got); err != nil || got != method+":hi" {
					t.Errorf("Call(%q) = %q, %v; want %q", method, got, err, method+":hi")
				}
			}
			var product int
			if err := a.Call(ctx, "Arith.Multiply", &rpctest.Args{A: 6, B: 7}, &product); err != nil || product != 42 {
				t.Errorf("Arith.Multiply = %d, %v; want 42: a registered method comes first", product, err)
			}
			for _, m := range server.Methods() {
				if !strings.HasPrefix(m.Name, "Arith.") {
					t.Errorf("Methods lists %q", m.Name)
				}
			}
		})
	}
}

// A fallback of json.RawMessage, or msgpack.RawMessage, takes the single
// param when there is one and the whole params array when there are
// several, and its reply goes back as it is.
func TestFallbackTakesRawParams(t *testing.T) {
	type call struct {
		args any
		want string // the JSON of what the fallback got and echoed
	}
	calls := []call{
		{"hi", `"hi"`},
		{map[string]int{"A": 1}, `{"A":1}`},
		{codec.Params{1, "two", nil}, `[1,"two",null]`},
	}
	check := func(t *testing.T, a *peer.Peer, got func() string) {
		for _, c := range calls {
			var reply any
			if err := a.Call(context.Background(), "Any.Thing", c.args, &reply); err != nil {
				t.Fatalf("Call(%v): %v (%T)", c.args, err, err)
			}
			if g := got(); g != c.want {
				t.Errorf("the fallback got %s for %v; want %s", g, c.args, c.want)
			}
			if b, _ := json.Marshal(reply); string(b) != c.want {
				t.Errorf("the caller got back %s for %v; want %s", b, c.args, c.want)
			}
		}
	}
	for _, c := range []codec.Codec{codec.JSONRPC, codec.JSONRPC2} {
		t.Run(c.Name(), func(t *testing.T) {
			var last json.RawMessage
			a, _ := peerPair(t, c, nil, func(_ *peer.Peer, r *peer.Registry) error {
				peer.SetFallback(r, func(_ context.Context, _ string, args json.RawMessage, reply *json.RawMessage) error {
					last, *reply = args, args
					return nil
				})
				return nil
			})
			check(t, a, func() string { return string(last) })
		})
	}
	t.Run("msgpack", func(t *testing.T) {
		var last any
		a, _ := peerPair(t, codec.Msgpack, nil, func(_ *peer.Peer, r *peer.Registry) error {
			peer.SetFallback(r, func(_ context.Context, _ string, args msgpack.RawMessage, reply *msgpack.RawMessage) error {
				last = nil // msgpack decodes into what an interface holds
				if err := msgpack.Unmarshal(args, &last); err != nil {
					return err
				}
				*reply = args
				return nil
			})
			return nil
		})
		check(t, a, func() string {
			b, _ := json.Marshal(last)
			return string(b)
		})
	})
}

// A fallback's error reaches the caller as a remote error, and its context
// ends when the caller gives up.
func TestFallbackErrorAndCancel(t *testing.T) {
	ended := make(chan error, 1)
	a, _ := peerPair(t, codec.Msgpack, nil, func(_ *peer.Peer, r *peer.Registry) error {
		peer.SetFallback(r, func(ctx context.Context, method string, _ any, _ *any) error {
			if method != "Slow.Wait" {
				return errors.New("no such thing as " + method)
			}
			<-ctx.Done()
			ended <- ctx.Err()
			return ctx.Err()
		})
		return nil
	})
	var reply any
	err := a.Call(context.Background(), "Fail.Now", 1, &reply)
	if want := rpc.ServerError("no such thing as Fail.Now"); !errors.Is(err, want) {
		t.Errorf("Call(Fail.Now) = %v; want %v", err, want)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	if err := a.Call(ctx, "Slow.Wait", 1, &reply); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("Call(Slow.Wait) = %v; want %v", err, context.DeadlineExceeded)
	}
	select {
	case err := <-ended:
		if !errors.Is(err, context.Canceled) {
			t.Errorf("the fallback's context ended with %v; want %v", err, context.Canceled)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the fallback's context did not end after the caller gave up")
	}
}

// Notifications reach the fallback, but heartbeats do not.
func TestFallbackNotifications(t *testing.T) {
	got := make(chan string, 10)
	a, _ := peerPair(t, codec.JSONRPC2, nil, func(_ *peer.Peer, r *peer.Registry) error {
		peer.SetFallback(r, func(_ context.Context, method string, _ any, _ *any) error {
			got <- method
			return nil
		})
		return nil
	}, nil, &peer.Options{OrderedNotifications: true})
	ctx := context.Background()
	for _, m := range []string{peer.HeartbeatMethod, "Log.Line", peer.HeartbeatMethod, "Log.End"} {
		if err := a.Notify(ctx, m, 0); err != nil {
			t.Fatal(err)
		}
	}
	for _, want := range []string{"Log.Line", "Log.End"} {
		select {
		case m := <-got:
			if m != want {
				t.Fatalf("the fallback got %q; want %q", m, want)
			}
		case <-time.After(10 * time.Second):
			t.Fatalf("the fallback never got %q", want)
		}
	}
}

// A nil fallback removes it: net/rpc's errors come back.
func TestFallbackRemoved(t *testing.T) {
	a, b := peerPair(t, codec.JSONRPC2, nil, func(_ *peer.Peer, r *peer.Registry) error {
		peer.SetFallback(r, func(context.Context, string, any, *any) error { return nil })
		return nil
	})
	var reply any
	if err := a.Call(context.Background(), "Any.Thing", 1, &reply); err != nil {
		t.Fatalf("with a fallback: %v", err)
	}
	peer.SetFallback[any, any](b.Registry(), nil)
	err := a.Call(context.Background(), "Any.Thing", 1, &reply)
	if want := rpc.ServerError("rpc: can't find service Any.Thing"); !errors.Is(err, want) {
		t.Fatalf("without: %v; want %v", err, want)
	}
}

// A fallback whose reply is a Stream streams, on every codec: its items
// come to CallStream, and a plain call of it is answered at once with
// ErrNotStreamed, without running it.
func TestFallbackStreams(t *testing.T) {
	for _, c := range codec.All() {
		t.Run(c.Name(), func(t *testing.T) {
			var runs atomic.Int64
			bind := func(p *peer.Peer, r *peer.Registry) error {
				peer.SetFallback(r, func(ctx context.Context, method string, n int, out *peer.Stream[string]) error {
					runs.Add(1)
					for i := range n {
						if err := out.Send(method + strconv.Itoa(i)); err != nil {
							return err
						}
					}
					return nil
				})
				return nil
			}
			a, _ := peerPair(t, c, nil, bind)
			ctx := context.Background()
			var got []string
			for v, err := range peer.CallStream[string](ctx, a, "Any.Thing", 3) {
				if err != nil {
					t.Fatal(err)
				}
				got = append(got, v)
			}
			if strings.Join(got, " ") != "Any.Thing0 Any.Thing1 Any.Thing2" {
				t.Fatalf("the stream of a fallback yielded %q", got)
			}
			if err := a.Call(ctx, "Any.Thing", 3, nil); !errors.Is(err, peer.ErrNotStreamed) {
				t.Fatalf("a plain call of a streaming fallback: %v; want ErrNotStreamed", err)
			}
			if n := runs.Load(); n != 1 {
				t.Fatalf("the fallback ran %d times; want once, for the stream", n)
			}
		})
	}
}
