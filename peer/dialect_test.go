package peer_test

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"net"
	"testing"
	"time"

	"github.com/duplexrpc/duplex/codec"
	"github.com/duplexrpc/duplex/peer"
)

// rawLines is a JSON-RPC client of its own over newline-delimited JSON,
// as a foreign MCP or LSP client is: it writes the lines it is given and
// reads what comes back.
type rawLines struct {
	t    *testing.T
	conn net.Conn
	in   *bufio.Scanner
}

// serveRaw starts a peer in dialect d over jsonrpc2-lines, serving Proto,
// and returns a raw client of it.
func serveRaw(t *testing.T, d *codec.Dialect) (*rawLines, *Proto) {
	t.Helper()
	ca, cb := tcpPair(t)
	pr := newProto()
	p, err := peer.NewWithOptions(cb, codec.JSONRPC2Lines, func(_ *peer.Peer, r *peer.Registry) error { return r.Register(pr) }, &peer.Options{Dialect: d})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ca.Close(); p.Close() })
	return &rawLines{t: t, conn: ca, in: bufio.NewScanner(ca)}, pr
}

func (r *rawLines) send(line string) {
	r.t.Helper()
	if _, err := r.conn.Write([]byte(line + "\n")); err != nil {
		r.t.Fatal(err)
	}
}

// recv reads the next message, or fails the test after within.
func (r *rawLines) recv(within time.Duration) (msg map[string]json.RawMessage, ok bool) {
	r.t.Helper()
	r.conn.SetReadDeadline(time.Now().Add(within))
	if !r.in.Scan() {
		return nil, false
	}
	if err := json.Unmarshal(r.in.Bytes(), &msg); err != nil {
		r.t.Fatalf("not JSON: %q", r.in.Bytes())
	}
	return msg, true
}

// waitStarted waits for a Proto.Wait to start.
func waitStarted(t *testing.T, pr *Proto) {
	t.Helper()
	select {
	case <-pr.started:
	case <-time.After(5 * time.Second):
		t.Fatal("Proto.Wait did not start")
	}
}

// TestMCPCancelledGetsNoAnswer checks MCP's rule: a request the client
// cancelled with notifications/cancelled ends its handler and is answered
// with nothing, while the next request is answered as ever.
func TestMCPCancelledGetsNoAnswer(t *testing.T) {
	raw, pr := serveRaw(t, codec.MCPDialect)
	raw.send(`{"jsonrpc":"2.0","method":"Proto.Wait","params":[""],"id":"w"}`)
	waitStarted(t, pr)
	raw.send(`{"jsonrpc":"2.0","method":"notifications/cancelled","params":{"requestId":"w","reason":"user gave up"}}`)
	select {
	case <-pr.ended:
	case <-time.After(5 * time.Second):
		t.Fatal("the cancelled handler's context did not end")
	}
	raw.send(`{"jsonrpc":"2.0","method":"Proto.ID","params":[""],"id":7}`)
	msg, ok := raw.recv(5 * time.Second)
	if !ok || string(msg["id"]) != "7" || string(msg["result"]) != `"7"` {
		t.Fatalf("read %v; want the answer to request 7 first and only", msg)
	}
	if msg, ok := raw.recv(200 * time.Millisecond); ok {
		t.Errorf("the cancelled request was answered: %v", msg)
	}
}

// TestLSPCancelledGetsRequestCancelled checks LSP's rule: the cancelled
// request is answered, with RequestCancelled.
func TestLSPCancelledGetsRequestCancelled(t *testing.T) {
	raw, pr := serveRaw(t, codec.LSPDialect)
	raw.send(`{"jsonrpc":"2.0","method":"Proto.Wait","params":[""],"id":1}`)
	waitStarted(t, pr)
	raw.send(`{"jsonrpc":"2.0","method":"$/cancelRequest","params":{"id":1}}`)
	msg, ok := raw.recv(5 * time.Second)
	var e struct{ Code int }
	if !ok || string(msg["id"]) != "1" || json.Unmarshal(msg["error"], &e) != nil || e.Code != codec.CodeRequestCancelled {
		t.Fatalf("read %v; want request 1 answered with code %d", msg, codec.CodeRequestCancelled)
	}
}

// TestProgressTokenFromForeignClients checks that a token a foreign
// client puts where its protocol says reaches ReportProgress, exactly as
// written, and that the progress goes back in the dialect's form before
// the answer.
func TestProgressTokenFromForeignClients(t *testing.T) {
	for _, tc := range []struct {
		d        *codec.Dialect
		request  string
		progress string // as written
	}{
		{codec.MCPDialect,
			`{"jsonrpc":"2.0","method":"Proto.Report","params":{"_meta":{"progressToken":"tok-9"},"x":1},"id":1}`,
			`{"jsonrpc":"2.0","method":"notifications/progress","params":{"progressToken":"tok-9","progress":1,"total":1}}`},
		{codec.MCPDialect,
			`{"jsonrpc":"2.0","method":"Proto.Report","params":{"_meta":{"progressToken":0}},"id":1}`,
			`{"jsonrpc":"2.0","method":"notifications/progress","params":{"progressToken":0,"progress":1,"total":1}}`},
		{codec.LSPDialect,
			`{"jsonrpc":"2.0","method":"Proto.Report","params":{"workDoneToken":18446744073709551617},"id":1}`,
			`{"jsonrpc":"2.0","method":"$/progress","params":{"token":18446744073709551617,"value":{"progress":1,"total":1}}}`},
		{codec.DefaultDialect,
			`{"jsonrpc":"2.0","method":"Proto.Report","params":[{}],"_meta":{"progressToken":"ü"},"id":1}`,
			`{"jsonrpc":"2.0","method":"$/progress","params":{"token":"ü","value":{"progress":1,"total":1}}}`},
	} {
		t.Run(tc.d.Name, func(t *testing.T) {
			raw, _ := serveRaw(t, tc.d)
			raw.send(tc.request)
			raw.conn.SetReadDeadline(time.Now().Add(5 * time.Second))
			if !raw.in.Scan() || raw.in.Text() != tc.progress {
				t.Fatalf("read %q; want %q", raw.in.Text(), tc.progress)
			}
			msg, ok := raw.recv(5 * time.Second)
			if !ok || string(msg["result"]) != `"done"` {
				t.Fatalf("read %v; want the answer after the progress", msg)
			}
		})
	}
}

// Why records why its context ended.
type Why struct{ cause chan error }

func (w *Why) Wait(ctx context.Context, _ any, _ *string) error {
	<-ctx.Done()
	w.cause <- context.Cause(ctx)
	return ctx.Err()
}

// TestCancelReasonIsTheCause checks that MCP's cancel reason reaches the
// handler as its context's cause, and that a Go caller's cause is the
// reason it sends.
func TestCancelReasonIsTheCause(t *testing.T) {
	why := &Why{cause: make(chan error, 1)}
	opts := &peer.Options{Dialect: codec.MCPDialect}
	a, _ := peerPair(t, codec.JSONRPC2Lines, nil, func(_ *peer.Peer, r *peer.Registry) error { return r.Register(why) }, opts, opts)
	ctx, cancel := context.WithCancelCause(context.Background())
	errc := make(chan error, 1)
	go func() { errc <- a.Call(ctx, "Why.Wait", struct{}{}, new(string)) }()
	waitFor(t, "the call", func() bool { _, out := a.InFlight(); return out == 1 })
	cancel(errors.New("the user pressed stop"))
	if err := <-errc; !errors.Is(err, context.Canceled) {
		t.Fatalf("Call: %v; want context.Canceled", err)
	}
	select {
	case cause := <-why.cause:
		var ce *peer.CancelledError
		if !errors.As(cause, &ce) || ce.Reason != "the user pressed stop" || !errors.Is(cause, context.Canceled) {
			t.Fatalf("the handler's cause is %v; want a CancelledError with the caller's reason that Is context.Canceled", cause)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("the handler's context did not end")
	}
}
