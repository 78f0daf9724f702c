package codec_test

import (
	"errors"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/duplexrpc/duplex/codec"
)

// family is the wire a codec writes: codecs of one family read each
// other's first bytes without complaint.
func family(c codec.Codec) string {
	switch c {
	case codec.JSONRPC, codec.JSONRPC2, codec.JSONRPC2Lines:
		return "JSON"
	case codec.LSP:
		return "LSP"
	case codec.Msgpack, codec.MsgpackUgorji:
		return "msgpack-rpc"
	}
	return "gob"
}

// The wrong codec on the other end fails the first read at once, with an
// error that names what the bytes look like, instead of waiting for ever
// or failing vaguely.
func TestWrongCodecNamed(t *testing.T) {
	for _, writer := range codec.All() {
		for _, reader := range codec.All() {
			if family(writer) == family(reader) {
				continue
			}
			t.Run(writer.Name()+"→"+reader.Name(), func(t *testing.T) {
				a, b := net.Pipe()
				defer a.Close()
				defer b.Close()
				go writer.NewConn(a, nil).Write(&codec.Header{Kind: codec.Request, ServiceMethod: "Arith.Multiply", Seq: 1}, 7)
				got := make(chan error, 1)
				go func() {
					var h codec.Header
					got <- reader.NewConn(b, nil).ReadHeader(&h)
				}()
				select {
				case err := <-got:
					if !errors.Is(err, codec.ErrWrongCodec) || !strings.Contains(err.Error(), family(writer)) || !strings.Contains(err.Error(), reader.Name()) {
						t.Fatalf("ReadHeader = %v; want ErrWrongCodec naming %s and %s", err, family(writer), reader.Name())
					}
				case <-time.After(5 * time.Second):
					t.Fatal("the wrong codec on the other end was not noticed")
				}
			})
		}
	}
}
