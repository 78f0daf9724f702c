package codec_test

import (
	"bytes"
	"errors"
	"io"
	"strings"
	"testing"

	"github.com/duplexrpc/duplex/codec"
)

// SplitFrame cuts a connection's bytes where the codec's own reader does:
// each frame written alone is found whole, every shorter prefix of it is
// cut short, and a stream of frames splits into them, in order.
func TestSplitFrame(t *testing.T) {
	frames := []struct {
		h codec.Header
		v any
	}{
		{codec.Header{Kind: codec.Request, ServiceMethod: "Arith.Multiply", Seq: 1}, map[string]int{"A": 7, "B": 8}},
		{codec.Header{Kind: codec.Notification, ServiceMethod: "Log.Line"}, strings.Repeat("x", 300<<10)},
		{codec.Header{Kind: codec.Request, ServiceMethod: "Arith.Divide", Seq: 2}, []int{1, 0}},
	}
	for _, c := range codec.All() {
		t.Run(c.Name(), func(t *testing.T) {
			var stream bytes.Buffer
			conn := c.NewConn(nopCloser{&stream}, nil)
			var sizes []int
			for _, f := range frames {
				before := stream.Len()
				if err := conn.Write(&f.h, f.v); err != nil {
					t.Fatal(err)
				}
				sizes = append(sizes, stream.Len()-before)
			}
			data := stream.Bytes()
			if c == codec.Gob { // gob's first write holds type definitions, each a message
				data, sizes = gobFrames(t, data)
			}
			// A bare JSON frame ends at its bracket: the newline written
			// after it is white space before the next, and goes with it.
			bare := c == codec.JSONRPC || c == codec.JSONRPC2
			carry := 0
			for i, size := range sizes {
				want, lead := size+carry, carry
				if bare {
					want, carry = want-1, 1
				}
				for _, cut := range []int{0, lead + 1, want / 2, want - 1} { // a lone newline is white space, not a cut frame
					if _, _, err := codec.SplitFrame(c, data[:cut]); !errors.Is(err, io.ErrUnexpectedEOF) {
						t.Fatalf("frame %d cut at %d of %d bytes: %v; want io.ErrUnexpectedEOF", i, cut, want, err)
					}
				}
				n, body, err := codec.SplitFrame(c, data)
				if err != nil || n != want {
					t.Fatalf("frame %d: n %d, %v; want its %d bytes", i, n, err, want)
				}
				if len(body) == 0 || len(body) > n || !bytes.Contains(data[:n], body) {
					t.Fatalf("frame %d: a body of %d bytes that is not the frame's own", i, len(body))
				}
				data = data[n:]
			}
			if n, body, err := codec.SplitFrame(c, data); carry > 0 && (n != carry || body != nil || err != nil) {
				t.Fatalf("the last newline: %d, %q, %v; want it taken as white space", n, body, err)
			}
			data = data[carry:]
			if len(data) != 0 {
				t.Fatalf("%d bytes after the last frame", len(data))
			}
		})
	}
}

// gobFrames splits a gob stream by the message lengths it declares, as the
// test's own reading, to hold SplitFrame's against.
func gobFrames(t *testing.T, b []byte) ([]byte, []int) {
	t.Helper()
	msgs, err := gobMessages(b)
	if err != nil {
		t.Fatal(err)
	}
	var sizes []int
	rest := b
	for range msgs {
		size, n, err := gobUint(rest)
		if err != nil {
			t.Fatal(err)
		}
		sizes = append(sizes, n+int(size))
		rest = rest[n+int(size):]
	}
	return b, sizes
}

func TestSplitFrameRefuses(t *testing.T) {
	for _, tc := range []struct {
		c    codec.Codec
		data string
		want error
	}{
		{codec.JSONRPC2, "hello\n", codec.ErrMalformed},
		{codec.Msgpack, "\xc1", codec.ErrMalformed},
		{codec.Msgpack, "\xdb\xff\xff\xff\xff", codec.ErrFrameTooLarge},
		{codec.LSP, "Content-Length: 99999999999\r\n\r\n", codec.ErrFrameTooLarge},
		{codec.JSONRPC2, strings.Repeat("[", codec.MaxDepth+1), codec.ErrTooDeep},
	} {
		if _, _, err := codec.SplitFrame(tc.c, []byte(tc.data)); !errors.Is(err, tc.want) {
			t.Errorf("%s %q: %v; want %v", tc.c.Name(), tc.data[:min(len(tc.data), 20)], err, tc.want)
		}
	}
	n, body, err := codec.SplitFrame(codec.JSONRPC2Lines, []byte(" \r\n\n"))
	if n != 4 || body != nil || err != nil {
		t.Errorf("white space alone: %d, %q, %v; want all 4 bytes, no body", n, body, err)
	}
}
