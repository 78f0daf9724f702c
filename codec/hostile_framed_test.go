package codec_test

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"strings"
	"testing"

	"github.com/duplexrpc/duplex/codec"
)

// This file holds the hostile inputs of the framed codecs, lsp and
// jsonrpc2-lines, which TestHostileFrames reads, and checks that a bad
// LSP header ends the connection with an error that says what is wrong.

// lspFrame frames body as the LSP base protocol does.
func lspFrame(body string) string {
	return fmt.Sprintf("Content-Length: %d\r\n\r\n%s", len(body), body)
}

// multiply7x8 is a request every JSON-RPC 2.0 server of these tests answers
// with 56.
const multiply7x8 = `{"jsonrpc":"2.0","method":"Arith.Multiply","params":{"A":7,"B":8},"id":1}`

func hostileLSP() []hostileCase {
	tooLarge := []error{codec.ErrFrameTooLarge}
	malformed := []error{codec.ErrMalformed}
	return []hostileCase{
		{"Content-Length of 2^63", []byte("Content-Length: 9223372036854775808\r\n\r\n{}"), tooLarge},
		{"Content-Length of 10^30", []byte("Content-Length: 1000000000000000000000000000000\r\n\r\n{}"), tooLarge},
		{"Content-Length of 1 GiB", []byte("Content-Length: 1073741824\r\n\r\n{}"), tooLarge},
		{"Content-Length one past the limit", []byte(fmt.Sprintf("Content-Length: %d\r\n\r\n{}", hostileMax+1)), tooLarge},
		{"Content-Length at the limit, cut short", []byte(fmt.Sprintf("Content-Length: %d\r\n\r\n{}", hostileMax)), []error{io.ErrUnexpectedEOF}},
		{"Content-Length past the limit after a good frame", []byte(lspFrame(multiply7x8) + "Content-Length: 4294967296\r\n\r\n"), tooLarge},
		{"no Content-Length", []byte("Content-Type: application/vscode-jsonrpc; charset=utf-8\r\n\r\n{}"), malformed},
		{"Content-Length not a number", []byte("Content-Length: 12a\r\n\r\n{}"), malformed},
		{"Content-Length negative", []byte("Content-Length: -1\r\n\r\n{}"), malformed},
		{"two Content-Lengths", []byte("Content-Length: 2\r\nContent-Length: 3\r\n\r\n{}"), malformed},
		{"garbage header", []byte("garbage\r\n\r\n"), malformed},
		{"bare JSON after a good frame", []byte(lspFrame(multiply7x8) + multiply7x8 + "\r\n"), malformed},
		{"header line without end", append([]byte("X-Pad: "), bytes.Repeat([]byte("a"), 2*hostileMax)...), malformed},
		{"header of endless fields", bytes.Repeat([]byte("X-Pad: a\r\n"), hostileMax), malformed},
		{"endless empty lines after a good frame", append([]byte(lspFrame(multiply7x8)), bytes.Repeat([]byte("\r\n"), hostileMax)...), malformed},
		{"NUL in a header", []byte("Content-Length: 2\x00\r\n\r\n{}"), malformed},
		{"header cut short", []byte("Content-Length: 2\r\n"), []error{io.ErrUnexpectedEOF}},
		// Bodies are framed: a bad one fails that frame, and reading goes
		// on to the end of the stream.
		{"body nested past the limit", []byte(lspFrame(strings.Repeat("[", 100_000))), []error{io.EOF}},
		{"10 MB body declared", []byte("Content-Length: 10485760\r\n\r\n" + strings.Repeat("x", 10<<20)), tooLarge},
	}
}

func hostileLines() []hostileCase {
	return []hostileCase{
		// A line past the limit is read past, not kept: a bad line fails
		// that line only (TestLinesLongLineFailsThatLineOnly).
		{"line past the limit, cut short", bytes.Repeat([]byte("["), 4*hostileMax), []error{io.ErrUnexpectedEOF}},
		{"unterminated string past the limit", append([]byte(`{"method":"`), bytes.Repeat([]byte("a"), 2*hostileMax)...), []error{io.ErrUnexpectedEOF}},
		{"nested arrays", append(bytes.Repeat([]byte("["), 100_000), '\n'), []error{io.EOF}},
		{"nested objects", append(bytes.Repeat([]byte(`{"a":`), 100_000), '\n'), []error{io.EOF}},
		{"empty lines", bytes.Repeat([]byte("\r\n"), hostileMax), []error{io.EOF}},
	}
}

// TestLSPBadHeaderSaysWhy checks that each bad header ends the connection
// with an error naming what is wrong, for a person reading a log.
func TestLSPBadHeaderSaysWhy(t *testing.T) {
	for _, tc := range []struct {
		input, want string
		is          error
	}{
		{"Content-Type: application/json\r\n\r\n{}", "LSP header without a Content-Length", codec.ErrMalformed},
		{"Content-Length: twelve\r\n\r\n", `LSP Content-Length "twelve" is not a number of bytes`, codec.ErrMalformed},
		{"Content-Length:\r\n\r\n", "LSP Content-Length is empty", codec.ErrMalformed},
		{"Content-Length: 2\r\ncontent-length: 3\r\n\r\n{}", "LSP header with two Content-Lengths, 2 and 3", codec.ErrMalformed},
		{"Content-Length: 99999999999\r\n\r\n", "LSP Content-Length 99999999999 is more than 1048576 bytes", codec.ErrFrameTooLarge},
		{"garbage\r\n\r\n", `LSP header line "garbage" is not "Name: value"`, codec.ErrMalformed},
		{"Content Length: 2\r\n\r\n{}", `LSP header line "Content Length: 2" has no field name`, codec.ErrMalformed},
		{"Content-Length: 2\x01\r\n\r\n{}", "holds a control character", codec.ErrMalformed},
		{"X-Pad: " + strings.Repeat("a", 9000), "LSP header longer than 8192 bytes", codec.ErrMalformed},
		{multiply7x8, "the first bytes look like JSON", codec.ErrWrongCodec},
	} {
		err := drain(codec.LSP, []byte(tc.input), hostileMax)
		if !errors.Is(err, tc.is) || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%q: error %v; want %v saying %q", tc.input, err, tc.is, tc.want)
		}
	}
}

// TestFramedAllocationBounded checks, with testing.AllocsPerRun and the
// bytes allocated, that a frame declaring a length far past the limit
// costs neither: it is refused before anything is allocated for it.
func TestFramedAllocationBounded(t *testing.T) {
	input := []byte("Content-Length: 4294967296\r\n\r\n")
	var err error
	allocs := testing.AllocsPerRun(20, func() { err = drain(codec.LSP, input, hostileMax) })
	if !errors.Is(err, codec.ErrFrameTooLarge) {
		t.Fatalf("error %v; want ErrFrameTooLarge", err)
	}
	// A Conn, its read buffer and the error: a handful, whatever the
	// declared length.
	if allocs > 30 {
		t.Errorf("reading a 4 GiB Content-Length made %v allocations; want at most 30", allocs)
	}
}
