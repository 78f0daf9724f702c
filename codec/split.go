package codec

import (
	"errors"
	"fmt"
	"io"
)

// SplitFrame finds the first frame of c's wire at the front of data, as
// c's own reader finds it, for a program that watches a connection's
// bytes go by (cmd/duplex's wire dump is one). n is the bytes the frame
// takes up: on the JSON wires with the white space before it, on the lsp
// wire with its header. body is its message: the JSON value, the LSP
// frame's body, the msgpack value, the gob message after its length.
//
// When data holds no whole frame, err is [io.ErrUnexpectedEOF] (more bytes
// may complete it) and n is 0; data of JSON white space only is n =
// len(data) with no body. A frame past [DefaultMaxFrameSize] is
// [ErrFrameTooLarge]; bytes that are not c's wire are another error, which
// says what was found. body is data's own bytes: no copy, but for a JSON
// frame longer than 256 KiB.
func SplitFrame(c Codec, data []byte) (n int, body []byte, err error) {
	// A reader whose stream stops at data's end with errMore, not
	// io.EOF: the readers take io.EOF as a stream that ended, and a last
	// line without its newline as a whole one.
	fr := &frameReader{buf: data, end: len(data), max: DefaultMaxFrameSize, err: errMore}
	switch c := c.(type) {
	case *msgpackCodec:
		var size int
		if size, _, err = scanMsgpack(fr, nil); err == nil {
			body = fr.take(size)
		}
	case jsonCodec:
		if c.framing != nil {
			body, err = c.framing.next(fr)
			var bad *badFrame
			if errors.As(err, &bad) {
				err = fmt.Errorf("%w: %s", ErrMalformed, bad.msg)
			}
			break
		}
		var size int
		size, err = scanJSON(fr)
		if err == nil {
			body = fr.take(size)
		}
	case gobCodec:
		body, err = gobMessage(fr)
	default:
		return 0, nil, fmt.Errorf("codec: SplitFrame knows the codecs of this package, not %T", c)
	}
	switch {
	case errors.Is(err, errMore) && fr.buffered() == 0 && fr.spilledLen == 0 && fr.pos > 0:
		return int(fr.pos), nil, nil // white space, all of it
	case errors.Is(err, errMore):
		return 0, nil, io.ErrUnexpectedEOF
	case err != nil:
		return 0, nil, err
	}
	return int(fr.pos), body, nil
}

// errMore is where SplitFrame's data ends.
var errMore = errors.New("codec: the data ends inside a frame")

// gobMessage takes one gob message: its length, an unsigned integer in
// gob's encoding (one byte under 128, else the negated count of the
// big-endian bytes that follow), then that many bytes.
func gobMessage(fr *frameReader) ([]byte, error) {
	first, err := fr.need(1)
	if err != nil {
		return nil, err
	}
	head, length := 1, uint64(first[0])
	if first[0] >= 0x80 {
		size := -int(int8(first[0]))
		if size > 8 {
			return nil, fmt.Errorf("%w: a gob message length of %d bytes", ErrMalformed, size)
		}
		b, err := fr.need(1 + size)
		if err != nil {
			return nil, err
		}
		head, length = 1+size, 0
		for _, c := range b[1:] {
			length = length<<8 | uint64(c)
		}
	}
	if length > uint64(fr.max) {
		return nil, fmt.Errorf("%w: more than %d bytes", ErrFrameTooLarge, fr.max)
	}
	frame, err := fr.need(head + int(length))
	if err != nil {
		return nil, err
	}
	fr.consume(head + int(length))
	return frame[head:], nil
}
