// Package mpwire holds the facts of msgpack's format that more than one
// part of this module reads by hand: what a format byte says about the
// bytes after it. The codecs find frames and charge decode budgets with it;
// cmd/duplex shows msgpack as JSON with it. One table, so that the two
// never disagree about where a value ends.
package mpwire

import "encoding/binary"

// Sizes describes the format byte b: the bytes of its length field,
// the fixed payload that follows, and whether the length field counts
// payload bytes (str, bin, ext) or child values (array, map: children per
// count). ok is false for 0xc1, which msgpack never uses.
func Sizes(b byte) (lenBytes, fixed, children int, ok bool) {
	switch {
	case b <= 0x7f, b >= 0xe0, b == 0xc0, b == 0xc2, b == 0xc3:
		return 0, 0, 0, true
	case b <= 0x8f: // fixmap
		return 0, 0, 2, true
	case b <= 0x9f: // fixarray
		return 0, 0, 1, true
	case b <= 0xbf: // fixstr: its length is in b
		return 0, 0, 0, true
	}
	switch b {
	case 0xc4, 0xd9: // bin8, str8
		return 1, 0, 0, true
	case 0xc5, 0xda: // bin16, str16
		return 2, 0, 0, true
	case 0xc6, 0xdb: // bin32, str32
		return 4, 0, 0, true
	case 0xc7: // ext8: length, then a type byte
		return 1, 1, 0, true
	case 0xc8:
		return 2, 1, 0, true
	case 0xc9:
		return 4, 1, 0, true
	case 0xca, 0xce, 0xd2: // float32, uint32, int32
		return 0, 4, 0, true
	case 0xcb, 0xcf, 0xd3: // float64, uint64, int64
		return 0, 8, 0, true
	case 0xcc, 0xd0:
		return 0, 1, 0, true
	case 0xcd, 0xd1:
		return 0, 2, 0, true
	case 0xd4, 0xd5, 0xd6, 0xd7, 0xd8: // fixext 1..16, plus the type byte
		return 0, 1 + 1<<(b-0xd4), 0, true
	case 0xdc:
		return 2, 0, 1, true
	case 0xdd:
		return 4, 0, 1, true
	case 0xde:
		return 2, 0, 2, true
	case 0xdf:
		return 4, 0, 2, true
	}
	return 0, 0, 0, false
}

// Count is the count of a container format byte b whose length field
// is lf; for fixarray and fixmap it is in b itself.
func Count(b byte, lf []byte) uint64 {
	switch len(lf) {
	case 1:
		return uint64(lf[0])
	case 2:
		return uint64(binary.BigEndian.Uint16(lf))
	case 4:
		return uint64(binary.BigEndian.Uint32(lf))
	}
	switch {
	case b >= 0x80 && b <= 0x9f: // fixmap, fixarray
		return uint64(b & 0x0f)
	case b >= 0xa0 && b <= 0xbf: // fixstr
		return uint64(b & 0x1f)
	}
	return 0
}
