package peer_test

import (
	"context"
	"encoding/json"
	"errors"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/duplexrpc/duplex/codec"
	"github.com/duplexrpc/duplex/internal/rpctest"
	"github.com/duplexrpc/duplex/peer"
)

// Counter streams integers.
type Counter struct {
	sent  atomic.Int64   // items sent by Forever
	ended chan time.Time // when Forever's context ended
	peer  *peer.Peer     // the connection's own peer, to call back
	back  chan string    // what a callback from Nested answered
}

func newCounter(p *peer.Peer) *Counter {
	return &Counter{ended: make(chan time.Time, 4), peer: p, back: make(chan string, 4)}
}

// Count streams 1..n.
func (c *Counter) Count(ctx context.Context, n int, out *peer.Stream[int]) error {
	for i := 1; i <= n; i++ {
		if err := out.Send(i); err != nil {
			return err
		}
	}
	return nil
}

// Item is an item that is an object, as MCP's progress params must be.
type Item struct{ N int }

// Objects streams {N: 1}..{N: n}.
func (c *Counter) Objects(ctx context.Context, n int, out *peer.Stream[Item]) error {
	for i := 1; i <= n; i++ {
		if err := out.Send(Item{i}); err != nil {
			return err
		}
	}
	return nil
}

// Fail streams 1..3, then fails with a code.
// Pages sends n pages of two strings: items that are slices.
func (c *Counter) Pages(ctx context.Context, n int, out *peer.Stream[[]string]) error {
	for i := 1; i <= n; i++ {
		if err := out.Send([]string{strconv.Itoa(i) + "a", strconv.Itoa(i) + "b"}); err != nil {
			return err
		}
	}
	return nil
}

func (c *Counter) Fail(ctx context.Context, _ int, out *peer.Stream[int]) error {
	for i := 1; i <= 3; i++ {
		if err := out.Send(i); err != nil {
			return err
		}
	}
	return &peer.Error{Code: 7, Message: "three is enough"}
}

// Forever streams until its context ends.
func (c *Counter) Forever(ctx context.Context, _ int, out *peer.Stream[Item]) error {
	defer func() { c.ended <- time.Now() }()
	for i := 1; ; i++ {
		if err := out.Send(Item{i}); err != nil {
			return err
		}
		c.sent.Add(1)
	}
}

// Nested calls its caller back between items.
func (c *Counter) Nested(ctx context.Context, n int, out *peer.Stream[string]) error {
	caller, _ := peer.FromContext(ctx)
	for i := range n {
		var up string
		if err := caller.Call(ctx, "Echo.Upper", "item", &up); err != nil {
			return err
		}
		if err := out.Send(up + string(rune('0'+i))); err != nil {
			return err
		}
	}
	return nil
}

func streamPair(t *testing.T, c codec.Codec, d *codec.Dialect, opts ...func(*peer.Options)) (a, b *peer.Peer, counter *Counter) {
	t.Helper()
	o := &peer.Options{Dialect: d}
	for _, f := range opts {
		f(o)
	}
	counter = newCounter(nil)
	bindB := func(p *peer.Peer, r *peer.Registry) error {
		counter.peer = p
		return errors.Join(r.Register(counter), r.Register(new(rpctest.Echo)))
	}
	a, b = peerPair(t, c, bindTestServices(), bindB, o, o)
	return a, b, counter
}

func TestStreamEveryWire(t *testing.T) {
	const n = 200 // more than three windows
	eachWire(t, func(t *testing.T, c codec.Codec, d *codec.Dialect) {
		a, _, _ := streamPair(t, c, d)
		want := 1
		// MCP's progress params are objects: so are the items of a stream
		// in its dialect.
		for v, err := range peer.CallStream[Item](context.Background(), a, "Counter.Objects", n) {
			if err != nil {
				t.Fatalf("after %d items: %v", want-1, err)
			}
			if v.N != want {
				t.Fatalf("item %d is %d", want, v.N)
			}
			want++
		}
		if want != n+1 {
			t.Fatalf("the stream ended after %d items; want %d", want-1, n)
		}
	})
}

func TestStreamEndsWithTheHandlersError(t *testing.T) {
	for _, c := range codec.All() {
		t.Run(c.Name(), func(t *testing.T) {
			a, _, _ := streamPair(t, c, nil)
			var got []int
			var last error
			for v, err := range peer.CallStream[int](context.Background(), a, "Counter.Fail", 0) {
				if err != nil {
					last = err
					break
				}
				got = append(got, v)
			}
			var e *peer.Error
			if len(got) != 3 || !errors.As(last, &e) || e.Message != "three is enough" {
				t.Fatalf("got %v then %v; want 1 2 3 then the handler's error", got, last)
			}
			if c != codec.JSONRPC && c != codec.Gob && e.Code != 7 {
				t.Errorf("code %d; want 7", e.Code)
			}
		})
	}
}

func TestStreamBreakCancelsTheHandler(t *testing.T) {
	eachWire(t, func(t *testing.T, c codec.Codec, d *codec.Dialect) {
		a, b, counter := streamPair(t, c, d)
		var broke time.Time
		for _, err := range peer.CallStream[Item](context.Background(), a, "Counter.Forever", 0) {
			if err != nil {
				t.Fatal(err)
			}
			broke = time.Now()
			break
		}
		select {
		case ended := <-counter.ended:
			if took := ended.Sub(broke); took > 100*time.Millisecond {
				t.Errorf("the handler's context ended %v after the break; want under 100ms", took)
			}
		case <-time.After(5 * time.Second):
			t.Fatal("breaking out did not end the handler")
		}
		waitIdle(t, b)
	})
}

// TestStreamFlowControl checks that a slow consumer holds its producer to
// the window: the producer never has more items sent than the consumer
// took plus the window.
func TestStreamFlowControl(t *testing.T) {
	const window = 8
	for _, c := range []codec.Codec{codec.Msgpack, codec.JSONRPC2, codec.Gob} {
		t.Run(c.Name(), func(t *testing.T) {
			a, _, counter := streamPair(t, c, nil, func(o *peer.Options) { o.StreamWindow = window })
			taken := int64(0)
			for _, err := range peer.CallStream[Item](context.Background(), a, "Counter.Forever", 0) {
				if err != nil {
					t.Fatal(err)
				}
				taken++
				time.Sleep(time.Millisecond)
				if ahead := counter.sent.Load() - taken; ahead > window {
					t.Fatalf("the producer sent %d items past the %d taken; the window is %d", ahead, taken, window)
				}
				if taken == 100 {
					break
				}
			}
		})
	}
}

func TestStreamEndsWhenThePeerDies(t *testing.T) {
	for _, c := range codec.All() {
		t.Run(c.Name(), func(t *testing.T) {
			a, b, _ := streamPair(t, c, nil)
			n := 0
			var last error
			for _, err := range peer.CallStream[Item](context.Background(), a, "Counter.Forever", 0) {
				if err != nil {
					last = err
					break
				}
				if n++; n == 3 {
					go b.Close()
				}
			}
			if !errors.Is(last, peer.ErrClosed) {
				t.Fatalf("the loop ended with %v; want an error that Is ErrClosed", last)
			}
		})
	}
}

// A plain call of a streaming method is answered with CodeNotStreamed
// before the handler runs, on every wire, so that calling again as a
// stream runs nothing twice; under a dialect without credit (lsp) it gets
// the items in its answer instead, as LSP wants of a request without a
// partialResultToken.
func TestStreamMethodCalledPlainly(t *testing.T) {
	eachWire(t, func(t *testing.T, c codec.Codec, d *codec.Dialect) {
		a, _, counter := streamPair(t, c, d)
		if d != nil && d.CreditMethod == "" {
			var all []int
			if err := a.Call(context.Background(), "Counter.Count", 3, &all); err != nil || !slices.Equal(all, []int{1, 2, 3}) {
				t.Fatalf("a plain call under %s: %v, %v; want the items [1 2 3] in the answer", c.Name(), all, err)
			}
			return
		}
		err := a.Call(context.Background(), "Counter.Forever", 0, nil)
		var e *peer.Error
		if !errors.Is(err, peer.ErrNotStreamed) || !errors.As(err, &e) || e.Code != codec.CodeNotStreamed {
			t.Fatalf("a plain call of a streaming method: %v; want CodeNotStreamed, which Is ErrNotStreamed", err)
		}
		if n := counter.sent.Load(); n != 0 {
			t.Fatalf("the handler ran and sent %d items", n)
		}
	})
}

// Under the lsp dialect, a plain call's answer appends the items of a
// handler whose items are slices, as LSP's partial results append to the
// result; past MaxCollected items the handler's Send fails.
func TestStreamCollectedUnderLSP(t *testing.T) {
	a, _, _ := streamPair(t, codec.LSP, codec.LSPDialect)
	var pages []string
	if err := a.Call(context.Background(), "Counter.Pages", 3, &pages); err != nil {
		t.Fatal(err)
	}
	if want := []string{"1a", "1b", "2a", "2b", "3a", "3b"}; !slices.Equal(pages, want) {
		t.Fatalf("the answer %q; want %q", pages, want)
	}
	err := a.Call(context.Background(), "Counter.Count", peer.MaxCollected+1, nil)
	if err == nil || !strings.Contains(err.Error(), "partialResultToken") {
		t.Fatalf("past MaxCollected: %v; want the error that names the bound", err)
	}
	var all []int
	if err := a.Call(context.Background(), "Counter.Count", 0, &all); err != nil || all == nil || len(all) != 0 {
		t.Fatalf("no items: %v, %v; want an empty list", all, err)
	}
}

func TestStreamOfAPlainMethodIsItsReply(t *testing.T) {
	for _, c := range codec.All() {
		if c == codec.Gob {
			continue // gob cannot tell a plain reply from a stream's end: nothing comes
		}
		t.Run(c.Name(), func(t *testing.T) {
			a, _, _ := streamPair(t, c, nil)
			var got []string
			for v, err := range peer.CallStream[string](context.Background(), a, "Echo.Upper", "one") {
				if err != nil {
					t.Fatal(err)
				}
				got = append(got, v)
			}
			if len(got) != 1 || got[0] != "ONE" {
				t.Fatalf("got %q; want the reply as the one item", got)
			}
		})
	}
}

func TestStreamHandlerCallsBack(t *testing.T) {
	for _, c := range codec.All() {
		t.Run(c.Name(), func(t *testing.T) {
			a, _, _ := streamPair(t, c, nil)
			var got []string
			for v, err := range peer.CallStream[string](context.Background(), a, "Counter.Nested", 3) {
				if err != nil {
					t.Fatal(err)
				}
				got = append(got, v)
			}
			if strings.Join(got, ",") != "ITEM0,ITEM1,ITEM2" {
				t.Fatalf("got %q", got)
			}
		})
	}
}

// Under the lsp dialect a stream of lists ends with an empty list, as LSP
// wants of partial results; a consumer takes it for the end, not for one
// more item, whatever the type it decodes items into.
func TestStreamOfListsUnderLSP(t *testing.T) {
	a, _, _ := streamPair(t, codec.LSP, codec.LSPDialect)
	ctx := context.Background()
	var pages [][]string
	for v, err := range peer.CallStream[[]string](ctx, a, "Counter.Pages", 3) {
		if err != nil {
			t.Fatal(err)
		}
		pages = append(pages, v)
	}
	if len(pages) != 3 || strings.Join(pages[2], ",") != "3a,3b" {
		t.Fatalf("the pages %q; want three", pages)
	}
	var raws []string
	for v, err := range peer.CallStream[json.RawMessage](ctx, a, "Counter.Pages", 2) {
		if err != nil {
			t.Fatal(err)
		}
		raws = append(raws, string(v))
	}
	if want := []string{`["1a","1b"]`, `["2a","2b"]`}; !slices.Equal(raws, want) {
		t.Fatalf("the raw pages %q; want %q", raws, want)
	}
}
