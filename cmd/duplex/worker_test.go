package main_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/rpc"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/duplexrpc/duplex/codec"
	"github.com/duplexrpc/duplex/peer"
	"github.com/duplexrpc/duplex/transport"
)

// goMaster is a Go master in this process: it runs calls on every worker
// that connects, and reports how they went on done.
type goMaster struct {
	url  string
	hub  *peer.Hub
	done chan error
}

// startGoMaster listens on listen; calls runs on each worker.
func startGoMaster(t testing.TB, listen string, c codec.Codec, topts *transport.Options, calls func(ctx context.Context, p *peer.Peer) error) *goMaster {
	t.Helper()
	ln, err := transport.Listen(context.Background(), listen, topts)
	if err != nil {
		t.Fatal(err)
	}
	m := &goMaster{url: ln.URL(), done: make(chan error, 10)}
	m.hub = peer.NewHub(c, nil, &peer.HubOptions{OnConnect: func(p *peer.Peer) {
		ctx, cancel := context.WithTimeout(context.Background(), timeout)
		defer cancel()
		m.done <- calls(ctx, p)
	}})
	served := make(chan error, 1)
	go func() { served <- m.hub.Serve(ln) }()
	t.Cleanup(func() {
		m.hub.Close()
		<-served
	})
	return m
}

// await waits for the calls on one worker to end, and fails the test if
// they went wrong.
func (m *goMaster) await(t testing.TB, w *proc) {
	t.Helper()
	select {
	case err := <-m.done:
		if err != nil {
			t.Fatalf("the master's calls: %v\nworker: %v", err, w)
		}
	case <-time.After(timeout):
		t.Fatalf("no worker had its calls within %v\nworker: %v", timeout, w)
	}
}

// callJSON calls method with args and checks that the reply, as JSON, is
// want.
func callJSON(ctx context.Context, p *peer.Peer, method string, args any, want string) error {
	var reply any
	if err := p.Call(ctx, method, args, &reply); err != nil {
		return fmt.Errorf("%s: %w", method, err)
	}
	got, _ := json.Marshal(reply)
	var w any
	json.Unmarshal([]byte(want), &w)
	wantJSON, _ := json.Marshal(w)
	if string(got) != string(wantJSON) {
		return fmt.Errorf("%s(%v) = %s; want %s", method, args, got, wantJSON)
	}
	return nil
}

// echoCalls are a Go master's calls to an echoing worker: whatever the
// method, it gets back the single param, or the params.
func echoCalls(ctx context.Context, p *peer.Peer) error {
	var s string
	if err := p.Call(ctx, "Echo.Echo", "hi", &s); err != nil || s != "hi" {
		return fmt.Errorf(`Echo.Echo("hi") = %q, %v; want "hi"`, s, err)
	}
	return errors.Join(
		callJSON(ctx, p, "Any.Method", codec.Params{1, "two", nil}, `[1, "two", null]`),
		callJSON(ctx, p, "nodots", map[string]int{"A": 1}, `{"A": 1}`),
	)
}

// The worker answers a Go master's calls, whatever their methods, with
// their arguments, over every transport and codec; it logs each call, and
// exits 0 when the master closes the connection.
func TestWorkerEchoes(t *testing.T) {
	for _, scheme := range schemes {
		for _, c := range codecs {
			t.Run(scheme+"/"+c.Name(), func(t *testing.T) {
				t.Parallel()
				m := startGoMaster(t, listenURL(t, scheme), c, nil, echoCalls)
				w := start(t, duplex, "worker", "-connect", m.url, "-codec", c.Name())
				m.await(t, w)
				w.waitLine(t, `worker: Echo.Echo "hi" -> "hi"`)
				w.waitLine(t, `worker: Any.Method [1,"two",null] -> [1,"two",null]`)
				w.waitLine(t, `worker: nodots {"A":1} -> {"A":1}`)
				m.hub.Close()
				w.waitLine(t, "worker: the master closed the connection")
				if code := w.wait(t); code != 0 {
					t.Fatalf("exit %d; want 0: %v", code, w)
				}
			})
		}
	}
}

// execScript answers by method: an error, plain text, a wait, or the
// method, codec and argument as JSON.
const execScript = `read -r arg
case "$DUPLEX_METHOD" in
Fail.*) echo "boom: $arg" >&2; exit 3;;
Text.*) echo "hello there";;
Slow.*) sleep 30;;
*) printf '{"method": "%s", "codec": "%s", "arg": %s}\n' "$DUPLEX_METHOD" "$DUPLEX_CODEC" "$arg";;
esac
`

// With -exec, each call runs the command with the argument on stdin, and
// is answered with what it prints, or with an error when it fails; a call
// the master gives up on kills it.
func TestWorkerExec(t *testing.T) {
	script := filepath.Join(t.TempDir(), "answer.sh")
	if err := os.WriteFile(script, []byte(execScript), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, c := range append(codecs, codec.MsgpackUgorji) {
		t.Run(c.Name(), func(t *testing.T) {
			t.Parallel()
			m := startGoMaster(t, listenURL(t, "tcp"), c, nil, func(ctx context.Context, p *peer.Peer) error {
				var text string
				if err := p.Call(ctx, "Text.Say", "x", &text); err != nil || text != "hello there" {
					return fmt.Errorf(`Text.Say = %q, %v; want "hello there"`, text, err)
				}
				err := p.Call(ctx, "Fail.Now", "x", &text)
				if want := rpc.ServerError(`exit status 3: boom: "x"`); !errors.Is(err, want) {
					return fmt.Errorf("Fail.Now: %v; want %v", err, want)
				}
				slow, cancel := context.WithTimeout(ctx, 300*time.Millisecond)
				defer cancel()
				if err := p.Call(slow, "Slow.Sleep", 1, &text); !errors.Is(err, context.DeadlineExceeded) {
					return fmt.Errorf("Slow.Sleep: %v; want %v", err, context.DeadlineExceeded)
				}
				return callJSON(ctx, p, "Job.Run", map[string]any{"n": 1, "s": "x y"},
					`{"method": "Job.Run", "codec": "`+c.Name()+`", "arg": {"n": 1, "s": "x y"}}`)
			})
			w := start(t, duplex, "worker", "-connect", m.url, "-codec", c.Name(), "-exec", "sh "+script)
			m.await(t, w)
			// The cancelled call's command was killed, and its call ended.
			w.waitLine(t, "worker: Slow.Sleep 1 -> error: context canceled")
			w.waitLine(t, `worker: Fail.Now "x" -> error: exit status 3: boom: "x"`)
			if !strings.Contains(w.stderr.String(), `boom: "x"`) {
				t.Errorf("the command's stderr was not passed on: %v", w)
			}
		})
	}
}

// Against examples/masterworker's master, as its users run it: a worker
// that echoes, and one that runs a command, over TCP and WebSocket.
func TestWorkerAgainstMasterworker(t *testing.T) {
	for _, tg := range []struct{ scheme, codec string }{{"tcp", "msgpack"}, {"ws", "jsonrpc2"}} {
		t.Run(tg.scheme+"/"+tg.codec, func(t *testing.T) {
			t.Parallel()
			m := start(t, masterworker, "master", "-listen", listenURL(t, tg.scheme), "-codec", tg.codec)
			addr := m.address(t)
			echo := start(t, duplex, "worker", "-connect", addr, "-codec", tg.codec)
			for i := range 5 {
				m.waitLine(t, fmt.Sprintf("master: worker 1 answered %q", fmt.Sprintf("hello client!:%d", i)))
				echo.waitLine(t, fmt.Sprintf(`worker: Echo.Echo "hello client!:%d" -> "hello client!:%d"`, i, i))
			}
			upper := start(t, duplex, "worker", "-connect", addr, "-codec", tg.codec, "-exec", "tr a-z A-Z")
			for i := range 5 {
				m.waitLine(t, fmt.Sprintf("master: worker 2 answered %q", fmt.Sprintf("HELLO CLIENT!:%d", i)))
			}
			if code := m.interrupt(t); code != 0 {
				t.Fatalf("the master exited with %d: %v", code, m)
			}
			for _, w := range []*proc{echo, upper} {
				w.waitLine(t, "worker: the master closed the connection")
				if code := w.wait(t); code != 0 {
					t.Errorf("a worker exited with %d: %v", code, w)
				}
			}
		})
	}
}

// With -redial the worker waits for a master that is not up yet, and
// serves it once it is; an interrupt stops it, with exit 0.
func TestWorkerRedials(t *testing.T) {
	addr := freeAddr(t)
	w := start(t, duplex, "worker", "-redial", "-connect", addr)
	w.waitFor(t, "a failed dial", func(l string) bool { return strings.HasPrefix(l, "worker: not connected (") })
	m := startGoMaster(t, "tcp://"+addr, codec.Msgpack, nil, echoCalls)
	m.await(t, w)
	if code := w.interrupt(t); code != 0 {
		t.Fatalf("exit %d; want 0: %v", code, w)
	}
	w.waitLine(t, "worker: stopped")
}

// Beats counts the heartbeats a master gets.
type Beats struct{ got chan struct{} }

// Heartbeat is called by a heartbeat notification, duplex.Heartbeat.
func (b *Beats) Heartbeat(int, *struct{}) error {
	b.got <- struct{}{}
	return nil
}

// A worker that is not called greets its master, with and without
// -redial, so that a Hub that closes silent connections keeps it.
func TestWorkerGreets(t *testing.T) {
	for _, redial := range []bool{false, true} {
		t.Run(fmt.Sprint("redial=", redial), func(t *testing.T) {
			t.Parallel()
			beats := &Beats{got: make(chan struct{}, 10)}
			ln, err := transport.Listen(context.Background(), "127.0.0.1:0", nil)
			if err != nil {
				t.Fatal(err)
			}
			hub := peer.NewHub(codec.Msgpack, func(_ *peer.Peer, r *peer.Registry) error {
				return r.RegisterName("duplex", beats)
			}, nil)
			served := make(chan error, 1)
			go func() { served <- hub.Serve(ln) }()
			defer func() {
				hub.Close()
				<-served
			}()
			args := []string{"worker", "-connect", ln.Addr().String()}
			if redial {
				args = append(args, "-redial")
			}
			w := start(t, duplex, args...)
			select {
			case <-beats.got:
			case <-time.After(timeout):
				t.Fatalf("no greeting within %v: %v", timeout, w)
			}
		})
	}
}

// -timeout kills a run of -exec's command that takes too long, and the
// call gets an error that says so.
func TestWorkerExecTimeout(t *testing.T) {
	m := startGoMaster(t, listenURL(t, "tcp"), codec.JSONRPC2, nil, func(ctx context.Context, p *peer.Peer) error {
		var reply string
		err := p.Call(ctx, "Slow.Sleep", 1, &reply)
		if want := rpc.ServerError("sleep 30: killed after 200ms"); !errors.Is(err, want) {
			return fmt.Errorf("Slow.Sleep: %v; want %v", err, want)
		}
		return nil
	})
	w := start(t, duplex, "worker", "-codec", "jsonrpc2", "-connect", m.url, "-timeout", "200ms", "-exec", "sleep 30")
	m.await(t, w)
}
