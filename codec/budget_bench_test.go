package codec_test

import (
	"bytes"
	"strings"
	"testing"

	"github.com/duplexrpc/duplex/codec"
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
