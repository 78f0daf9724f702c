package codec_test

import (
	"errors"
	"io"
	"net/rpc"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/duplexrpc/duplex/codec"
	"github.com/duplexrpc/duplex/internal/rpctest"
)

// This file checks NewClientServerCodecs: a stock rpc.Client and a stock
// rpc.Server sharing one connection, over every codec.

// sharedEnd is one end of a connection that a stock rpc.Client and a stock
// rpc.Server share through NewClientServerCodecs.
type sharedEnd struct {
	client *rpc.Client
	served chan struct{} // closed when ServeCodec has returned
}

// newSharedEnd serves rpctest's Arith and Echo, and extra, on conn, and
// calls out on it. Cleanup closes the client and waits for ServeCodec to
// return, which it does once reading has ended and its handlers returned.
func newSharedEnd(t testing.TB, c codec.Codec, conn io.ReadWriteCloser, extra ...any) *sharedEnd {
	t.Helper()
	server := newTestServer(t, extra...)
	cc, sc := codec.NewClientServerCodecs(c.NewConn(conn, nil))
	e := &sharedEnd{client: rpc.NewClientWithCodec(cc), served: make(chan struct{})}
	go func() {
		defer close(e.served)
		server.ServeCodec(sc)
	}()
	t.Cleanup(func() {
		e.client.Close()
		waitClosed(t, e.served, "ServeCodec to return")
	})
	return e
}

// waitClosed waits up to 10s for done to be closed.
func waitClosed(t testing.TB, done <-chan struct{}, what string) {
	t.Helper()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Errorf("still waiting for %s after 10s", what)
	}
}

// TestClientServerCodecsBothWays has two ends call each other at once,
// each with a stock rpc.Client and rpc.Server on one connection, with
// remote errors among the answers.
func TestClientServerCodecsBothWays(t *testing.T) {
	for _, c := range codec.All() {
		t.Run(c.Name(), func(t *testing.T) {
			t.Parallel()
			aConn, bConn := loopback(t)
			ends := []*sharedEnd{newSharedEnd(t, c, aConn), newSharedEnd(t, c, bConn)}
			const calls = 200
			var wg sync.WaitGroup
			for _, e := range ends {
				for i := range calls {
					wg.Add(1)
					go func() {
						defer wg.Done()
						callArith(t, e.client, i)
					}()
				}
			}
			wg.Wait()
		})
	}
}

// callArith makes call i: every tenth divides by zero, the others multiply.
func callArith(t *testing.T, client *rpc.Client, i int) {
	if i%10 == 0 {
		var q rpctest.Quotient
		err := client.Call("Arith.Divide", &rpctest.Args{A: i, B: 0}, &q)
		var serverErr rpc.ServerError
		if !errors.As(err, &serverErr) || serverErr.Error() != "divide by zero" {
			t.Errorf("Divide(%d, 0): got error %#v; want rpc.ServerError(\"divide by zero\")", i, err)
		}
		return
	}
	var got int
	if err := client.Call("Arith.Multiply", &rpctest.Args{A: i, B: 3}, &got); err != nil || got != 3*i {
		t.Errorf("Multiply(%d, 3): got %d, %v; want %d, nil", i, got, err, 3*i)
	}
}

// countingCloser counts the Close calls that reach a connection.
type countingCloser struct {
	io.ReadWriteCloser
	closes atomic.Int32
}

func (c *countingCloser) Close() error {
	c.closes.Add(1)
	return c.ReadWriteCloser.Close()
}

// TestClientServerCodecsClose closes one end's client while calls are
// pending both ways: every pending call fails, on both ends, both
// ServeCodec loops return once their handlers have, and the closed end's
// connection is closed once though both its codecs close it.
func TestClientServerCodecsClose(t *testing.T) {
	for _, c := range codec.All() {
		t.Run(c.Name(), func(t *testing.T) {
			t.Parallel()
			aConn, bConn := loopback(t)
			aBlocker, bBlocker := rpctest.NewBlocker(), rpctest.NewBlocker()
			counted := &countingCloser{ReadWriteCloser: bConn}
			a, b := newSharedEnd(t, c, aConn, aBlocker), newSharedEnd(t, c, counted, bBlocker)
			const pending = 5
			aCalls, bCalls := goWaits(a.client, pending), goWaits(b.client, pending)
			for range pending {
				<-aBlocker.Started
				<-bBlocker.Started
			}
			if err := b.client.Close(); err != nil {
				t.Fatalf("b's client.Close: got %v; want nil", err)
			}
			waitFailed(t, "a's call", aCalls)
			waitFailed(t, "b's call", bCalls)
			var got int
			if err := a.client.Call("Arith.Multiply", &rpctest.Args{A: 2, B: 3}, &got); err == nil {
				t.Errorf("a's call after b closed: got %d, nil; want an error", got)
			}
			close(aBlocker.Release)
			close(bBlocker.Release)
			waitClosed(t, a.served, "a's ServeCodec to return")
			waitClosed(t, b.served, "b's ServeCodec to return")
			if got := counted.closes.Load(); got != 1 {
				t.Errorf("b's connection closed %d times; want 1", got)
			}
		})
	}
}

// TestClientServerCodecsCloseUnserved closes the client of an end whose
// server codec is never served, after a request for that server has
// arrived: the client's loop, left waiting for a turn that will not come,
// must return all the same and fail its pending call.
func TestClientServerCodecsCloseUnserved(t *testing.T) {
	for _, c := range codec.All() {
		t.Run(c.Name(), func(t *testing.T) {
			t.Parallel()
			aConn, bConn := loopback(t)
			cc, _ := codec.NewClientServerCodecs(c.NewConn(aConn, nil))
			client := rpc.NewClientWithCodec(cc)
			call := client.Go("Arith.Multiply", &rpctest.Args{A: 2, B: 3}, new(int), nil)
			raw := c.NewConn(bConn, nil)
			bConn.SetDeadline(time.Now().Add(10 * time.Second))
			if h := read(t, raw); h.Kind != codec.Request {
				t.Fatalf("read %+v; want the client's request", h)
			}
			write(t, raw, codec.Header{Kind: codec.Request, ServiceMethod: "Arith.Multiply", Seq: 1}, &rpctest.Args{A: 7, B: 8})
			time.Sleep(50 * time.Millisecond) // for the client's loop to read it and hand it over
			if err := client.Close(); err != nil {
				t.Errorf("client.Close: got %v; want nil", err)
			}
			waitFailed(t, "the call", []*rpc.Call{call})
		})
	}
}

// TestClientServerCodecsBadReply has a reply fail to decode. net/rpc's
// client stops reading after that, holding the turn to read: the server
// loop must hear of it rather than wait for its turn for ever, so the
// connection ends, and with it the other end.
func TestClientServerCodecsBadReply(t *testing.T) {
	for _, c := range codec.All() {
		t.Run(c.Name(), func(t *testing.T) {
			t.Parallel()
			aConn, bConn := loopback(t)
			a, b := newSharedEnd(t, c, aConn), newSharedEnd(t, c, bConn)
			var got int
			if err := a.client.Call("Echo.String", "not a number", &got); err == nil {
				t.Fatalf("a string decoded into an int: got %d, nil; want an error", got)
			}
			waitClosed(t, a.served, "a's ServeCodec to return")
			waitClosed(t, b.served, "b's ServeCodec to return")
			waitFailed(t, "b's call", []*rpc.Call{b.client.Go("Arith.Multiply", &rpctest.Args{A: 2, B: 3}, new(int), nil)})
		})
	}
}

// goWaits starts n calls of Blocker.Wait.
func goWaits(client *rpc.Client, n int) []*rpc.Call {
	calls := make([]*rpc.Call, n)
	for i := range calls {
		calls[i] = client.Go("Blocker.Wait", i, new(int), nil)
	}
	return calls
}

// waitFailed waits up to 10s for each call to fail.
func waitFailed(t *testing.T, who string, calls []*rpc.Call) {
	t.Helper()
	for i, call := range calls {
		select {
		case <-call.Done:
			if call.Error == nil {
				t.Errorf("%s %d: got no error; want the connection's end", who, i)
			}
		case <-time.After(10 * time.Second):
			t.Fatalf("%s %d: still pending 10s after the connection closed", who, i)
		}
	}
}
