package main_test

import (
	"context"
	"encoding/json"
	"errors"
	"testing"

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
