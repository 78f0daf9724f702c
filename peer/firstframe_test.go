package peer_test

import (
	"context"
	"errors"
	"io"
	"net"
	"os"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/duplexrpc/duplex/codec"
	"github.com/duplexrpc/duplex/peer"
)

// TestHubClosesSilentConnections opens connections that send nothing, or
// half a frame, and checks that the hub closes each within its
// FirstFrameTimeout, while a client that speaks is served throughout.
func TestHubClosesSilentConnections(t *testing.T) {
	const timeout = 300 * time.Millisecond
	hub, addr := startHub(t, codec.Msgpack, bindTestServices(), &peer.HubOptions{Peer: &peer.Options{FirstFrameTimeout: timeout}})
	silent := map[string][]byte{
		"nothing":     nil,
		"half frame":  {0x94, 0x00, 0x01},
		"one byte":    {0x94},
		"long string": {0x94, 0x00, 0x01, 0xdb, 0x00, 0x10, 0x00, 0x00, 'a', 'b'},
	}
	start := time.Now()
	ended := make(chan string, len(silent))
	for name, b := range silent {
		conn, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { conn.Close() })
		if _, err := conn.Write(b); err != nil {
			t.Fatal(err)
		}
		go func() {
			conn.SetReadDeadline(time.Now().Add(10 * time.Second))
			_, err := io.Copy(io.Discard, conn)
			if errors.Is(err, os.ErrDeadlineExceeded) {
				ended <- name + ": still open after 10s"
				return
			}
			ended <- ""
		}()
	}
	good := dialWorker(t, addr, codec.Msgpack, "good")
	var got int
	if err := good.Call(context.Background(), "Arith.Multiply", struct{ A, B int }{1, 1}, &got); err != nil {
		t.Fatal(err)
	}
	time.Sleep(2 * timeout) // past the deadline: a peer that sent a frame stays
	for i := range len(silent) {
		if err := good.Call(context.Background(), "Arith.Multiply", struct{ A, B int }{i, 3}, &got); err != nil || got != 3*i {
			t.Fatalf("good client's call %d: %d, %v", i, got, err)
		}
		if msg := <-ended; msg != "" {
			t.Error(msg)
		}
	}
	if took := time.Since(start); took > timeout+2*time.Second {
		t.Errorf("silent connections closed after %v; want about %v", took, timeout)
	}
	waitFor(t, "only the good client left", func() bool { return hub.Len() == 1 })
}

// TestFirstFrameTimeoutNegativeMeansNever checks that a negative
// FirstFrameTimeout keeps a silent connection open.
func TestFirstFrameTimeoutNegativeMeansNever(t *testing.T) {
	hub, addr := startHub(t, codec.Msgpack, nil, &peer.HubOptions{Peer: &peer.Options{FirstFrameTimeout: -1}})
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	waitFor(t, "the hub to take the connection", func() bool { return hub.Len() == 1 })
	conn.SetReadDeadline(time.Now().Add(500 * time.Millisecond))
	var b [1]byte
	if _, err := conn.Read(b[:]); !errors.Is(err, os.ErrDeadlineExceeded) {
		t.Fatalf("read on a silent connection: %v; want our own deadline, the connection still open", err)
	}
	if hub.Len() != 1 {
		t.Fatalf("hub has %d peers; want the silent one kept", hub.Len())
	}
}

// TestRedialerGreetsSilentMaster has a worker that is never called connect
// to a hub with a short FirstFrameTimeout, and checks that its greeting
// keeps it connected: one dial, one peer, long past the deadline. Once the
// master says nothing; once it sends a notification, which the worker
// answers with nothing: the worker must greet all the same.
func TestRedialerGreetsSilentMaster(t *testing.T) {
	for _, notify := range []bool{false, true} {
		t.Run(map[bool]string{false: "silent", true: "notifying"}[notify], func(t *testing.T) {
			testRedialerGreets(t, notify)
		})
	}
}

func testRedialerGreets(t *testing.T, notify bool) {
	const timeout = 500 * time.Millisecond
	opts := &peer.HubOptions{Peer: &peer.Options{FirstFrameTimeout: timeout}}
	if notify {
		opts.OnConnect = func(p *peer.Peer) { p.Notify(context.Background(), "Worker.Hello", "hi") }
	}
	hub, addr := startHub(t, codec.JSONRPC2, nil, opts)
	var dials atomic.Int32
	r := peer.NewRedialer(func(ctx context.Context) (io.ReadWriteCloser, error) {
		dials.Add(1)
		return net.Dial("tcp", addr)
	}, codec.JSONRPC2, bindTestServices(), &peer.RedialOptions{MinBackoff: time.Millisecond})
	defer r.Close()
	waitFor(t, "the worker to connect", func() bool { return hub.Len() == 1 })
	time.Sleep(3 * timeout)
	if n := dials.Load(); n != 1 || hub.Len() != 1 {
		t.Fatalf("after %v: %d dials, %d peers; want the one connection kept", 3*timeout, n, hub.Len())
	}
	// And the master can call it.
	var got int
	if err := hub.Peers()[0].Call(context.Background(), "Arith.Multiply", struct{ A, B int }{6, 7}, &got); err != nil || got != 42 {
		t.Fatalf("master's call: %d, %v; want 42", got, err)
	}
}

// TestClosedBeforeAnythingNamesTheCodec calls a gob hub from a jsonrpc2
// peer: the hub hangs up on the first bytes, and the call's error says
// what this end speaks and Is codec.ErrWrongCodec, the likeliest reason.
func TestClosedBeforeAnythingNamesTheCodec(t *testing.T) {
	_, addr := startHub(t, codec.Gob, bindTestServices(), nil)
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	p, err := peer.New(conn, codec.JSONRPC2, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	var got int
	err = p.Call(ctx, "Arith.Multiply", struct{ A, B int }{2, 3}, &got)
	if !errors.Is(err, peer.ErrClosed) || !errors.Is(err, codec.ErrWrongCodec) || !strings.Contains(err.Error(), "this end speaks jsonrpc2") {
		t.Fatalf("call to a gob hub from jsonrpc2: %v; want ErrClosed and ErrWrongCodec naming jsonrpc2", err)
	}
}
