package main_test

import (
	"context"
	"errors"
	"net"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/duplexrpc/duplex/codec"
	"github.com/duplexrpc/duplex/peer"
)

type countArgs struct{ N, EveryMs int }

// dialPeer connects a peer to the server, in the dialect arith speaks on c.
func dialPeer(t *testing.T, addr string, c codec.Codec) *peer.Peer {
	t.Helper()
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	d := codec.DefaultDialect
	if c == codec.LSP {
		d = codec.LSPDialect
	}
	p, err := peer.NewWithOptions(conn, c, nil, &peer.Options{Dialect: d})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { p.Close() })
	return p
}

// Arith.Count yields 1 to N in order over every codec arith serves, as a
// stream (under lsp, LSP's partial results); a plain call of it is told
// it streams (under lsp: gets the list); bad params are named; breaking
// out after the first item ends the stream early.
func TestCount(t *testing.T) {
	for _, c := range codec.All() {
		t.Run(c.Name(), func(t *testing.T) {
			t.Parallel()
			s := startServer(t, c.Name())
			p := dialPeer(t, s.addr, c)
			ctx, cancel := context.WithTimeout(context.Background(), timeout)
			defer cancel()

			var got []int
			for v, err := range peer.CallStream[int](ctx, p, "Arith.Count", countArgs{N: 5, EveryMs: 1}) {
				if err != nil {
					t.Fatal(err)
				}
				got = append(got, v)
			}
			if !slices.Equal(got, []int{1, 2, 3, 4, 5}) {
				t.Fatalf("Count(5) yielded %v", got)
			}

			var all []int
			err := p.Call(ctx, "Arith.Count", countArgs{N: 3}, &all)
			if c == codec.LSP {
				if err != nil || !slices.Equal(all, []int{1, 2, 3}) {
					t.Fatalf("a plain Count(3) over lsp: %v, %v; want the list", all, err)
				}
			} else if !errors.Is(err, peer.ErrNotStreamed) {
				t.Fatalf("a plain Count(3): %v; want ErrNotStreamed", err)
			}

			for _, err := range peer.CallStream[int](ctx, p, "Arith.Count", countArgs{N: -1}) {
				// Gob and JSON-RPC 1.0 carry an error's text only.
				textOnly := c == codec.Gob || c == codec.JSONRPC
				var e *peer.Error
				switch {
				case err == nil || !strings.Contains(err.Error(), "N is -1"):
					t.Fatalf("Count(-1): %v; want an error naming N", err)
				case !textOnly && (!errors.As(err, &e) || e.Code != codec.CodeInvalidParams):
					t.Fatalf("Count(-1): %v; want code %d", err, codec.CodeInvalidParams)
				}
			}

			// A minute of items, broken off after the first: the next call
			// on the connection is answered at once.
			for v, err := range peer.CallStream[int](ctx, p, "Arith.Count", countArgs{N: 60, EveryMs: 1000}) {
				if err != nil || v != 1 {
					t.Fatalf("the first item: %d, %v", v, err)
				}
				break
			}
			start := time.Now()
			var product int
			if err := p.Call(ctx, "Arith.Multiply", struct{ A, B int }{7, 8}, &product); err != nil || product != 56 {
				t.Fatalf("Multiply after a broken stream: %d, %v", product, err)
			}
			if d := time.Since(start); d > 5*time.Second {
				t.Errorf("Multiply after a broken stream took %v", d)
			}
		})
	}
}
