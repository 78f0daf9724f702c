package main_test

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/duplexrpc/duplex/codec"
	"github.com/duplexrpc/duplex/peer"
)

// allCodecs are the codecs the command takes, the framed ones included.
var allCodecs = []codec.Codec{codec.Msgpack, codec.MsgpackUgorji, codec.JSONRPC, codec.JSONRPC2, codec.LSP, codec.JSONRPC2Lines}

// -H sends metadata with calls and notifications, over every codec; a call
// without -H sends none.
func TestMetadata(t *testing.T) {
	for _, c := range allCodecs {
		t.Run(c.Name(), func(t *testing.T) {
			t.Parallel()
			s := startServer(t, listenURL(t, "tcp"), c, false, nil)
			name := c.Name()
			duplexRun(t, "call", "-codec", name, "-H", "traceparent=00-0af7-01", "-H", "who=a=b c", s.url, "Beside.Meta", "0").
				want(t, 0, "[\n  \"traceparent=00-0af7-01\",\n  \"who=a=b c\"\n]\n")
			duplexRun(t, "call", "-codec", name, "-H", "empty=", s.url, "Beside.Meta", "0").want(t, 0, "[\n  \"empty=\"\n]\n")
			duplexRun(t, "call", "-codec", name, s.url, "Beside.Meta", "0").want(t, 0, "[]\n")
			duplexRun(t, "notify", "-codec", name, s.url, "Notes.Meta", `"n"`, "-H", "k=v").want(t, 0, "")
			s.wantNotes(t, "n k=v")
		})
	}
}

// master -call sends -H with each call.
func TestMasterMetadata(t *testing.T) {
	m := start(t, duplex, "master", "-listen", "127.0.0.1:0", "-n", "1", "-H", "k=v", "-call", "Beside.Meta", "0")
	dialGoWorker(t, m.address(t), codec.Msgpack, nil)
	m.waitLine(t, `master: worker 1: Beside.Meta -> ["k=v"]`)
	if code := m.wait(t); code != 0 {
		t.Fatalf("exit %d; want 0: %v", code, m)
	}
}

// list sends -H too, for a remote that serves only the callers whose
// metadata has its token.
func TestListMetadata(t *testing.T) {
	s := startServerWith(t, listenURL(t, "tcp"), codec.JSONRPC2, nil, &peer.HubOptions{Peer: &peer.Options{
		Intercept: func(ctx context.Context, method string, serve func(context.Context) error) error {
			if peer.IncomingMetadata(ctx)["token"] != "t1" {
				return errors.New("no token")
			}
			return serve(ctx)
		},
	}}, func(r *peer.Registry) error { return r.RegisterIntrospection() })
	duplexRun(t, "list", "-codec", "jsonrpc2", s.url, "Arith.M").want(t, 1, "", "duplex: duplex.Methods: remote error -32000: no token\n")
	duplexRun(t, "list", "-codec", "jsonrpc2", "-H", "token=t1", s.url, "Arith.M").
		want(t, 0, "Arith.Multiply  {\"A\": int, \"B\": int}  ->  int\n")
	// The suggestion of list carries the -H that got the call through.
	duplexRun(t, "call", "-codec", "jsonrpc2", "-H", "token=t1", s.url, "Arith.Nope", "1").want(t, 1, "",
		"duplex: Arith.Nope: remote error -32601: rpc: can't find method Arith.Nope; the remote lists its methods: duplex list -codec jsonrpc2 -H token=t1 "+s.url+" Arith.\n")
}

// -dialect is the peer's: mcp and lsp send a call's object params by name
// over JSON-RPC 2.0, where the default sends them as a list.
func TestDialectParams(t *testing.T) {
	s := startServer(t, listenURL(t, "tcp"), codec.JSONRPC2, false, nil)
	for dialect, params := range map[string]string{
		"default": `"params":[{"A":7,"B":8}]`,
		"lsp":     `"params":{"A":7,"B":8}`,
		"mcp":     `"params":{"A":7,"B":8}`,
	} {
		r := duplexRun(t, "call", "-v", "-codec", "jsonrpc2", "-dialect", dialect, s.url, "Arith.Multiply", `{"A": 7, "B": 8}`)
		r.want(t, 0, "56\n", `--> `, `{"jsonrpc":"2.0","method":"Arith.Multiply",`+params+`,"id":1}`)
	}
	m := start(t, duplex, "master", "-listen", "127.0.0.1:0", "-codec", "jsonrpc2", "-dialect", "mcp", "-v", "-n", "1", "-call", "Arith.Multiply", `{"A": 6, "B": 7}`)
	dialGoWorker(t, m.address(t), codec.JSONRPC2, nil)
	m.waitLine(t, "master: worker 1: Arith.Multiply -> 42")
	if code := m.wait(t); code != 0 {
		t.Fatalf("exit %d; want 0: %v", code, m)
	}
	if want := `"method":"Arith.Multiply","params":{"A":6,"B":7}`; !strings.Contains(m.stderr.String(), want) {
		t.Errorf("the master's call did not go by name (%s): %v", want, m)
	}
}

// A worker with -dialect mcp understands MCP's cancel: the command of the
// call a master cancels with notifications/cancelled is killed at once.
func TestWorkerDialect(t *testing.T) {
	cancelled := make(chan error, 1)
	m := startServerWith(t, listenURL(t, "tcp"), codec.JSONRPC2, nil, &peer.HubOptions{
		Peer: &peer.Options{Dialect: codec.MCPDialect},
		OnConnect: func(p *peer.Peer) {
			ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
			defer cancel()
			var reply any
			cancelled <- p.Call(ctx, "Slow.Sleep", 1, &reply)
		},
	}, func(*peer.Registry) error { return nil })
	w := start(t, duplex, "worker", "-connect", m.url, "-codec", "jsonrpc2", "-dialect", "mcp", "-v", "-exec", "sleep 20")
	if err := <-cancelled; !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("the master's call: %v; want %v", err, context.DeadlineExceeded)
	}
	// Well before the command would have ended by itself.
	deadline := time.Now().Add(10 * time.Second)
	for !containsLine(w.output(), "worker: Slow.Sleep 1 -> error: context canceled") {
		if time.Now().After(deadline) {
			t.Fatalf("the cancelled call's command was not killed: %v", w)
		}
		time.Sleep(20 * time.Millisecond)
	}
	if !strings.Contains(w.stderr.String(), `"method":"notifications/cancelled"`) {
		t.Errorf("the cancel that came was not MCP's: %v", w)
	}
}

func containsLine(lines []string, want string) bool {
	for _, l := range lines {
		if l == want {
			return true
		}
	}
	return false
}

// -progress prints the remote's progress on stderr, one JSON line each,
// in order, before the reply; without it nothing is printed.
func TestProgress(t *testing.T) {
	want := `{"progress":{"step":1}}` + "\n" + `{"progress":{"step":2}}` + "\n" + `{"progress":{"step":3}}` + "\n"
	for _, c := range allCodecs {
		for _, dialect := range []string{"default", "lsp", "mcp"} {
			t.Run(fmt.Sprintf("%s/%s", c.Name(), dialect), func(t *testing.T) {
				t.Parallel()
				s := startServerWith(t, listenURL(t, "tcp"), c, nil, &peer.HubOptions{Peer: &peer.Options{Dialect: mustDialect(t, dialect)}},
					func(*peer.Registry) error { return nil })
				r := duplexRun(t, "call", "-progress", "-codec", c.Name(), "-dialect", dialect, s.url, "Beside.Steps", "3")
				got := r.stderr
				if dialect == "mcp" {
					// The peer gives an MCP progress value with its
					// progressToken member (codec.Dialect's doc says
					// "less the token"); the command prints what it is
					// given.
					got = mcpToken.ReplaceAllString(got, "{")
				}
				if r.code != 0 || r.stdout != "\"done\"\n" || got != want {
					t.Fatalf("got %v\nwant exit 0, stdout \"done\" and stderr:\n%s", r, want)
				}
				if r := duplexRun(t, "call", "-codec", c.Name(), "-dialect", dialect, s.url, "Beside.Steps", "3"); r.code != 0 || r.stdout != "\"done\"\n" || r.stderr != "" {
					t.Fatalf("without -progress: got %v\nwant exit 0, stdout \"done\" and no stderr", r)
				}
			})
		}
	}
}

// mcpToken is the progressToken member that leads an MCP progress value.
var mcpToken = regexp.MustCompile(`\{"progressToken":\d+,`)

func mustDialect(t testing.TB, name string) *codec.Dialect {
	t.Helper()
	d, err := codec.DialectByName(name)
	if err != nil {
		t.Fatal(err)
	}
	return d
}
