package codec_test

import (
	"bytes"
	"errors"
	"io"
	"strings"
	"testing"

	"github.com/duplexrpc/duplex/codec"
	"github.com/duplexrpc/duplex/internal/rpctest"
)

// inStream is a stream of messages, as a WebSocket is: each Read
// returns bytes of one message only, at most chunk of them, and
// MessageEnded says whether they were its last. What is written is kept.
type inStream struct {
	msgs  [][]byte
	chunk int
	ended bool
	out   bytes.Buffer
}

func (m *inStream) Read(p []byte) (int, error) {
	for len(m.msgs) > 0 && len(m.msgs[0]) == 0 {
		m.msgs = m.msgs[1:] // an empty message has no bytes to return
	}
	if len(m.msgs) == 0 {
		return 0, io.EOF
	}
	n := copy(p[:min(len(p), m.chunk)], m.msgs[0])
	m.msgs[0] = m.msgs[0][n:]
	m.ended = len(m.msgs[0]) == 0
	if m.ended {
		m.msgs = m.msgs[1:]
	}
	return n, nil
}

func (m *inStream) Write(p []byte) (int, error) { return m.out.Write(p) }
func (m *inStream) Close() error                { return nil }
func (m *inStream) ReadsMessages() bool         { return true }
func (m *inStream) MessageEnded() bool          { return m.ended }

var _ codec.MessageReader = (*inStream)(nil)

// readMessages reads every frame of msgs with c, chunk bytes a read at
// most, and returns the headers, the Args of the requests, and the error
// reading ended with.
func readMessages(c codec.Codec, chunk, limit int, msgs ...string) (hs []codec.Header, args []rpctest.Args, err error) {
	s := &inStream{chunk: chunk}
	for _, m := range msgs {
		s.msgs = append(s.msgs, []byte(m))
	}
	conn := c.NewConn(s, &codec.Options{MaxFrameSize: limit})
	for {
		var h codec.Header
		if err := conn.ReadHeader(&h); err != nil {
			return hs, args, err
		}
		var a rpctest.Args
		if h.Error == "" {
			if err := conn.ReadBody(&a); err != nil {
				return hs, args, err
			}
		}
		hs, args = append(hs, h), append(args, a)
	}
}

// Over a stream of messages one message is one frame, whatever the
// codec's framing on a byte stream: jsonrpc2-lines reads messages that
// have no newline, and lsp messages that have no header, as JavaScript
// clients send them, and both still read their own framing. Each is read
// whole and in pieces.
func TestOneMessageOneFrame(t *testing.T) {
	bare := func(a, b, id int) string {
		return `{"jsonrpc":"2.0","method":"Arith.Multiply","params":{"A":` + itoa(a) + `,"B":` + itoa(b) + `},"id":` + itoa(id) + `}`
	}
	lsp := func(body string) string { return "Content-Length: " + itoa(len(body)) + "\r\n\r\n" + body }
	cases := []struct {
		c    codec.Codec
		msgs []string
	}{
		{codec.JSONRPC2Lines, []string{bare(1, 2, 1), bare(3, 4, 2) + "\n", "", " \r\n", "\t" + bare(5, 6, 3) + " "}},
		{codec.LSP, []string{bare(1, 2, 1), lsp(bare(3, 4, 2)), "", "\r\n" + bare(5, 6, 3) + "\n"}},
		{codec.JSONRPC2, []string{bare(1, 2, 1), bare(3, 4, 2) + "\n", bare(5, 6, 3)}},
	}
	for _, tc := range cases {
		for _, chunk := range []int{1 << 20, 7, 1} {
			hs, args, err := readMessages(tc.c, chunk, 4<<10, tc.msgs...)
			if err != io.EOF {
				t.Errorf("%s, %d a read: reading ended with %v; want io.EOF", tc.c.Name(), chunk, err)
			}
			want := []rpctest.Args{{A: 1, B: 2}, {A: 3, B: 4}, {A: 5, B: 6}}
			if len(args) != 3 || args[0] != want[0] || args[1] != want[1] || args[2] != want[2] {
				t.Fatalf("%s, %d a read: read %+v, %+v; want the three requests", tc.c.Name(), chunk, hs, args)
			}
			for i, h := range hs {
				if h.Kind != codec.Request || h.Seq == 0 && i > 0 || h.Error != "" {
					t.Errorf("%s: message %d read as %+v", tc.c.Name(), i, h)
				}
			}
		}
	}
}

// A bad message fails that message only, on either framing: the next
// message is read. The lsp framing checks that a header's Content-Length
// is the rest of its message.
func TestBadMessageFailsThatMessageOnly(t *testing.T) {
	good := `{"jsonrpc":"2.0","method":"Arith.Multiply","params":{"A":2,"B":3},"id":7}`
	long := `{"jsonrpc":"2.0","method":"Echo.String","params":["` + strings.Repeat("x", 8<<10) + `"],"id":2}`
	cases := []struct {
		c        codec.Codec
		bad      string
		code     int
		errorHas string
	}{
		{codec.JSONRPC2Lines, long, -32600, "a message longer than 4096 bytes"},
		{codec.JSONRPC2Lines, `{"jsonrpc":"2.0","method":`, -32700, "Parse error"},
		{codec.LSP, long, -32600, "more than 4096 bytes"},
		{codec.LSP, "Content-Length: 5\r\n\r\n" + good, -32700, "holds " + itoa(len(good)) + " bytes after its header, not its Content-Length 5"},
		{codec.LSP, "Content-Type: utf-8\r\n\r\n" + good, -32700, "without a Content-Length"},
		{codec.LSP, "Content-Length: 37\r\nContent-Type: application/json; charset=latin1\r\n\r\n" + `{"jsonrpc":"2.0","method":"x","id":9}`, -32700, `charset "latin1"`},
	}
	for _, tc := range cases {
		hs, args, err := readMessages(tc.c, 1<<20, 4<<10, tc.bad, good)
		if err != io.EOF || len(hs) != 2 {
			t.Fatalf("%s %.40q: read %+v, ended with %v; want the bad message and the good one", tc.c.Name(), tc.bad, hs, err)
		}
		if hs[0].Code != tc.code || !strings.Contains(hs[0].Error, tc.errorHas) {
			t.Errorf("%s %.40q: read as %+v; want code %d saying %q", tc.c.Name(), tc.bad, hs[0], tc.code, tc.errorHas)
		}
		if hs[1].Error != "" || args[1] != (rpctest.Args{A: 2, B: 3}) {
			t.Errorf("%s: the message after the bad one read as %+v, %+v", tc.c.Name(), hs[1], args[1])
		}
	}
}

// On a byte stream nothing changes: a JSON message where an LSP header is
// due is another codec's, and a line still needs its newline to be more
// than the last one.
func TestByteStreamFramingUnchanged(t *testing.T) {
	msg := `{"jsonrpc":"2.0","method":"Arith.Multiply","params":{"A":2,"B":3},"id":7}`
	_, _, err := readArgs(codec.LSP, strings.NewReader(msg+"\n"))
	if !errors.Is(err, codec.ErrWrongCodec) || !strings.Contains(err.Error(), "JSON") {
		t.Errorf("lsp reading bare JSON from a byte stream: %v; want ErrWrongCodec naming JSON", err)
	}
	_, args, err := readArgs(codec.JSONRPC2Lines, strings.NewReader(msg+msg+"\n"))
	if len(args) != 1 || args[0] != (rpctest.Args{}) {
		t.Errorf("two messages on one line of a byte stream read as %+v, %v; want one bad line", args, err)
	}
}

// The JSON codecs' frames are text, and a stream that can take text is
// told so; gob's and msgpack's are not.
func TestAcceptText(t *testing.T) {
	for _, c := range codec.All() {
		s := &textStream{}
		got := codec.AcceptText(s, c)
		want := c == codec.JSONRPC || c == codec.JSONRPC2 || c == codec.LSP || c == codec.JSONRPC2Lines
		if got != want || s.accept != want || !s.told {
			t.Errorf("%s: AcceptText = %v, stream told %v (%v); want %v", c.Name(), got, s.accept, s.told, want)
		}
	}
	if codec.AcceptText(readerConn{strings.NewReader("")}, codec.JSONRPC2) {
		t.Error("AcceptText on a stream that cannot take text reported true")
	}
}

type textStream struct{ accept, told bool }

func (s *textStream) AcceptText(accept bool) { s.accept, s.told = accept, true }

func itoa(n int) string {
	var b [20]byte
	i := len(b)
	for {
		i--
		b[i] = byte('0' + n%10)
		if n /= 10; n == 0 {
			return string(b[i:])
		}
	}
}
