package main

import (
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"strconv"
	"time"
	"unicode/utf8"

	"github.com/duplexrpc/duplex/codec"
	"github.com/duplexrpc/duplex/internal/mpwire"
)

// This file turns msgpack into JSON, for printing: a reply, a worker's
// argument, a frame of the wire dump. It reads the bytes itself rather
// than through a decoder into Go values, so that maps keep their order,
// any key and any extension can be shown, and bytes that end inside a
// value say so (errShort) instead of allocating what their lengths
// declare.

// errShort: the bytes end inside a msgpack value; more may come.
var errShort = errors.New("msgpack value cut short")

// errMsgpack: the bytes are not msgpack.
var errMsgpack = errors.New("not msgpack")

// msgpackToJSON appends to dst the JSON of the msgpack value at the start
// of b, and returns it with the length of that value. Bin values become
// base64 strings, as encoding/json writes a []byte; map keys that are not
// strings become the text of their JSON; an extension becomes
// {"ext": type, "data": base64}, except a timestamp, which becomes its
// RFC 3339 text; NaN and infinities become strings.
func msgpackToJSON(dst, b []byte) ([]byte, int, error) {
	r := mpReader{b: b}
	out, err := r.value(dst, 0)
	return out, r.off, err
}

type mpReader struct {
	b   []byte
	off int
}

// take returns the next n bytes.
func (r *mpReader) take(n uint64) ([]byte, error) {
	if n > uint64(len(r.b)-r.off) {
		return nil, errShort
	}
	s := r.b[r.off : r.off+int(n)]
	r.off += int(n)
	return s, nil
}

// uint reads a big-endian unsigned integer of size bytes.
func (r *mpReader) uint(size int) (uint64, error) {
	s, err := r.take(uint64(size))
	if err != nil {
		return 0, err
	}
	switch size {
	case 1:
		return uint64(s[0]), nil
	case 2:
		return uint64(binary.BigEndian.Uint16(s)), nil
	case 4:
		return uint64(binary.BigEndian.Uint32(s)), nil
	}
	return binary.BigEndian.Uint64(s), nil
}

// value appends the JSON of the value at r's offset. What each format
// byte says of the bytes after it is mpwire's, the codecs' own table.
func (r *mpReader) value(dst []byte, depth int) ([]byte, error) {
	if depth > codec.MaxDepth {
		return dst, fmt.Errorf("%w: nested more than %d levels", errMsgpack, codec.MaxDepth)
	}
	s, err := r.take(1)
	if err != nil {
		return dst, err
	}
	c := s[0]
	lenBytes, fixed, children, ok := mpwire.Sizes(c)
	if !ok { // 0xc1, the one byte msgpack never uses
		return dst, fmt.Errorf("%w: byte 0x%02x at offset %d", errMsgpack, c, r.off-1)
	}
	lf, err := r.take(uint64(lenBytes))
	if err != nil {
		return dst, err
	}
	n := mpwire.Count(c, lf)
	switch {
	case children == 1:
		return r.arrayOf(dst, n, depth)
	case children == 2:
		return r.mapOf(dst, n, depth)
	case c <= 0x7f:
		return strconv.AppendUint(dst, uint64(c), 10), nil
	case c >= 0xe0:
		return strconv.AppendInt(dst, int64(int8(c)), 10), nil
	case c <= 0xbf, c >= 0xd9 && c <= 0xdb: // fixstr, str8/16/32
		return r.str(dst, n)
	case c == 0xc0:
		return append(dst, "null"...), nil
	case c == 0xc2:
		return append(dst, "false"...), nil
	case c == 0xc3:
		return append(dst, "true"...), nil
	case c >= 0xc4 && c <= 0xc6:
		return r.bin(dst, n)
	case c >= 0xc7 && c <= 0xc9:
		return r.ext(dst, n)
	case c >= 0xd4 && c <= 0xd8: // fixext: the type byte, then the data
		return r.ext(dst, uint64(fixed-1))
	}
	v, err := r.uint(fixed) // the numbers: their bytes are the fixed payload
	switch {
	case c == 0xca:
		return appendFloat(dst, float64(math.Float32frombits(uint32(v))), 32), err
	case c == 0xcb:
		return appendFloat(dst, math.Float64frombits(v), 64), err
	case c >= 0xcc && c <= 0xcf:
		return strconv.AppendUint(dst, v, 10), err
	}
	shift := 64 - 8*fixed // int8 to int64: sign-extended
	return strconv.AppendInt(dst, int64(v<<shift)>>shift, 10), err
}

func (r *mpReader) str(dst []byte, n uint64) ([]byte, error) {
	s, err := r.take(n)
	if err != nil {
		return dst, err
	}
	return appendJSONString(dst, s), nil
}

func (r *mpReader) bin(dst []byte, n uint64) ([]byte, error) {
	s, err := r.take(n)
	if err != nil {
		return dst, err
	}
	dst = append(dst, '"')
	dst = base64.StdEncoding.AppendEncode(dst, s)
	return append(dst, '"'), nil
}

// ext writes an extension value of n data bytes, its type byte first.
func (r *mpReader) ext(dst []byte, n uint64) ([]byte, error) {
	s, err := r.take(1)
	if err != nil {
		return dst, err
	}
	typ := int8(s[0])
	data, err := r.take(n)
	if err != nil {
		return dst, err
	}
	if t, ok := timestamp(typ, data); ok {
		return appendJSONString(dst, []byte(t.UTC().Format(time.RFC3339Nano))), nil
	}
	dst = append(dst, `{"ext":`...)
	dst = strconv.AppendInt(dst, int64(typ), 10)
	dst = append(dst, `,"data":"`...)
	dst = base64.StdEncoding.AppendEncode(dst, data)
	return append(dst, `"}`...), nil
}

// timestamp decodes msgpack's timestamp extension (type -1).
func timestamp(typ int8, b []byte) (time.Time, bool) {
	if typ != -1 {
		return time.Time{}, false
	}
	switch len(b) {
	case 4:
		return time.Unix(int64(binary.BigEndian.Uint32(b)), 0), true
	case 8:
		v := binary.BigEndian.Uint64(b)
		return time.Unix(int64(v&(1<<34-1)), int64(v>>34)), true
	case 12:
		return time.Unix(int64(binary.BigEndian.Uint64(b[4:])), int64(binary.BigEndian.Uint32(b))), true
	}
	return time.Time{}, false
}

func (r *mpReader) arrayOf(dst []byte, n uint64, depth int) ([]byte, error) {
	dst = append(dst, '[')
	for i := uint64(0); i < n; i++ {
		if i > 0 {
			dst = append(dst, ',')
		}
		var err error
		if dst, err = r.value(dst, depth+1); err != nil {
			return dst, err
		}
	}
	return append(dst, ']'), nil
}

func (r *mpReader) mapOf(dst []byte, n uint64, depth int) ([]byte, error) {
	dst = append(dst, '{')
	for i := uint64(0); i < n; i++ {
		if i > 0 {
			dst = append(dst, ',')
		}
		var err error
		if dst, err = r.key(dst, depth+1); err != nil {
			return dst, err
		}
		dst = append(dst, ':')
		if dst, err = r.value(dst, depth+1); err != nil {
			return dst, err
		}
	}
	return append(dst, '}'), nil
}

// key writes a map key: a string as it is, anything else as the text of
// its JSON, since JSON keys are strings.
func (r *mpReader) key(dst []byte, depth int) ([]byte, error) {
	mark := len(dst)
	dst, err := r.value(dst, depth)
	if err != nil || dst[mark] == '"' {
		return dst, err
	}
	text := string(dst[mark:])
	return appendJSONString(dst[:mark], []byte(text)), nil
}

// appendFloat writes a float as encoding/json does, and NaN and the
// infinities, which JSON lacks, as strings.
func appendFloat(dst []byte, f float64, bits int) []byte {
	switch {
	case math.IsNaN(f):
		return append(dst, `"NaN"`...)
	case math.IsInf(f, 1):
		return append(dst, `"+Inf"`...)
	case math.IsInf(f, -1):
		return append(dst, `"-Inf"`...)
	}
	var v any = f
	if bits == 32 {
		v = float32(f)
	}
	b, _ := json.Marshal(v)
	return append(dst, b...)
}

// appendJSONString writes s as a JSON string, without escaping HTML, and
// with every byte that is not UTF-8 replaced by U+FFFD.
func appendJSONString(dst, s []byte) []byte {
	const hexDigits = "0123456789abcdef"
	dst = append(dst, '"')
	for len(s) > 0 {
		c := s[0]
		if c < utf8.RuneSelf {
			switch {
			case c == '"' || c == '\\':
				dst = append(dst, '\\', c)
			case c == '\n':
				dst = append(dst, '\\', 'n')
			case c == '\r':
				dst = append(dst, '\\', 'r')
			case c == '\t':
				dst = append(dst, '\\', 't')
			case c < 0x20:
				dst = append(dst, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xf])
			default:
				dst = append(dst, c)
			}
			s = s[1:]
			continue
		}
		r, size := utf8.DecodeRune(s)
		dst = utf8.AppendRune(dst, r) // RuneError for a bad byte
		s = s[size:]
	}
	return append(dst, '"')
}
