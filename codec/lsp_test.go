package codec_test

import (
	"bytes"
	"io"
	"strings"
	"testing"
	"testing/iotest"
	"unicode/utf8"

	"github.com/duplexrpc/duplex/codec"
	"github.com/duplexrpc/duplex/internal/rpctest"
)

// This file checks the LSP base protocol framing against the spec
// (https://microsoft.github.io/language-server-protocol/specifications/base/0.9/specification/):
// header fields with HTTP's rules, a Content-Length in bytes, an optional
// Content-Type whose charset is utf-8; and what the codec writes.

// TestLSPHeaders reads one request behind each header a peer may write,
// whole, one byte per read, and followed by a second frame, which must be
// read from where the first one's Content-Length ends.
func TestLSPHeaders(t *testing.T) {
	const body = `{"jsonrpc":"2.0","method":"Arith.Multiply","params":{"A":7,"B":8},"id":1}`
	n := "73"
	if len(body) != 73 {
		t.Fatalf("the body is %d bytes", len(body))
	}
	for _, header := range []string{
		"Content-Length: " + n + "\r\n\r\n",
		"Content-Length: " + n + "\r\nContent-Type: application/vscode-jsonrpc; charset=utf-8\r\n\r\n",
		"Content-Type: application/vscode-jsonrpc; charset=utf-8\r\nContent-Length: " + n + "\r\n\r\n",
		"content-length: " + n + "\r\n\r\n", // names ignore case (HTTP)
		"CONTENT-LENGTH: " + n + "\r\ncontent-type: application/json\r\n\r\n",
		"Content-Length:" + n + "\r\n\r\n",                                                            // no space after the colon
		"Content-Length: \t" + n + " \t\r\n\r\n",                                                      // white space around the value
		"Content-Length: 0000" + n + "\r\n\r\n",                                                       // leading zeros
		"X-Request-Id: abc\r\nContent-Length: " + n + "\r\nX-Other: \r\n\r\n",                         // fields the spec does not know
		"Content-Length: " + n + "\r\nContent-Length: " + n + "\r\n\r\n",                              // the same length twice
		"Content-Length: " + n + "\r\nContent-Type: application/vscode-jsonrpc; charset=utf8\r\n\r\n", // the spec's legacy name
		"Content-Length: " + n + "\r\nContent-Type: application/vscode-jsonrpc; charset=\"UTF-8\"\r\n\r\n",
		"Content-Length: " + n + "\n\n",             // bare line feeds
		"\r\n\r\nContent-Length: " + n + "\r\n\r\n", // empty lines before the header
	} {
		for name, input := range map[string]func() io.Reader{
			"whole":         func() io.Reader { return strings.NewReader(header + body) },
			"byte per read": func() io.Reader { return iotest.OneByteReader(strings.NewReader(header + body)) },
			"then one frame": func() io.Reader {
				return strings.NewReader(header + body + lspFrame(strings.Replace(body, "7", "9", 1)))
			},
		} {
			hs, args, err := readArgs(codec.LSP, input())
			want := []rpctest.Args{{A: 7, B: 8}, {A: 9, B: 8}}[:len(args)]
			if err != io.EOF || len(args) == 0 || name == "then one frame" && len(args) != 2 {
				t.Errorf("header %q, %s: read %+v, then %v; want the request(s) then io.EOF", header, name, hs, err)
				continue
			}
			for i := range args {
				if hs[i].Kind != codec.Request || hs[i].ServiceMethod != "Arith.Multiply" || args[i] != want[i] {
					t.Errorf("header %q, %s: read %+v with %+v; want Arith.Multiply with %+v", header, name, hs[i], args[i], want[i])
				}
			}
		}
	}
}

// TestFramedBytes checks every kind of frame the framed codecs write, and
// the shapes their params take.
func TestFramedBytes(t *testing.T) {
	type pair struct{ A, B int }
	for _, tc := range []struct {
		h    codec.Header
		body any
		want string
	}{
		{codec.Header{Kind: codec.Request, ServiceMethod: "Arith.Multiply", Seq: 0}, &rpctest.Args{A: 7, B: 8},
			`{"jsonrpc":"2.0","method":"Arith.Multiply","params":{"A":7,"B":8},"id":0}`},
		{codec.Header{Kind: codec.Request, ServiceMethod: "textDocument/hover", Seq: 12}, map[string]any{"position": map[string]int{"line": 3}},
			`{"jsonrpc":"2.0","method":"textDocument/hover","params":{"position":{"line":3}},"id":12}`},
		{codec.Header{Kind: codec.Request, ServiceMethod: "shutdown", Seq: 1}, nil,
			`{"jsonrpc":"2.0","method":"shutdown","id":1}`},
		{codec.Header{Kind: codec.Notification, ServiceMethod: "exit"}, nil,
			`{"jsonrpc":"2.0","method":"exit"}`},
		{codec.Header{Kind: codec.Notification, ServiceMethod: "Arith.Multiply"}, (*pair)(nil),
			`{"jsonrpc":"2.0","method":"Arith.Multiply"}`},
		{codec.Header{Kind: codec.Request, ServiceMethod: "Arith.Wait", Seq: 2}, 60000,
			`{"jsonrpc":"2.0","method":"Arith.Wait","params":[60000],"id":2}`},
		{codec.Header{Kind: codec.Request, ServiceMethod: "Echo.String", Seq: 3}, "<é>",
			`{"jsonrpc":"2.0","method":"Echo.String","params":["\u003cé\u003e"],"id":3}`},
		{codec.Header{Kind: codec.Request, ServiceMethod: "Echo.Sum", Seq: 4}, []int{1, 2},
			`{"jsonrpc":"2.0","method":"Echo.Sum","params":[[1,2]],"id":4}`},
		{codec.Header{Kind: codec.Request, ServiceMethod: "Echo.Sum", Seq: 5}, codec.Params{1, 2},
			`{"jsonrpc":"2.0","method":"Echo.Sum","params":[1,2],"id":5}`},
		{codec.Header{Kind: codec.Request, ServiceMethod: "Echo.Sum", Seq: 6}, codec.Params{pair{1, 2}},
			`{"jsonrpc":"2.0","method":"Echo.Sum","params":[{"A":1,"B":2}],"id":6}`},
		{codec.Header{Kind: codec.Cancel, Seq: 5}, nil,
			`{"jsonrpc":"2.0","method":"$/cancelRequest","params":{"id":5}}`},
	} {
		for _, c := range []codec.Codec{codec.LSP, codec.JSONRPC2Lines} {
			var out bytes.Buffer
			write(t, c.NewConn(nopCloser{&out}, nil), tc.h, tc.body)
			want := tc.want + "\n"
			if c == codec.LSP {
				want = lspFrame(tc.want)
			}
			if out.String() != want {
				t.Errorf("%s: %+v with %#v wrote\n%q want\n%q", c.Name(), tc.h, tc.body, out.String(), want)
			}
		}
	}
	t.Run("responses", func(t *testing.T) {
		const req = `{"jsonrpc":"2.0","method":"Arith.Multiply","params":{"A":7,"B":8},"id":"x"}`
		for _, tc := range []struct {
			h    codec.Header
			want string
		}{
			{codec.Header{Kind: codec.Response}, `{"jsonrpc":"2.0","id":"x","result":56}`},
			{codec.Header{Kind: codec.Response, Error: "boom"}, `{"jsonrpc":"2.0","id":"x","error":{"code":-32000,"message":"boom"}}`},
			{codec.Header{Kind: codec.Response, Error: "c", Code: -32800}, `{"jsonrpc":"2.0","id":"x","error":{"code":-32800,"message":"c"}}`},
		} {
			h, want := tc.h, tc.want
			if got := answer(t, codec.LSP, lspFrame(req), h, 56); got != lspFrame(want) {
				t.Errorf("lsp: %+v wrote %q; want %q", h, got, lspFrame(want))
			}
			if got := answer(t, codec.JSONRPC2Lines, req+"\n", h, 56); got != want+"\n" {
				t.Errorf("jsonrpc2-lines: %+v wrote %q; want %q", h, got, want+"\n")
			}
		}
	})
	t.Run("batch", func(t *testing.T) {
		const batch = `[{"jsonrpc":"2.0","method":"Arith.Multiply","params":{"A":7,"B":8},"id":1},{"x":1}]`
		var out bytes.Buffer
		conn := codec.LSP.NewConn(seedRWC{strings.NewReader(lspFrame(batch)), &out}, nil)
		for range 2 {
			h := read(t, conn)
			write(t, conn, codec.Header{Kind: codec.Response, Seq: h.Seq}, 56)
		}
		want := lspFrame(`[{"jsonrpc":"2.0","id":null,"error":{"code":-32600,"message":"Invalid Request: no method"}},{"jsonrpc":"2.0","id":1,"result":56}]`)
		if out.String() != want {
			t.Errorf("batch answered %q; want %q", out.String(), want)
		}
	})
}

// TestLSPContentLengthCountsBytes: Content-Length counts the bytes of the
// body in UTF-8, not its characters, both ways.
func TestLSPContentLengthCountsBytes(t *testing.T) {
	const text = "héllo, 世界 🌍"
	s := dialFramed(t, codec.LSP, 0)
	s.send(`{"jsonrpc":"2.0","method":"Echo.String","params":["` + text + `"],"id":1}`)
	body := string(s.recv()) // the test's reader reads exactly Content-Length bytes
	if want := `{"jsonrpc":"2.0","id":1,"result":"` + text + `"}`; body != want {
		t.Errorf("answered %s; want %s", body, want)
	}
	if len(body) == utf8.RuneCountInString(body) {
		t.Fatal("the test's text is all ASCII")
	}
}

// TestLSPCharset: the spec supports utf-8 only, and asks a peer that gets
// another charset to answer with an error. A request is answered under its
// id; the connection reads on.
func TestLSPCharset(t *testing.T) {
	s := dialFramed(t, codec.LSP, 0)
	const req = `{"jsonrpc":"2.0","method":"Arith.Multiply","params":{"A":7,"B":8},"id":9}`
	s.write("Content-Type: application/vscode-jsonrpc; charset=utf-16\r\n" + lspFrame(req))
	if got, want := string(s.recv()), `{"jsonrpc":"2.0","id":9,"error":{"code":-32700,"message":"Parse error: content in charset \"utf-16\": LSP content is utf-8"}}`; got != want {
		t.Errorf("got %s; want %s", got, want)
	}
	s.send(multiply7x8)
	if got, want := string(s.recv()), `{"jsonrpc":"2.0","id":1,"result":56}`; got != want {
		t.Errorf("after it, got %s; want %s", got, want)
	}
}

// TestLSPCleanEnd: a stream that ends between frames ends cleanly, even
// after an empty line some peers write after a body; one that ends inside
// a header or a body does not.
func TestLSPCleanEnd(t *testing.T) {
	for input, want := range map[string]error{
		lspFrame(multiply7x8):                                io.EOF,
		lspFrame(multiply7x8) + "\r\n":                       io.EOF,
		lspFrame(multiply7x8) + "Content-Length: 73\r\n":     io.ErrUnexpectedEOF,
		lspFrame(multiply7x8) + "Content-Length: 73\r\n\r\n": io.ErrUnexpectedEOF,
		lspFrame(multiply7x8) + "Content-Len":                io.ErrUnexpectedEOF,
	} {
		if _, _, err := readArgs(codec.LSP, strings.NewReader(input)); err != want {
			t.Errorf("%q: reading ended with %v; want %v", input, err, want)
		}
	}
}
