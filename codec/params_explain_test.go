package codec_test

import (
	"net"
	"net/rpc"
	"strings"
	"testing"

	"github.com/duplexrpc/duplex/codec"
	"github.com/duplexrpc/duplex/internal/rpctest"
)

// A call whose params do not fit the method's argument is told which
// param, what was expected and what came, over the wires that have
// positional params.
func TestParamErrorsNameTheParam(t *testing.T) {
	cases := []struct {
		method string
		params any
		want   string
	}{
		{"Arith.Multiply", codec.Params{1, 2, 3}, "got 3 params, want 2 (A int, B int)"},
		{"Arith.Multiply", codec.Params{"x", 2}, "param 1 (A int) got a string"},
		{"Arith.Multiply", codec.Params{1, []int{2}}, "param 2 (B int) got an array"},
		{"Echo.Upper", 5, "param 1 wants string, got"},
		{"Echo.Upper", codec.Params{"a", "b"}, "got 2 params, want 1 (*string)"},
	}
	for _, c := range []codec.Codec{codec.Msgpack, codec.MsgpackUgorji, codec.JSONRPC2} {
		t.Run(c.Name(), func(t *testing.T) {
			a, b := net.Pipe()
			server := rpc.NewServer()
			server.Register(new(rpctest.Arith))
			server.Register(new(rpctest.Echo))
			go server.ServeCodec(codec.NewServerCodec(c.NewConn(b, nil)))
			client := rpc.NewClientWithCodec(codec.NewClientCodec(c.NewConn(a, nil)))
			defer client.Close()
			for i, tc := range cases {
				if i == 0 && c == codec.MsgpackUgorji {
					continue // ugorji takes the first fields and drops the rest (docs/wire.md §5.4)
				}
				err := client.Call(tc.method, tc.params, new(any))
				if err == nil || !strings.Contains(err.Error(), tc.want) || !strings.Contains(err.Error(), "invalid params") {
					t.Errorf("%s%v = %v; want an invalid-params error with %q", tc.method, tc.params, err, tc.want)
				}
			}
		})
	}
}
