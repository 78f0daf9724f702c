package codec

import (
	"encoding/json"
	"errors"
	"fmt"
	"reflect"

	ugorji "github.com/ugorji/go/codec"
	"github.com/vmihailenco/msgpack/v5"
)

// Raw is one body value already encoded in a Conn's wire format: msgpack
// for [Msgpack] and [MsgpackUgorji], JSON for [JSONRPC] and [JSONRPC2].
// Written as a call's argument or a reply, its bytes go on the wire as
// they are; a body read into a *Raw is copied as it is, never decoded. So
// a relay can carry calls between two connections without knowing the Go
// types of what they carry: read the reply into a Raw on one connection,
// and write that Raw on another of the same wire.
//
// A Raw must hold exactly one value of its wire (an empty Raw is nil, or
// null): writing any other bytes fails that frame with [ErrEncode], and
// nothing of it reaches the stream. A Raw holds the argument itself, not a
// parameter list: a Conn puts it in the list as it would any argument.
// Decoding a body into a Raw is charged its size against the frame's
// budget ([Options.MaxDecodeRatio]), not the values it stands for.
//
// [Gob] has no raw form: its stream carries type descriptions inline, so
// a gob value cannot be cut out of one stream and spliced into another. A
// Raw written on gob goes as a byte slice.
//
// [EncodeRaw] and [DecodeRaw] turn Go values into Raw bodies and back
// exactly as a Conn of a given codec would.
type Raw []byte

// The decoders Raw plugs into, and the budget's test for it.
var (
	_ msgpack.Marshaler   = Raw(nil)
	_ msgpack.Unmarshaler = (*Raw)(nil)
	_ ugorji.Selfer       = (*Raw)(nil)
	_ json.Marshaler      = Raw(nil)
	_ json.Unmarshaler    = (*Raw)(nil)

	rawType = reflect.TypeFor[Raw]()
)

// msgpackNil and jsonNull stand for an empty Raw on each wire.
var msgpackNil = []byte{0xc0}

// errRawNotOne: a Raw that is not exactly one value of the wire it is
// written to.
var errRawNotOne = errors.New("codec: Raw does not hold exactly one value")

// msgpackValue returns r as one msgpack value, checked.
func (r Raw) msgpackValue() ([]byte, error) {
	if len(r) == 0 {
		return msgpackNil, nil
	}
	if end, err := mpSkip(r, 0); err != nil || end != len(r) {
		return nil, fmt.Errorf("%w of msgpack (%d bytes)", errRawNotOne, len(r))
	}
	return r, nil
}

// MarshalMsgpack returns r as it is, for github.com/vmihailenco/msgpack/v5,
// which writes it verbatim.
func (r Raw) MarshalMsgpack() ([]byte, error) { return r.msgpackValue() }

// UnmarshalMsgpack keeps a copy of the encoded value b.
func (r *Raw) UnmarshalMsgpack(b []byte) error {
	*r = append((*r)[:0], b...)
	return nil
}

// CodecEncodeSelf writes r as it is, for github.com/ugorji/go/codec (whose
// handle in this package allows raw values).
func (r Raw) CodecEncodeSelf(e *ugorji.Encoder) {
	b, err := r.msgpackValue()
	if err != nil {
		panic(err) // ugorji turns a panic in an encoder into Encode's error
	}
	e.MustEncode(ugorji.Raw(b))
}

// CodecDecodeSelf keeps a copy of the encoded value being decoded.
func (r *Raw) CodecDecodeSelf(d *ugorji.Decoder) {
	var b ugorji.Raw
	d.MustDecode(&b)
	*r = append((*r)[:0], b...)
}

// MarshalJSON returns r as it is; encoding/json checks that it is one
// JSON value, and compacts it.
func (r Raw) MarshalJSON() ([]byte, error) {
	if len(r) == 0 {
		return jsonNull, nil
	}
	if !json.Valid(r) {
		return nil, fmt.Errorf("%w of JSON (%d bytes)", errRawNotOne, len(r))
	}
	return r, nil
}

// UnmarshalJSON keeps a copy of the encoded value b.
func (r *Raw) UnmarshalJSON(b []byte) error {
	*r = append((*r)[:0], b...)
	return nil
}
