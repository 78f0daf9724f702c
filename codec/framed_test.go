package codec_test

import (
	"bufio"
	"encoding/json"
	"io"
	"net"
	"net/textproto"
	"strconv"
	"testing"
	"time"

	"github.com/duplexrpc/duplex/codec"
)

// This file checks what the two framed codecs, lsp and jsonrpc2-lines,
// share: a frame whose framing is sound but whose content is not a
// JSON-RPC message fails that frame only, and the next frame is read.
// The test's end of each connection frames messages with code of its own
// (net/textproto reads LSP's header, as it reads HTTP's), so that a
// mistake in the codec cannot hide behind the same mistake in the test.

// framedSocket is a test's end of a connection to a net/rpc server that
// speaks a framed codec.
type framedSocket struct {
	t    testing.TB
	lsp  bool
	conn net.Conn
	r    *bufio.Reader
}

// dialFramed connects to a net/rpc server with rpctest's Arith and Echo
// that speaks c, reading frames of at most max bytes (0: the default).
func dialFramed(t testing.TB, c codec.Codec, max int) *framedSocket {
	t.Helper()
	clientConn, serverConn := loopback(t)
	server := newTestServer(t)
	conn := c.NewConn(serverConn, &codec.Options{MaxFrameSize: max})
	goServe(t, serverConn, func() { server.ServeCodec(codec.NewServerCodec(conn)) })
	return &framedSocket{t: t, lsp: c == codec.LSP, conn: clientConn, r: bufio.NewReader(clientConn)}
}

// send writes body as one frame.
func (s *framedSocket) send(body string) {
	s.t.Helper()
	if s.lsp {
		body = lspFrame(body)
	} else {
		body += "\n"
	}
	s.write(body)
}

func (s *framedSocket) write(b string) {
	s.t.Helper()
	s.conn.SetWriteDeadline(time.Now().Add(10 * time.Second))
	if _, err := io.WriteString(s.conn, b); err != nil {
		s.t.Fatalf("write: %v", err)
	}
}

// recv reads one frame and returns its body, checking that it is one JSON
// value.
func (s *framedSocket) recv() json.RawMessage {
	s.t.Helper()
	s.conn.SetReadDeadline(time.Now().Add(10 * time.Second))
	var body []byte
	if s.lsp {
		header, err := textproto.NewReader(s.r).ReadMIMEHeader()
		if err != nil {
			s.t.Fatalf("reading an LSP header: %v", err)
		}
		n, err := strconv.Atoi(header.Get("Content-Length"))
		if err != nil || len(header) != 1 {
			s.t.Fatalf("LSP header %v; want exactly a Content-Length", header)
		}
		body = make([]byte, n)
		if _, err := io.ReadFull(s.r, body); err != nil {
			s.t.Fatalf("reading an LSP body of %d bytes: %v", n, err)
		}
	} else {
		line, err := s.r.ReadBytes('\n')
		if err != nil {
			s.t.Fatalf("reading a line: %v", err)
		}
		body = line[:len(line)-1]
	}
	if !json.Valid(body) {
		s.t.Fatalf("frame %q is not one JSON value", body)
	}
	return body
}

// TestFramedBadFrameFailsThatFrameOnly sends, on each framed codec, frames
// that hold no JSON-RPC message, each answered with its error, and then a
// request that is answered as if nothing had happened. On the bare
// jsonrpc2 codec the unbalanced bracket would have swallowed the rest.
func TestFramedBadFrameFailsThatFrameOnly(t *testing.T) {
	const limit = 4 << 10
	for _, c := range []codec.Codec{codec.LSP, codec.JSONRPC2Lines} {
		t.Run(c.Name(), func(t *testing.T) {
			t.Parallel()
			s := dialFramed(t, c, limit)
			for _, tc := range []struct{ body, want string }{
				{`not JSON`, `{"jsonrpc":"2.0","id":null,"error":{"code":-32700,"message":"Parse error: the frame holds no JSON object or array"}}`},
				{`{"jsonrpc":"2.0","method":"Arith.Multiply","params":{"A":7,"B":8},"id":1`,
					`{"jsonrpc":"2.0","id":null,"error":{"code":-32700,"message":"Parse error: unexpected end of JSON input"}}`},
				{`{"jsonrpc":"2.0","method":"Arith.Multiply","id":1} {"jsonrpc":"2.0","method":"Arith.Multiply","id":2}`,
					`{"jsonrpc":"2.0","id":null,"error":{"code":-32700,"message":"Parse error: invalid character '{' after top-level value"}}`},
				{`[` + string(make([]byte, 0)) + `]`, `{"jsonrpc":"2.0","id":null,"error":{"code":-32600,"message":"Invalid Request: empty batch"}}`},
				{nest(300), `{"jsonrpc":"2.0","id":null,"error":{"code":-32600,"message":"Invalid Request: nested more than 256 levels"}}`},
				{`{"jsonrpc":"2.0","method":"Arith.Multiply","params":{"A":` + nest(300) + `},"id":"deep"}`,
					`{"jsonrpc":"2.0","id":"deep","error":{"code":-32600,"message":"Invalid Request: nested more than 256 levels"}}`},
				{multiply7x8, `{"jsonrpc":"2.0","id":1,"result":56}`},
			} {
				s.send(tc.body)
				if got := string(s.recv()); got != tc.want {
					t.Errorf("sent %.60s\n got %s\nwant %s", tc.body, got, tc.want)
				}
			}
		})
	}
}

// nest is n nested empty arrays.
func nest(n int) string {
	b := make([]byte, 2*n)
	for i := range n {
		b[i], b[2*n-1-i] = '[', ']'
	}
	return string(b)
}
