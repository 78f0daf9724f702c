package codec_test

import (
	"bytes"
	"errors"
	"io"
	"runtime"
	"strings"
	"testing"
	"testing/iotest"

	"github.com/duplexrpc/duplex/codec"
	"github.com/duplexrpc/duplex/internal/rpctest"
)

// This file checks the newline-delimited framing of jsonrpc2-lines: what
// it writes, and what it reads from peers that write lines their own way.

// readArgs reads every frame of input with c until the stream ends, and
// returns the headers and, for requests, the Args they carried. err is
// the error reading ended with.
func readArgs(c codec.Codec, r io.Reader) (hs []codec.Header, args []rpctest.Args, err error) {
	conn := c.NewConn(readerConn{r}, &codec.Options{MaxFrameSize: 4 << 10})
	for {
		var h codec.Header
		if err := conn.ReadHeader(&h); err != nil {
			return hs, args, err
		}
		var a rpctest.Args
		if err := conn.ReadBody(&a); err != nil {
			return hs, args, err
		}
		hs, args = append(hs, h), append(args, a)
	}
}

// TestLinesReading reads lines as other tools write them, whole and one
// byte per read: CRLF ends, empty lines, white space around a message, and
// a last line that the end of the stream cuts off its newline.
func TestLinesReading(t *testing.T) {
	input := "\n\r\n  " + `{"jsonrpc":"2.0","method":"Arith.Multiply","params":{"A":1,"B":2},"id":1}` + " \r\n" +
		"\t\r\n" +
		`{"jsonrpc":"2.0","method":"Arith.Multiply","params":[{"A":3,"B":4}],"id":"two"}` + "\n" +
		`{"jsonrpc":"2.0","method":"Arith.Multiply","params":{"A":5,"B":6}}`
	want := []rpctest.Args{{A: 1, B: 2}, {A: 3, B: 4}, {A: 5, B: 6}}
	for name, r := range map[string]func() io.Reader{
		"whole":         func() io.Reader { return strings.NewReader(input) },
		"byte per read": func() io.Reader { return iotest.OneByteReader(strings.NewReader(input)) },
	} {
		hs, args, err := readArgs(codec.JSONRPC2Lines, r())
		if err != io.EOF {
			t.Errorf("%s: reading ended with %v; want io.EOF", name, err)
		}
		if len(args) != len(want) {
			t.Fatalf("%s: read %+v; want 3 messages", name, hs)
		}
		for i := range want {
			kind := codec.Request
			if i == 2 {
				kind = codec.Notification
			}
			if hs[i].Kind != kind || hs[i].ServiceMethod != "Arith.Multiply" || args[i] != want[i] {
				t.Errorf("%s: message %d read as %+v with %+v; want a %v of Arith.Multiply with %+v", name, i, hs[i], args[i], kind, want[i])
			}
		}
	}
}

// TestLinesLongLineFailsThatLineOnly sends a line four times the frame
// limit between two requests: it is answered with an error, the request
// after it is read, and reading past it kept no more than the buffer a
// line at the limit needs.
func TestLinesLongLineFailsThatLineOnly(t *testing.T) {
	const limit = 64 << 10
	var in bytes.Buffer
	in.WriteString(`{"jsonrpc":"2.0","method":"Arith.Multiply","params":{"A":1,"B":2},"id":1}` + "\n")
	in.WriteString(`{"jsonrpc":"2.0","method":"Echo.String","params":["`)
	in.WriteString(strings.Repeat("x", 4*limit))
	in.WriteString(`"],"id":2}` + "\n")
	in.WriteString(`{"jsonrpc":"2.0","method":"Arith.Multiply","params":{"A":3,"B":4},"id":3}` + "\n")

	var out bytes.Buffer
	conn := codec.JSONRPC2Lines.NewConn(seedRWC{bytes.NewReader(in.Bytes()), &out}, &codec.Options{MaxFrameSize: limit})
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	var hs []codec.Header
	for {
		var h codec.Header
		if err := conn.ReadHeader(&h); err != nil {
			if err != io.EOF {
				t.Fatalf("reading ended with %v; want io.EOF", err)
			}
			break
		}
		conn.ReadBody(nil)
		hs = append(hs, h)
	}
	runtime.ReadMemStats(&after)
	// The buffer grows by doubling to the limit, as for any frame.
	if alloc := after.TotalAlloc - before.TotalAlloc; alloc > 2*limit+64<<10 {
		t.Errorf("reading allocated %d bytes; want at most %d", alloc, 2*limit+64<<10)
	}
	if len(hs) != 3 || hs[0].ServiceMethod != "Arith.Multiply" || hs[2].ServiceMethod != "Arith.Multiply" {
		t.Fatalf("read %+v; want the two requests and, between them, the long line", hs)
	}
	if hs[1].Kind != codec.Request || hs[1].Code != -32600 || !strings.Contains(hs[1].Error, "a line longer than 65536 bytes") {
		t.Errorf("the long line read as %+v; want a rejected request, -32600, naming the limit", hs[1])
	}
	write(t, conn, codec.Header{Kind: codec.Response, Seq: hs[1].Seq}, nil)
	want := `{"jsonrpc":"2.0","id":null,"error":{"code":-32600,"message":"Invalid Request: a line longer than 65536 bytes, the frame limit"}}` + "\n"
	if out.String() != want {
		t.Errorf("the long line answered\n%s want\n%s", out.String(), want)
	}
}

// TestLinesCutMidLine: a stream that ends inside a line past the limit
// ended inside a frame.
func TestLinesCutMidLine(t *testing.T) {
	_, _, err := readArgs(codec.JSONRPC2Lines, strings.NewReader(strings.Repeat("x", 10<<10)))
	if !errors.Is(err, io.ErrUnexpectedEOF) {
		t.Errorf("reading ended with %v; want io.ErrUnexpectedEOF", err)
	}
}
