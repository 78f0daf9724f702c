package benchmarks

import (
	"bufio"
	"io"
	"net"
	"net/rpc"
	"net/rpc/jsonrpc"

	"github.com/duplexrpc/duplex/codec"
	msgpackrpc "github.com/hashicorp/net-rpc-msgpackrpc/v2"
	ugorji "github.com/ugorji/go/codec"
)

// netrpcImpls are net/rpc's own Client and Server over the stock codecs,
// this library's msgpack codec, the msgpack codecs of other libraries (each
// configured as its documentation recommends for speed) and a msgpack codec
// written by hand. They call one way only.
//
// The msgpack ones are the peer's first target: it must not be slower than
// the fastest of them, for calling both ways must not cost more than a
// plain one-way msgpack stack would.
func netrpcImpls() []Impl {
	return []Impl{
		netrpcImpl("netrpc-gob",
			func(c net.Conn) *rpc.Client { return rpc.NewClient(c) },
			func(s *rpc.Server, c net.Conn) { s.ServeConn(c) }),
		netrpcImpl("netrpc-jsonrpc", func(c net.Conn) *rpc.Client { return jsonrpc.NewClient(c) }, func(s *rpc.Server, c net.Conn) {
			s.ServeCodec(jsonrpc.NewServerCodec(c))
		}),
		// This library's msgpack codec on stock net/rpc, without the peer:
		// what the peer adds over its own wire.
		netrpcImpl("netrpc-msgpack",
			func(c net.Conn) *rpc.Client {
				return rpc.NewClientWithCodec(codec.NewClientCodec(codec.Msgpack.NewConn(c, nil)))
			},
			func(s *rpc.Server, c net.Conn) {
				s.ServeCodec(codec.NewServerCodec(codec.Msgpack.NewConn(c, nil)))
			}),
		netrpcImpl("ugorji-gorpc",
			func(c net.Conn) *rpc.Client {
				return rpc.NewClientWithCodec(ugorji.GoRpc.ClientCodec(buffered(c), ugorjiHandle))
			},
			func(s *rpc.Server, c net.Conn) {
				s.ServeCodec(ugorji.GoRpc.ServerCodec(buffered(c), ugorjiHandle))
			}),
		netrpcImpl("ugorji-msgpackrpc",
			func(c net.Conn) *rpc.Client {
				return rpc.NewClientWithCodec(ugorji.MsgpackSpecRpc.ClientCodec(buffered(c), ugorjiHandle))
			},
			func(s *rpc.Server, c net.Conn) {
				s.ServeCodec(ugorji.MsgpackSpecRpc.ServerCodec(buffered(c), ugorjiHandle))
			}),
		netrpcImpl("hashicorp-msgpackrpc",
			func(c net.Conn) *rpc.Client { return rpc.NewClientWithCodec(msgpackrpc.NewClientCodec(c)) },
			func(s *rpc.Server, c net.Conn) { s.ServeCodec(msgpackrpc.NewServerCodec(c)) }),
		netrpcImpl("vmihailenco-msgpackrpc",
			func(c net.Conn) *rpc.Client { return rpc.NewClientWithCodec(&vmClientCodec{newVMConn(c)}) },
			func(s *rpc.Server, c net.Conn) { s.ServeCodec(&vmServerCodec{newVMConn(c)}) }),
	}
}

// ugorjiHandle is configured as package codec configures its own ugorji
// handle, so that both speak the current msgpack spec.
var ugorjiHandle = func() *ugorji.MsgpackHandle {
	h := &ugorji.MsgpackHandle{}
	h.WriteExt = true
	h.RawToString = true
	return h
}()

// buffered is the buffered connection that ugorji's rpc documentation
// recommends: its codecs flush a Flusher once per message.
func buffered(c net.Conn) io.ReadWriteCloser {
	return struct {
		io.Closer
		*bufio.Reader
		*bufio.Writer
	}{c, bufio.NewReader(c), bufio.NewWriter(c)}
}

func netrpcImpl(name string, newClient func(net.Conn) *rpc.Client, serve func(*rpc.Server, net.Conn)) Impl {
	return Impl{
		Name: name,
		Pipe: true,
		Connect: func(dialed, accepted net.Conn) (*Stack, error) {
			s := rpc.NewServer()
			if err := register(s); err != nil {
				dialed.Close()
				accepted.Close()
				return nil, err
			}
			served := make(chan struct{})
			go func() {
				defer close(served)
				serve(s, accepted)
			}()
			client := newClient(dialed)
			return &Stack{
				Forward: client,
				// Closing the connection ends the client's input loop and
				// the server; client.Close would also close the codec while
				// the input loop may still be reading it, which some of
				// these codecs do not allow (hashicorp's races).
				Close: func() error {
					err := dialed.Close()
					accepted.Close()
					<-served
					return err
				},
			}, nil
		},
	}
}
