package peer_test

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net/rpc"
	"testing"

	"github.com/duplexrpc/duplex/codec"
	"github.com/duplexrpc/duplex/internal/rpctest"
	"github.com/duplexrpc/duplex/peer"
)

// BenchmarkCall is the small Arith call through a peer pair on loopback
// TCP; benchmarks/ compares it with other libraries.
func BenchmarkCall(b *testing.B) {
	for _, c := range codec.All() {
		b.Run(c.Name(), func(b *testing.B) {
			a, _ := peerPair(b, c, nil, bindTestServices())
			ctx := context.Background()
			args := &rpctest.Args{A: 7, B: 8}
			b.ReportAllocs()
			for b.Loop() {
				var got int
				if err := a.Call(ctx, "Arith.Multiply", args, &got); err != nil || got != 56 {
					b.Fatal(got, err)
				}
			}
		})
	}
}

// BenchmarkCallCancellable is BenchmarkCall with a context that can be
// cancelled, as most callers pass: such a caller must never wait for the
// stream, so it writes only what the socket takes at once.
func BenchmarkCallCancellable(b *testing.B) {
	a, _ := peerPair(b, codec.Msgpack, nil, bindTestServices())
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	args := &rpctest.Args{A: 7, B: 8}
	b.ReportAllocs()
	for b.Loop() {
		var got int
		if err := a.Call(ctx, "Arith.Multiply", args, &got); err != nil || got != 56 {
			b.Fatal(got, err)
		}
	}
}

// BenchmarkStockGob is net/rpc with its own gob codec, for comparison.
func BenchmarkStockGob(b *testing.B) {
	ca, cb := tcpPair(b)
	server := rpc.NewServer()
	server.Register(new(rpctest.Arith))
	go server.ServeConn(cb)
	client := rpc.NewClient(ca)
	defer client.Close()
	args := &rpctest.Args{A: 7, B: 8}
	b.ReportAllocs()
	for b.Loop() {
		var got int
		if err := client.Call("Arith.Multiply", args, &got); err != nil || got != 56 {
			b.Fatal(got, err)
		}
	}
}

// BenchmarkCallPipelined makes the small call from 32 goroutines per CPU
// sharing one connection.
func BenchmarkCallPipelined(b *testing.B) {
	for _, c := range []codec.Codec{codec.Msgpack, codec.Gob} {
		b.Run(c.Name(), func(b *testing.B) {
			a, _ := peerPair(b, c, nil, bindTestServices())
			b.ReportAllocs()
			b.SetParallelism(32)
			b.RunParallel(func(pb *testing.PB) {
				ctx := context.Background()
				args := &rpctest.Args{A: 7, B: 8}
				for pb.Next() {
					var got int
					if err := a.Call(ctx, "Arith.Multiply", args, &got); err != nil || got != 56 {
						b.Error(got, err)
						return
					}
				}
			})
		})
	}
}

// BenchmarkCallLarge echoes a string and a []byte of 64 KiB and 1 MiB over
// msgpack, one call at a time and from 32 goroutines per CPU.
func BenchmarkCallLarge(b *testing.B) {
	for _, size := range []int{64 << 10, 1 << 20} {
		for _, kind := range []string{"string", "bytes"} {
			for _, mode := range []string{"seq", "par32"} {
				name := fmt.Sprintf("size=%dk/%s/%s", size>>10, kind, mode)
				b.Run(name, func(b *testing.B) {
					a, _ := peerPair(b, codec.Msgpack, nil, bindTestServices())
					payload := rpctest.BigBytes(size)
					method, args := "Echo.Bytes", any(payload)
					if kind == "string" {
						method, args = "Echo.String", string(payload)
					}
					call := func() error {
						if kind == "string" {
							var got string
							return a.Call(context.Background(), method, args, &got)
						}
						var got []byte
						return a.Call(context.Background(), method, args, &got)
					}
					b.SetBytes(int64(size))
					b.ReportAllocs()
					if mode == "seq" {
						for b.Loop() {
							if err := call(); err != nil {
								b.Fatal(err)
							}
						}
						return
					}
					b.SetParallelism(32)
					b.RunParallel(func(pb *testing.PB) {
						for pb.Next() {
							if err := call(); err != nil {
								b.Error(err)
								return
							}
						}
					})
				})
			}
		}
	}
}

// Chunks streams n items of 1 KiB, for BenchmarkStreamItems, or answers
// one, for BenchmarkStreamItemsByCall.
type Chunks struct{ item []byte }

func (c *Chunks) Stream(ctx context.Context, n int, out *peer.Stream[[]byte]) error {
	for range n {
		if err := out.Send(c.item); err != nil {
			return err
		}
	}
	return nil
}

func (c *Chunks) One(_ int, reply *[]byte) error { *reply = c.item; return nil }

func chunksPair(b *testing.B) *peer.Peer {
	chunks := &Chunks{item: rpctest.BigBytes(1 << 10)}
	a, _ := peerPair(b, codec.Msgpack, nil, func(_ *peer.Peer, r *peer.Registry) error { return r.Register(chunks) })
	return a
}

// BenchmarkStreamItems streams 1 KiB items over loopback TCP, b.N of them
// in one stream: against BenchmarkStreamItemsByCall, the same items
// fetched with one call each, and BenchmarkRawTCPCopy, the bytes alone.
func BenchmarkStreamItems(b *testing.B) {
	a := chunksPair(b)
	b.SetBytes(1 << 10)
	b.ReportAllocs()
	b.ResetTimer()
	n := 0
	for _, err := range peer.CallStream[[]byte](context.Background(), a, "Chunks.Stream", b.N) {
		if err != nil {
			b.Fatal(err)
		}
		n++
	}
	if n != b.N {
		b.Fatalf("%d items; want %d", n, b.N)
	}
}

// BenchmarkStreamItemsByCall fetches 1 KiB items with one sequential call
// each.
func BenchmarkStreamItemsByCall(b *testing.B) {
	a := chunksPair(b)
	b.SetBytes(1 << 10)
	b.ReportAllocs()
	for b.Loop() {
		var item []byte
		if err := a.Call(context.Background(), "Chunks.One", 0, &item); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkRawTCPCopy copies the bytes of b.N items of 1 KiB over a
// loopback TCP connection, with nothing but the copy: the floor.
func BenchmarkRawTCPCopy(b *testing.B) {
	x, y := tcpPair(b)
	defer x.Close()
	defer y.Close()
	item := rpctest.BigBytes(1 << 10)
	b.SetBytes(1 << 10)
	b.ResetTimer()
	done := make(chan error, 1)
	go func() {
		_, err := io.CopyN(io.Discard, y, int64(b.N)<<10)
		done <- err
	}()
	w := bufio.NewWriterSize(x, 64<<10)
	for range b.N {
		w.Write(item)
	}
	w.Flush()
	if err := <-done; err != nil {
		b.Fatal(err)
	}
}
