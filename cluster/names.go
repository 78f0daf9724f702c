package cluster

import (
	"fmt"
	"unicode"

	"github.com/duplexrpc/duplex/codec"
)

// maxName is the longest worker or master name.
const maxName = 256

// checkName reports whether name can be one token of a NATS subject: it
// names a worker in P.call.NAME, and a master in P.fanout.ID.
func checkName(what, name string) error {
	if name == "" || len(name) > maxName {
		return fmt.Errorf("%w: %s %q: want 1 to %d bytes", ErrBadName, what, name, maxName)
	}
	for _, r := range name {
		if r == '.' || r == '*' || r == '>' || unicode.IsSpace(r) || unicode.IsControl(r) || r == unicode.ReplacementChar {
			return fmt.Errorf("%w: %s %q: '.', '*', '>', spaces and control characters are not allowed", ErrBadName, what, name)
		}
	}
	return nil
}

// The encodings whose bodies a master relays as they are.
const (
	encMsgpack = "msgpack"
	encJSON    = "json"
)

// encodingOf is the encoding of c's bodies: what a caller must encode in
// to call a worker that speaks c. It is "" for a codec without a raw form.
func encodingOf(c codec.Codec) string {
	if c == nil {
		return ""
	}
	return encodingOfName(c.Name())
}

func encodingOfName(name string) string {
	switch name {
	case codec.Msgpack.Name(), codec.MsgpackUgorji.Name():
		return encMsgpack
	case codec.JSONRPC.Name(), codec.JSONRPC2.Name(), codec.LSP.Name(), codec.JSONRPC2Lines.Name():
		return encJSON
	}
	return ""
}
