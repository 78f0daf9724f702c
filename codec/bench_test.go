package codec_test

import (
	"io"
	"net"
	"net/rpc"
	"net/rpc/jsonrpc"
	"testing"

	"github.com/duplexrpc/duplex/codec"
	"github.com/duplexrpc/duplex/internal/rpctest"
)

// BenchmarkArithOverPipe is the tiny Arith call through stock net/rpc over
// net.Pipe, which isolates the codec from the network: every codec of
// ours next to the standard library's gob and jsonrpc, in one run.
func BenchmarkArithOverPipe(b *testing.B) {
	type pair struct {
		name   string
		client func(io.ReadWriteCloser) rpc.ClientCodec
		server func(io.ReadWriteCloser) rpc.ServerCodec
	}
	pairs := []pair{
		{"stdlib-gob", nil, nil},
		{"stdlib-jsonrpc", jsonrpc.NewClientCodec, jsonrpc.NewServerCodec},
	}
	for _, c := range codec.All() {
		pairs = append(pairs, pair{
			c.Name(),
			func(rwc io.ReadWriteCloser) rpc.ClientCodec { return codec.NewClientCodec(c.NewConn(rwc, nil)) },
			func(rwc io.ReadWriteCloser) rpc.ServerCodec { return codec.NewServerCodec(c.NewConn(rwc, nil)) },
		})
	}
	for _, p := range pairs {
		b.Run(p.name, func(b *testing.B) {
			cc, sc := net.Pipe()
			server := rpc.NewServer()
			server.Register(new(rpctest.Arith))
			var client *rpc.Client
			if p.client == nil {
				go server.ServeConn(sc)
				client = rpc.NewClient(cc)
			} else {
				go server.ServeCodec(p.server(sc))
				client = rpc.NewClientWithCodec(p.client(cc))
			}
			defer client.Close()
			args := &rpctest.Args{A: 7, B: 8}
			var got int
			b.ReportAllocs()
			for b.Loop() {
				if err := client.Call("Arith.Multiply", args, &got); err != nil || got != 56 {
					b.Fatal(got, err)
				}
			}
		})
	}
}
