package peer_test

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"os/exec"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/duplexrpc/duplex/codec"
	"github.com/duplexrpc/duplex/peer"
	"github.com/duplexrpc/duplex/transport"
)

// This file checks that a stream's window bounds its producer's memory: a
// producer in a process of its own streams 64 KiB items to a consumer that
// takes one every 2 ms, and reports its live heap, which must stay within
// the window's bytes plus 1 MiB.

// heapChildEnv makes the test binary a stream producer serving on the
// address it names.
const heapChildEnv = "DUPLEX_STREAM_HEAP_CHILD"

// heapItem is the size of an item of the heap test.
const heapItem = 64 << 10

// Blobs streams items of heapItem bytes, measuring the live heap.
type Blobs struct{ peak uint64 }

// Stream sends n items, and reports the peak of the live heap it saw as
// its last item: a string of its digits.
func (b *Blobs) Stream(ctx context.Context, n int, out *peer.Stream[[]byte]) error {
	base := liveHeap()
	item := make([]byte, heapItem)
	for i := range n {
		item[0] = byte(i)
		if err := out.Send(item); err != nil {
			return err
		}
		if i%16 == 0 {
			b.peak = max(b.peak, liveHeap()-min(base, liveHeap()))
		}
	}
	return out.Send([]byte(strconv.FormatUint(b.peak, 10)))
}

// liveHeap is the bytes of the heap that a collection keeps.
func liveHeap() uint64 {
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.HeapAlloc
}

// heapChild serves Blobs on the URL it is given, and exits when its
// connection ends.
func heapChild(url string) int {
	ln, err := transport.Listen(context.Background(), url, nil)
	if err != nil {
		fmt.Fprintln(os.Stderr, "heap child:", err)
		return 1
	}
	defer ln.Close()
	fmt.Println(ln.Addr())
	conn, err := ln.Accept()
	if err != nil {
		fmt.Fprintln(os.Stderr, "heap child:", err)
		return 1
	}
	p, err := peer.New(conn, codec.Msgpack, func(_ *peer.Peer, r *peer.Registry) error { return r.Register(&Blobs{}) })
	if err != nil {
		fmt.Fprintln(os.Stderr, "heap child:", err)
		return 1
	}
	<-p.Done()
	p.Close()
	return 0
}

// TestStreamWindowBoundsProducerHeap streams 16 MiB (set
// DUPLEX_STREAM_HEAP_MIB=256 for the 256 MiB) to a consumer that
// takes an item every 2 ms, over TCP and WebSocket.
func TestStreamWindowBoundsProducerHeap(t *testing.T) {
	mib := 16
	if s := os.Getenv("DUPLEX_STREAM_HEAP_MIB"); s != "" {
		mib, _ = strconv.Atoi(s)
	}
	const window = peer.DefaultStreamWindow
	limit := uint64(window*heapItem + 1<<20)
	for _, scheme := range []string{"tcp", "ws"} {
		t.Run(scheme, func(t *testing.T) {
			cmd := exec.Command(os.Args[0], "-test.run=^$")
			path := ""
			if scheme == "ws" {
				path = "/stream"
			}
			cmd.Env = append(os.Environ(), heapChildEnv+"="+scheme+"://127.0.0.1:0"+path)
			cmd.Stderr = os.Stderr
			stdout, err := cmd.StdoutPipe()
			if err != nil {
				t.Fatal(err)
			}
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			defer cmd.Wait()
			defer cmd.Process.Kill()
			addr, err := bufio.NewReader(stdout).ReadString('\n')
			if err != nil {
				t.Fatalf("the child did not say where it listens: %v", err)
			}
			url := scheme + "://" + strings.TrimSpace(addr) + path
			ctx, cancel := context.WithTimeout(context.Background(), time.Minute+time.Duration(mib)*time.Second)
			defer cancel()
			conn, err := transport.Dial(ctx, url, nil)
			if err != nil {
				t.Fatal(err)
			}
			p, err := peer.New(conn, codec.Msgpack, nil)
			if err != nil {
				t.Fatal(err)
			}
			defer p.Close()
			n := mib << 20 / heapItem
			items := 0
			var last []byte
			for v, err := range peer.CallStream[[]byte](ctx, p, "Blobs.Stream", n) {
				if err != nil {
					t.Fatalf("after %d items: %v", items, err)
				}
				items++
				last = v
				time.Sleep(2 * time.Millisecond)
			}
			if items != n+1 {
				t.Fatalf("got %d items; want %d and the report", items, n+1)
			}
			peak, err := strconv.ParseUint(string(last), 10, 64)
			if err != nil {
				t.Fatalf("the report %q: %v", last, err)
			}
			t.Logf("%s: %d MiB in %d KiB items; the producer's live heap grew by at most %d KiB (window %d KiB + 1 MiB = %d KiB)",
				scheme, mib, heapItem>>10, peak>>10, window*heapItem>>10, limit>>10)
			if peak > limit {
				t.Errorf("the producer's live heap grew by %d KiB; want at most the window plus 1 MiB, %d KiB", peak>>10, limit>>10)
			}
		})
	}
}
