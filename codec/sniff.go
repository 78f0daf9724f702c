package codec

import (
	"fmt"
	"strings"
)

// The first bytes of a connection say which wire the other end speaks, as
// far as the formats of this package go: a JSON-RPC message opens with
// '{' or '[', a msgpack-rpc message is an array of 3 or 4 (0x93, 0x94, or
// a longer array header), and a gob stream opens with a type definition: a
// length below 0x80, then its negative type id (at most -64), which gob
// writes as 0x7f for -64 and as a byte count, 0xff or 0xfe, below that;
// an LSP message opens with a header field, Content-Length or Content-Type.
// A Conn checks the first bytes it reads, so that the wrong codec on the
// other end fails at once with an error that names the likely cause,
// instead of a parse error, or a read that waits for ever for a length
// that was never a length.

// guessWire names the wire format that a stream starting with b (one or
// two bytes) is, or "" when it cannot tell.
func guessWire(b []byte) string {
	switch {
	case len(b) == 0:
		return ""
	case b[0] == 0x93 || b[0] == 0x94 || b[0] == 0xdc || b[0] == 0xdd:
		return "msgpack-rpc (msgpack or msgpack-ugorji)"
	case len(b) >= 2 && b[0] < 0x80 && (b[1] == 0x7f || b[1] >= 0xfe):
		return "gob"
	case b[0] == '{' || b[0] == '[':
		return "JSON (jsonrpc, jsonrpc2 or jsonrpc2-lines)"
	case len(b) >= 2 && b[0]|0x20 == 'c' && b[1]|0x20 == 'o': // Content-Length, Content-Type
		return lspGuess
	}
	return ""
}

// checkWire reads the first bytes of a stream through peek, which returns
// the first n unread bytes without consuming them, and returns
// ErrWrongCodec if they look like a wire other than want ("JSON",
// "msgpack-rpc", "gob" or "LSP"), this end's codec being name. It decides on one
// byte where one suffices, and otherwise looks at two.
func checkWire(peek func(n int) ([]byte, error), want, name string) error {
	b, err := peek(1)
	if err != nil {
		return err
	}
	guess := guessWire(b)
	if b[0] < 0x80 { // '{', '[' and a gob length all are: the second byte tells
		if two, err := peek(2); err == nil {
			guess = guessWire(two)
		}
	}
	if guess == "" || len(guess) >= len(want) && guess[:len(want)] == want {
		return nil
	}
	if want == "LSP" && strings.HasPrefix(guess, "JSON") {
		// A JSON message without its header: over a WebSocket, one
		// message is one frame and may come so; on a byte stream it is
		// another codec's. The LSP framing knows which it has, and says.
		return nil
	}
	return wrongWire(guess, name)
}

// wrongWire is the error for first bytes that look like the wire guess,
// at an end that speaks the codec name.
func wrongWire(guess, name string) error {
	return fmt.Errorf("%w: the first bytes look like %s; this end speaks %s", ErrWrongCodec, guess, name)
}
