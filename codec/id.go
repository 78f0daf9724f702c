package codec

import (
	"encoding/json"
	"math"
	"strconv"
)

// ID is a request's id as its wire wrote it: a number, kept exactly however
// large (JSON-RPC lets a client send 2^64+1, which no Go integer holds), or
// a string. The zero ID is no id at all. IDs compare with ==: a number
// equals only the same number written the same way, a string only the same
// string.
//
// A Conn reports the id of every request it reads in [Header.ID]; package
// peer gives it to the handler. The progress token of a call, which
// protocols also write as a number or a string, is an ID too
// ([Header.Token]).
type ID struct {
	text string // a string id's value, or a number's digits when it does not fit n
	n    uint64 // a number that fits
	kind idKind
}

type idKind uint8

const (
	idNone   idKind = iota
	idUint          // n
	idNumber        // text: the digits of a number n cannot hold (negative, or past 2^64-1)
	idString        // text
)

// NumberID returns the ID that is the number n.
func NumberID(n uint64) ID { return ID{n: n, kind: idUint} }

// StringID returns the ID that is the string s.
func StringID(s string) ID { return ID{text: s, kind: idString} }

// IsZero reports whether id is no id.
func (id ID) IsZero() bool { return id.kind == idNone }

// IsString reports whether id is a string.
func (id ID) IsString() bool { return id.kind == idString }

// Uint64 returns id as an unsigned integer, if it is a number that fits
// one.
func (id ID) Uint64() (uint64, bool) { return id.n, id.kind == idUint }

// String returns a number's digits, exactly as the wire wrote them, or a
// string's value.
func (id ID) String() string {
	if id.kind == idUint {
		return strconv.FormatUint(id.n, 10)
	}
	return id.text
}

// AppendJSON appends id as JSON: a number's digits, a string quoted, null
// for the zero ID.
func (id ID) AppendJSON(b []byte) []byte {
	switch id.kind {
	case idUint:
		return strconv.AppendUint(b, id.n, 10)
	case idNumber:
		return append(b, id.text...)
	case idString:
		q, _ := json.Marshal(id.text) // a string always encodes
		return append(b, q...)
	}
	return append(b, "null"...)
}

// MarshalJSON writes id as [ID.AppendJSON] does.
func (id ID) MarshalJSON() ([]byte, error) { return id.AppendJSON(nil), nil }

// appendMsgpack appends id as msgpack: a number as an integer (one past
// 64 bits as its digits in a string, which msgpack cannot hold otherwise),
// a string as a string, nil for the zero ID.
func (id ID) appendMsgpack(b []byte) []byte {
	switch id.kind {
	case idUint:
		return appendMpUint(b, id.n)
	case idNumber:
		if n, err := strconv.ParseInt(id.text, 10, 64); err == nil {
			return appendMpInt(b, n)
		}
		return appendMpString(b, id.text)
	case idString:
		return appendMpString(b, id.text)
	}
	return append(b, 0xc0)
}

// jsonID reads a JSON-RPC id: a string, or a number of digits only (an
// optional minus, no fraction, no exponent). ok is false for anything
// else; null and an absent id are the zero ID.
func jsonID(raw []byte) (id ID, ok bool) {
	if len(raw) == 0 || string(raw) == "null" {
		return ID{}, true
	}
	if raw[0] == '"' {
		s, ok := jsonUnquote(raw)
		if !ok {
			return ID{}, false
		}
		return StringID(string(s)), true
	}
	digits := raw
	if digits[0] == '-' {
		digits = digits[1:]
	}
	if len(digits) == 0 {
		return ID{}, false
	}
	for _, c := range digits {
		if c < '0' || c > '9' {
			return ID{}, false
		}
	}
	if raw[0] != '-' {
		if n, ok := parseDigits(digits); ok {
			return NumberID(n), true
		}
	}
	return ID{text: string(raw), kind: idNumber}, true
}

// parseDigits reads decimal digits as a uint64; ok is false when they do
// not fit one.
func parseDigits(digits []byte) (n uint64, ok bool) {
	for _, c := range digits {
		d := uint64(c - '0')
		if n > (math.MaxUint64-d)/10 {
			return 0, false
		}
		n = n*10 + d
	}
	return n, true
}
