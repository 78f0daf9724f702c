package peer_test

import (
	"context"
	"fmt"
	"net/rpc"
	"testing"

	"github.com/duplexrpc/duplex/codec"
	"github.com/duplexrpc/duplex/internal/rpctest"
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
