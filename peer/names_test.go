package peer_test

import (
	"bytes"
	"context"
	"errors"
	"net"
	"net/rpc"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/duplexrpc/duplex/codec"
	"github.com/duplexrpc/duplex/peer"
)

// Lsp is a service whose methods other ends know by LSP's names.
type Lsp struct{ progress chan string }

// ConfigParams are workspace/configuration's params.
type ConfigParams struct {
	Items []struct {
		Section string `json:"section"`
	} `json:"items"`
}

// Configuration answers one setting per item.
func (*Lsp) Configuration(params *ConfigParams, reply *[]any) error {
	for _, it := range params.Items {
		*reply = append(*reply, map[string]string{"section": it.Section})
	}
	return nil
}

// Progress reports $/progress notifications.
func (l *Lsp) Progress(params map[string]any, _ *struct{}) error {
	l.progress <- params["token"].(string)
	return nil
}

// recorder keeps what is written through it.
type recorder struct {
	net.Conn
	mu  sync.Mutex
	out bytes.Buffer
}

func (r *recorder) Write(p []byte) (int, error) {
	r.mu.Lock()
	r.out.Write(p)
	r.mu.Unlock()
	return r.Conn.Write(p)
}

func (r *recorder) written() string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.out.String()
}

// bindLsp registers Lsp under LSP's names.
func bindLsp(l *Lsp) peer.Binder {
	return func(_ *peer.Peer, r *peer.Registry) error {
		return errors.Join(
			r.Register(l),
			r.MapName("workspace/configuration", "Lsp.Configuration"),
			r.MapName("$/progress", "Lsp.Progress"),
		)
	}
}

// TestMapNameBothWays: a request and a notification under wire names run
// the mapped methods; a caller's Go name goes out as its wire name; and a
// wire name that maps to nothing is answered as net/rpc answers a name it
// cannot find, which JSON-RPC 2.0 makes "method not found".
func TestMapNameBothWays(t *testing.T) {
	for _, c := range []codec.Codec{codec.LSP, codec.JSONRPC2Lines, codec.Msgpack} {
		t.Run(c.Name(), func(t *testing.T) {
			t.Parallel()
			served := &Lsp{progress: make(chan string, 1)}
			ca, cb := tcpPair(t)
			rec := &recorder{Conn: cb}
			a, err := peer.New(ca, c, bindLsp(served))
			if err != nil {
				t.Fatal(err)
			}
			b, err := peer.New(rec, c, func(_ *peer.Peer, r *peer.Registry) error {
				return r.MapName("workspace/configuration", "Remote.Config") // a method of the other end
			})
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { a.Close(); b.Close() })
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()

			params := map[string]any{"items": []map[string]string{{"section": "gopls"}}}
			for _, name := range []string{"workspace/configuration", "Remote.Config", "Lsp.Configuration"} {
				var got []map[string]string
				if err := b.Call(ctx, name, params, &got); err != nil || len(got) != 1 || got[0]["section"] != "gopls" {
					t.Errorf("Call(%q) = %v, %v; want [{section: gopls}]", name, got, err)
				}
			}
			if strings.Contains(rec.written(), "Remote.Config") {
				t.Errorf("the Go name went on the wire: %q", rec.written())
			}
			if err := b.Notify(ctx, "$/progress", map[string]string{"token": "t1"}); err != nil {
				t.Fatal(err)
			}
			select {
			case tok := <-served.progress:
				if tok != "t1" {
					t.Errorf("$/progress ran with token %q; want t1", tok)
				}
			case <-ctx.Done():
				t.Fatal("$/progress never ran Lsp.Progress")
			}
			err = b.Call(ctx, "textDocument/nope", params, new(any))
			var remote rpc.ServerError
			if !errors.As(err, &remote) || !strings.HasPrefix(string(remote), "rpc: service/method request ill-formed: textDocument/nope") {
				t.Errorf("Call(textDocument/nope) error %v; want net/rpc's ill-formed name", err)
			}
		})
	}
}

// TestMapNameRefusals: each name is mapped once, and never to nothing.
func TestMapNameRefusals(t *testing.T) {
	r := peer.NewRegistry()
	if err := r.MapName("textDocument/hover", "Server.Hover"); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct{ wire, goName, want string }{
		{"textDocument/hover", "Server.Other", `wire name "textDocument/hover" is mapped already, to "Server.Hover"`},
		{"textDocument/other", "Server.Hover", `"Server.Hover" is mapped already, to wire name "textDocument/hover"`},
		{"", "Server.Hover", "needs a wire name and a Go name"},
		{"x", "", "needs a wire name and a Go name"},
		{"Same.Name", "Same.Name", "the names are the same"},
	} {
		if err := r.MapName(tc.wire, tc.goName); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("MapName(%q, %q) = %v; want an error saying %q", tc.wire, tc.goName, err, tc.want)
		}
	}
}
