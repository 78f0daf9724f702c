package codec_test

import (
	"bytes"
	"strings"
	"testing"

	"github.com/duplexrpc/duplex/codec"
	"github.com/duplexrpc/duplex/internal/rpctest"
)

// record is a body of about 64 KiB, like the benchmarks module's Record:
// a few fields, 64 strings, 910 float64s and 48 KB of bytes.
type record struct {
	ID     int64
	Name   string
	Tags   []string
	Values []float64
	Data   []byte
}

func newRecord() *record {
	r := &record{ID: 1, Name: "record"}
	for i := 0; i < 64; i++ {
		r.Tags = append(r.Tags, strings.Repeat("t", 120))
	}
	for i := 0; i < 910; i++ {
		r.Values = append(r.Values, float64(i)*0.25)
	}
	r.Data = make([]byte, 48000)
	return r
}

// BenchmarkDecodeBudget decodes a 64 KiB record with the decode budget and
// without: what the budget's walk costs a large body.
func BenchmarkDecodeBudget(b *testing.B) {
	for _, c := range []codec.Codec{codec.Msgpack, codec.JSONRPC2} {
		frame := requestFrame(b, c, newRecord())
		for _, ratio := range []int{0, -1} {
			b.Run(c.Name()+map[int]string{0: "/budget", -1: "/none"}[ratio], func(b *testing.B) {
				for b.Loop() {
					conn := c.NewConn(&bufferConn{Reader: bytes.NewReader(frame)}, &codec.Options{MaxDecodeRatio: ratio})
					var h codec.Header
					conn.ReadHeader(&h)
					var r record
					if err := conn.ReadBody(&r); err != nil {
						b.Fatal(err)
					}
				}
			})
		}
	}
}

// gobCallStream is n requests of Arith.Multiply as the gob codec writes
// them on one stream: the type definitions once, then header and body.
func gobCallStream(b *testing.B, n int) []byte {
	rw := &bufferConn{Reader: strings.NewReader("")}
	conn := codec.Gob.NewConn(rw, nil)
	for i := range n {
		h := codec.Header{Kind: codec.Request, Seq: uint64(i), ServiceMethod: "Arith.Multiply"}
		if err := conn.Write(&h, &rpctest.Args{A: i, B: 8}); err != nil {
			b.Fatal(err)
		}
	}
	return rw.out.Bytes()
}

// BenchmarkGobSmallCall reads one small request, header and body, per op
// from a long gob stream, with the decode budget's walk and without: what
// the walk costs the calls most traffic is made of.
func BenchmarkGobSmallCall(b *testing.B) {
	const n = 4096
	stream := gobCallStream(b, n)
	for _, ratio := range []int{0, -1} {
		b.Run(map[int]string{0: "budget", -1: "none"}[ratio], func(b *testing.B) {
			b.ReportAllocs()
			var conn codec.Conn
			i := n
			for b.Loop() {
				if i == n {
					conn, i = codec.Gob.NewConn(&bufferConn{Reader: bytes.NewReader(stream)}, &codec.Options{MaxDecodeRatio: ratio}), 0
				}
				var h codec.Header
				var args rpctest.Args
				if err := conn.ReadHeader(&h); err != nil {
					b.Fatal(err)
				}
				if err := conn.ReadBody(&args); err != nil {
					b.Fatal(err)
				}
				i++
			}
		})
	}
}

// BenchmarkGobRecord decodes a 64 KiB record, with the budget and without.
func BenchmarkGobRecord(b *testing.B) {
	frame := gobRequest(b, newRecord())
	for _, ratio := range []int{0, -1} {
		b.Run(map[int]string{0: "budget", -1: "none"}[ratio], func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				conn := codec.Gob.NewConn(&bufferConn{Reader: bytes.NewReader(frame)}, &codec.Options{MaxDecodeRatio: ratio})
				var h codec.Header
				conn.ReadHeader(&h)
				var r record
				if err := conn.ReadBody(&r); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
