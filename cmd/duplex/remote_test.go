package main_test

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/duplexrpc/duplex/codec"
	"github.com/duplexrpc/duplex/peer"
	"github.com/duplexrpc/duplex/transport"
)

// A remote error's line shows the code and the data the wire carried:
// JSON-RPC 2.0 and msgpack-rpc carry both, JSON-RPC 1.0 neither; the
// unknown method is -32601 on every wire.
func TestRemoteErrorCodeAndData(t *testing.T) {
	for _, tc := range []struct {
		c                    codec.Codec
		refused, nope, plain string
	}{
		{codec.Msgpack,
			`remote error -32602: bad field (data: {"field":"A"})`, "remote error -32601: rpc: can't find method Arith.Nope", "remote error: divide by zero"},
		{codec.MsgpackUgorji,
			`remote error -32602: bad field (data: {"field":"A"})`, "remote error -32601: rpc: can't find method Arith.Nope", "remote error: divide by zero"},
		{codec.JSONRPC2,
			`remote error -32602: bad field (data: {"field":"A"})`, "remote error -32601: rpc: can't find method Arith.Nope", "remote error -32000: divide by zero"},
		{codec.JSONRPC2Lines,
			`remote error -32602: bad field (data: {"field":"A"})`, "remote error -32601: rpc: can't find method Arith.Nope", "remote error -32000: divide by zero"},
		{codec.JSONRPC,
			"remote error: bad field", "remote error -32601: rpc: can't find method Arith.Nope", "remote error: divide by zero"},
	} {
		t.Run(tc.c.Name(), func(t *testing.T) {
			t.Parallel()
			s := startServer(t, listenURL(t, "tcp"), tc.c, false, nil)
			for _, call := range []struct{ method, arg, want string }{
				{"Beside.Refuse", `"A"`, tc.refused},
				{"Arith.Nope", "1", tc.nope}, // no list served: no hint
				{"Arith.Divide", `{"A": 1, "B": 0}`, tc.plain},
			} {
				r := duplexRun(t, "call", "-codec", tc.c.Name(), s.url, call.method, call.arg)
				if want := "duplex: " + call.method + ": " + call.want + "\n"; r.code != 1 || r.stdout != "" || r.stderr != want {
					t.Errorf("got %v\nwant exit 1 and stderr:\n%s", r, want)
				}
			}
		})
	}
}

// A batch's answers show their codes and data too.
func TestBatchErrorData(t *testing.T) {
	s := startServer(t, listenURL(t, "tcp"), codec.JSONRPC2, false, nil)
	r := run(t, `"A" "B"`, duplex, "call", "-codec", "jsonrpc2", "-batch", "-d", "@-", s.url, "Beside.Refuse")
	r.want(t, 1, "")
	want := `duplex: Beside.Refuse (call 1 of the batch): remote error -32602: bad field (data: {"field":"A"})` + "\n" +
		`duplex: Beside.Refuse (call 2 of the batch): remote error -32602: bad field (data: {"field":"B"})` + "\n"
	if r.stderr != want {
		t.Errorf("stderr:\n%s\nwant:\n%s", r.stderr, want)
	}
}

// On an unknown method, call suggests list when the remote serves it,
// with the flags that reach the remote, quoted for the shell; it asks the
// remote once per connection.
func TestUnknownMethodSuggestsList(t *testing.T) {
	for _, c := range codecs {
		t.Run(c.Name(), func(t *testing.T) {
			t.Parallel()
			s := startServer(t, listenURL(t, "tcp"), c, true, nil)
			codecFlag := ""
			if c != codec.Msgpack {
				codecFlag = " -codec " + c.Name()
			}
			duplexRun(t, "call", "-codec", c.Name(), s.url, "Arith.Nope", "1").want(t, 1, "",
				"duplex: Arith.Nope: remote error -32601: rpc: can't find method Arith.Nope; the remote lists its methods: duplex list"+codecFlag+" "+s.url+" Arith.\n")
			duplexRun(t, "call", "-codec", c.Name(), "-H", "who=a b", s.url, "Nope.Nope", "1").want(t, 1, "",
				"duplex: Nope.Nope: remote error -32601: rpc: can't find service Nope.Nope; the remote lists its methods: duplex list"+codecFlag+" -H 'who=a b' "+s.url+"\n")
		})
	}
	t.Run("once per connection", func(t *testing.T) {
		t.Parallel()
		s := startServer(t, listenURL(t, "tcp"), codec.JSONRPC2, true, nil)
		r := run(t, "1 2 3", duplex, "call", "-codec", "jsonrpc2", "-v", "-d", "@-", s.url, "Arith.Nope")
		r.want(t, 1, "")
		if n := strings.Count(r.stderr, "the remote lists its methods"); n != 3 {
			t.Errorf("%d hints; want one per call, 3:\n%s", n, r.stderr)
		}
		if n := strings.Count(r.stderr, `"method":"duplex.Methods"`); n != 1 {
			t.Errorf("the list was asked for %d times; want 1:\n%s", n, r.stderr)
		}
	})
}

// Stalling lists until its caller gives up.
type Stalling struct{}

// Methods waits until the caller gives up.
func (Stalling) Methods(ctx context.Context, _ string, _ *[]peer.MethodDescription) error {
	<-ctx.Done()
	return ctx.Err()
}

// Failing refuses to list.
type Failing struct{}

// Methods fails.
func (Failing) Methods(string, *[]peer.MethodDescription) error { return errors.New("not for you") }

// No hint unless the probe succeeds: a list that fails, or that does not
// come within the call's -timeout, suggests nothing, and the probe does
// not hold the command up past that timeout.
func TestUnknownMethodWithoutList(t *testing.T) {
	for name, service := range map[string]any{"stalling": Stalling{}, "failing": Failing{}} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			s := startServerWith(t, listenURL(t, "tcp"), codec.Msgpack, nil, nil, func(r *peer.Registry) error {
				return r.RegisterName("duplex", service) // duplex.Methods
			})
			began := time.Now()
			duplexRun(t, "call", "-timeout", "300ms", s.url, "Arith.Nope", "1").
				want(t, 1, "", "duplex: Arith.Nope: remote error -32601: rpc: can't find method Arith.Nope\n")
			// 300ms of probe and the run itself; a probe bounded by the
			// command's own 2s (for calls without -timeout) would take more.
			if took := time.Since(began); took >= 2*time.Second {
				t.Errorf("took %v: the probe was not bounded by -timeout", took)
			}
		})
	}
}

// Params that do not fit the method are a remote error, exit 1, whose
// message is the remote's, whole: what a Go caller sending the same params
// gets.
func TestBadParamsMessageIsTheRemotes(t *testing.T) {
	const bad = `{"A":"7","B":8}`
	for _, c := range []codec.Codec{codec.Msgpack, codec.JSONRPC2} {
		t.Run(c.Name(), func(t *testing.T) {
			t.Parallel()
			s := startServer(t, listenURL(t, "tcp"), c, false, nil)
			var arg any = json.RawMessage(bad)
			if c == codec.Msgpack {
				arg = map[string]any{"A": "7", "B": 8}
			}
			goErr := goCall(t, s.url, c, "Arith.Multiply", arg)
			var e *peer.Error
			if !errors.As(goErr, &e) || e.Code != codec.CodeInvalidParams {
				t.Fatalf("a Go caller got %v; want a -32602 error", goErr)
			}
			r := duplexRun(t, "call", "-codec", c.Name(), s.url, "Arith.Multiply", bad)
			if want := "duplex: Arith.Multiply: remote error -32602: " + goErr.Error() + "\n"; r.code != 1 || r.stdout != "" || r.stderr != want {
				t.Errorf("got %v\nwant exit 1 and stderr:\n%s", r, want)
			}
		})
	}
}

// goCall calls method on the server at url from a Go peer, and returns
// the error.
func goCall(t testing.TB, url string, c codec.Codec, method string, arg any) error {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	conn, err := transport.Dial(ctx, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	p, err := peer.New(conn, c, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	var reply any
	return p.Call(ctx, method, arg, &reply)
}
