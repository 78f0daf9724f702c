package peer_test

import (
	"bytes"
	"context"
	"net"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/duplexrpc/duplex/codec"
	"github.com/duplexrpc/duplex/internal/rpctest"
	"github.com/duplexrpc/duplex/peer"
)

// writeLog is a connection that records the size of each Write, and can
// be made slow: each Write then takes delay per 64 KiB it carries.
type writeLog struct {
	net.Conn
	delay time.Duration
	mu    sync.Mutex
	sizes []int
}

func (w *writeLog) Write(b []byte) (int, error) {
	w.mu.Lock()
	w.sizes = append(w.sizes, len(b))
	w.mu.Unlock()
	time.Sleep(w.delay * time.Duration(len(b)>>16))
	return w.Conn.Write(b)
}

func (w *writeLog) largest() int {
	w.mu.Lock()
	defer w.mu.Unlock()
	return slices.Max(w.sizes)
}

// A large frame goes out in large chunks on a fast link, and in 64 KiB
// chunks on one whose every chunk takes more than a quarter of the write
// timeout, which then still does not time out: the chunk measures a stall,
// never a slow link's large frame.
func TestWriteChunksFollowTheLink(t *testing.T) {
	for _, tc := range []struct {
		name    string
		delay   time.Duration // per 64 KiB
		timeout time.Duration
		calls   int
		want    func(largest int) bool
	}{
		{"fast", 0, 10 * time.Second, 6, func(n int) bool { return n >= 1<<20 }},
		{"slow", 30 * time.Millisecond, 100 * time.Millisecond, 2, func(n int) bool { return n < 128<<10 }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ca, cb := tcpPair(t)
			w := &writeLog{Conn: ca, delay: tc.delay}
			a, err := peer.NewWithOptions(w, codec.Msgpack, nil, &peer.Options{WriteTimeout: tc.timeout})
			if err != nil {
				t.Fatal(err)
			}
			defer a.Close()
			b, err := peer.NewWithOptions(cb, codec.Msgpack, bindTestServices(), nil)
			if err != nil {
				t.Fatal(err)
			}
			defer b.Close()
			payload := rpctest.BigBytes(1 << 20)
			for range tc.calls {
				var got []byte
				if err := a.Call(context.Background(), "Echo.Bytes", payload, &got); err != nil {
					t.Fatal(err)
				}
				if !bytes.Equal(got, payload) {
					t.Fatal("the echo differs")
				}
			}
			if n := w.largest(); !tc.want(n) {
				t.Errorf("the largest Write was %d bytes", n)
			}
		})
	}
}
