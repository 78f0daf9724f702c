package codec

import (
	"encoding/binary"
	"fmt"
	"math"

	"github.com/duplexrpc/duplex/internal/mpwire"
)

// This file reads and writes the few msgpack shapes a msgpack-rpc header
// needs, by hand, so that routing a frame costs no reflection; and it finds
// where a frame ends without trusting the counts a frame declares.

// scanMsgpack returns the length of the msgpack value at the front of fr,
// reading as much of the stream as the value needs and no more. It checks
// every declared length against the frame limit before reading, and every
// declared count against the bytes that could hold it, so a few hostile
// header bytes cannot make anything large be allocated. stack is scratch
// space for the nesting, returned for reuse.
func scanMsgpack(fr *frameReader, stack []uint64) (int, []uint64, error) {
	stack = append(stack[:0], 1)
	off := 0
	for len(stack) > 0 {
		top := len(stack) - 1
		if stack[top] == 0 {
			stack = stack[:top]
			continue
		}
		stack[top]--
		head, err := fr.need(off + 1)
		if err != nil {
			return 0, stack, err
		}
		b := head[off]
		lenBytes, fixed, children, ok := mpwire.Sizes(b)
		if !ok {
			return 0, stack, fmt.Errorf("%w: msgpack byte 0x%02x at offset %d", ErrMalformed, b, off)
		}
		if lenBytes > 0 {
			if head, err = fr.need(off + 1 + lenBytes); err != nil {
				return 0, stack, err
			}
		}
		n := mpwire.Count(b, head[off+1:off+1+lenBytes])
		off += 1 + lenBytes + fixed
		room := fr.max - off
		if room < 0 {
			return 0, stack, fmt.Errorf("%w: more than %d bytes", ErrFrameTooLarge, fr.max)
		}
		if children == 0 {
			if uint64(room) < n { // a str/bin/ext payload past the limit
				return 0, stack, fmt.Errorf("%w: more than %d bytes", ErrFrameTooLarge, fr.max)
			}
			off += int(n)
			continue
		}
		n *= uint64(children)
		if n == 0 {
			continue
		}
		if n > uint64(room) { // every value takes at least one byte
			return 0, stack, fmt.Errorf("%w: %d values declared in at most %d bytes", ErrFrameTooLarge, n, fr.max-off)
		}
		if len(stack) > MaxDepth {
			return 0, stack, fmt.Errorf("%w: more than %d levels", ErrTooDeep, MaxDepth)
		}
		stack = append(stack, n)
	}
	if _, err := fr.need(off); err != nil {
		return 0, stack, err
	}
	return off, stack, nil
}

// mpSkip returns the offset just past the value at b[off:]. b is a whole
// frame that scanMsgpack accepted, so counts are known to be backed.
func mpSkip(b []byte, off int) (int, error) {
	for pending := uint64(1); pending > 0; pending-- {
		if off >= len(b) {
			return 0, fmt.Errorf("%w: msgpack value cut short", ErrMalformed)
		}
		lenBytes, fixed, children, ok := mpwire.Sizes(b[off])
		if !ok || off+1+lenBytes > len(b) {
			return 0, fmt.Errorf("%w: msgpack value cut short", ErrMalformed)
		}
		n := mpwire.Count(b[off], b[off+1:off+1+lenBytes])
		off += 1 + lenBytes + fixed
		if children == 0 {
			off += int(n)
		} else {
			pending += n * uint64(children)
		}
	}
	if off > len(b) {
		return 0, fmt.Errorf("%w: msgpack value cut short", ErrMalformed)
	}
	return off, nil
}

// mpArrayLen reads an array header at b[off:]; ok is false if the value there
// is not an array.
func mpArrayLen(b []byte, off int) (n, next int, ok bool) {
	if off >= len(b) {
		return 0, off, false
	}
	switch c := b[off]; {
	case c >= 0x90 && c <= 0x9f:
		return int(c & 0x0f), off + 1, true
	case c == 0xdc && off+3 <= len(b):
		return int(binary.BigEndian.Uint16(b[off+1:])), off + 3, true
	case c == 0xdd && off+5 <= len(b):
		return int(binary.BigEndian.Uint32(b[off+1:])), off + 5, true
	}
	return 0, off, false
}

// mpUint reads a non-negative integer of any msgpack int format.
func mpUint(b []byte, off int) (v uint64, next int, ok bool) {
	if off >= len(b) {
		return 0, off, false
	}
	c := b[off]
	if c <= 0x7f {
		return uint64(c), off + 1, true
	}
	lenBytes, fixed, _, _ := mpwire.Sizes(c)
	if lenBytes != 0 || off+1+fixed > len(b) {
		return 0, off, false
	}
	p := b[off+1 : off+1+fixed]
	var s int64
	switch c {
	case 0xcc:
		return uint64(p[0]), off + 2, true
	case 0xcd:
		return uint64(binary.BigEndian.Uint16(p)), off + 3, true
	case 0xce:
		return uint64(binary.BigEndian.Uint32(p)), off + 5, true
	case 0xcf:
		return binary.BigEndian.Uint64(p), off + 9, true
	case 0xd0:
		s = int64(int8(p[0]))
	case 0xd1:
		s = int64(int16(binary.BigEndian.Uint16(p)))
	case 0xd2:
		s = int64(int32(binary.BigEndian.Uint32(p)))
	case 0xd3:
		s = int64(binary.BigEndian.Uint64(p))
	default:
		return 0, off, false
	}
	if s < 0 {
		return 0, off, false
	}
	return uint64(s), off + 1 + fixed, true
}

// mpStringBytes reads a str (or, as some old clients send, a bin) and
// returns its bytes, which are b's: no copy.
func mpStringBytes(b []byte, off int) (s []byte, next int, ok bool) {
	if off >= len(b) {
		return nil, off, false
	}
	c := b[off]
	var n, start int
	switch {
	case c >= 0xa0 && c <= 0xbf:
		n, start = int(c&0x1f), off+1
	case (c == 0xd9 || c == 0xc4) && off+2 <= len(b):
		n, start = int(b[off+1]), off+2
	case (c == 0xda || c == 0xc5) && off+3 <= len(b):
		n, start = int(binary.BigEndian.Uint16(b[off+1:])), off+3
	case (c == 0xdb || c == 0xc6) && off+5 <= len(b):
		n, start = int(binary.BigEndian.Uint32(b[off+1:])), off+5
	default:
		return nil, off, false
	}
	if start+n > len(b) {
		return nil, off, false
	}
	return b[start : start+n], start + n, true
}

// appendMpArrayHeader, appendMpUint and appendMpString write the smallest
// encoding, as every msgpack library reads.
func appendMpArrayHeader(b []byte, n int) []byte {
	switch {
	case n <= 15:
		return append(b, 0x90|byte(n))
	case n <= math.MaxUint16:
		return append(b, 0xdc, byte(n>>8), byte(n))
	}
	return append(b, 0xdd, byte(n>>24), byte(n>>16), byte(n>>8), byte(n))
}

func appendMpUint(b []byte, v uint64) []byte {
	switch {
	case v <= 0x7f:
		return append(b, byte(v))
	case v <= math.MaxUint8:
		return append(b, 0xcc, byte(v))
	case v <= math.MaxUint16:
		return append(b, 0xcd, byte(v>>8), byte(v))
	case v <= math.MaxUint32:
		return append(b, 0xce, byte(v>>24), byte(v>>16), byte(v>>8), byte(v))
	}
	return binary.BigEndian.AppendUint64(append(b, 0xcf), v)
}

func appendMpString(b []byte, s string) []byte {
	switch n := len(s); {
	case n <= 31:
		b = append(b, 0xa0|byte(n))
	case n <= math.MaxUint8:
		b = append(b, 0xd9, byte(n))
	case n <= math.MaxUint16:
		b = append(b, 0xda, byte(n>>8), byte(n))
	default:
		b = append(b, 0xdb, byte(n>>24), byte(n>>16), byte(n>>8), byte(n))
	}
	return append(b, s...)
}

// appendMpInt writes a signed integer in the smallest encoding.
func appendMpInt(b []byte, v int64) []byte {
	switch {
	case v >= 0:
		return appendMpUint(b, uint64(v))
	case v >= -32:
		return append(b, byte(v))
	case v >= math.MinInt8:
		return append(b, 0xd0, byte(v))
	case v >= math.MinInt16:
		return append(b, 0xd1, byte(v>>8), byte(v))
	case v >= math.MinInt32:
		return append(b, 0xd2, byte(v>>24), byte(v>>16), byte(v>>8), byte(v))
	}
	return binary.BigEndian.AppendUint64(append(b, 0xd3), uint64(v))
}
