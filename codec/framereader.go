package codec

import (
	"errors"
	"fmt"
	"io"
	"sync/atomic"

	"github.com/duplexrpc/duplex/internal/bufkeep"
)

// initialReadBuffer is the read buffer of a fresh connection: small, because
// idle connections are many; it grows with the frames it meets.
const initialReadBuffer = 4 << 10

// frameReader buffers a stream so that a scanner can find where the next
// frame ends and hand out the whole frame as one slice, without copying it.
// A frame slice stays valid until the next call to need.
type frameReader struct {
	r          io.Reader
	buf        []byte
	start, end int // unread bytes are buf[start:end]
	max        int // the largest frame
	err        error
	ahead      atomic.Bool // unread bytes are buffered; read from any goroutine
	peak       int         // the most bytes needed since the buffer last emptied
	keep       bufkeep.Policy

	// spilled is the front of a long frame that a scanner moved out of
	// buf (see spill), in order; spilledLen their total length.
	spilled    [][]byte
	spilledLen int

	// For a stream that keeps message boundaries (a MessageReader), mr is
	// the stream and ends holds where the buffered messages end, as
	// offsets in the stream; pos is the offset of buf[start].
	mr   MessageReader
	ends []int64
	pos  int64

	// started is set by a framing once it has read a frame.
	started bool
}

// spillAt is how long the unread front of a frame may grow in buf before a
// scanner that can (scanJSON) spills it: past it, buf stops doubling, and
// a frame is gathered in pieces that are copied once, when it is whole.
// Doubling to the frame limit allocated twice the limit for a frame that
// never ends; spilling allocates the limit plus about 4*spillAt (buf's
// growth to 2*spillAt). Only limits above 4*spillAt spill: under them,
// doubling costs no more.
const spillAt = 256 << 10

// spills reports whether a scanner should spill a frame front of n bytes.
func (fr *frameReader) spills(n int) bool { return n >= spillAt && fr.max > 4*spillAt }

// spill moves the first n unread bytes, the front of a frame whose end has
// not been found yet, out of the buffer, so that the buffer can be reused
// for the rest. It fails when the frame has passed the frame limit.
func (fr *frameReader) spill(n int) error {
	if fr.spilledLen+n > fr.max {
		return fmt.Errorf("%w: more than %d bytes", ErrFrameTooLarge, fr.max)
	}
	fr.spilled = append(fr.spilled, append([]byte(nil), fr.buf[fr.start:fr.start+n]...))
	fr.spilledLen += n
	fr.start += n
	fr.advance(n)
	return nil
}

// take returns the frame whose length a scanner found, spilled front
// included, as one slice, and consumes it. The slice is valid until the
// next call to need.
func (fr *frameReader) take(n int) []byte {
	if fr.spilled == nil {
		b, _ := fr.need(n)
		fr.consume(n)
		return b
	}
	frame := make([]byte, 0, n)
	for _, piece := range fr.spilled {
		frame = append(frame, piece...)
	}
	rest := n - fr.spilledLen
	frame = append(frame, fr.buf[fr.start:fr.start+rest]...)
	fr.spilled, fr.spilledLen = nil, 0
	fr.consume(rest)
	return frame
}

func newFrameReader(r io.Reader, max int) *frameReader {
	fr := &frameReader{r: r, max: max}
	if m, ok := r.(MessageReader); ok && m.ReadsMessages() {
		fr.mr = m
	}
	return fr
}

// need makes the first n unread bytes available and returns them. It fails
// with ErrFrameTooLarge when n passes the frame limit, io.EOF when the
// stream ends before any byte of a frame, and io.ErrUnexpectedEOF when it
// ends inside one.
func (fr *frameReader) need(n int) ([]byte, error) {
	if fr.end-fr.start >= n {
		return fr.buf[fr.start : fr.start+n], nil
	}
	fr.peak = max(fr.peak, n)
	if n+fr.spilledLen > fr.max {
		return nil, fmt.Errorf("%w: more than %d bytes", ErrFrameTooLarge, fr.max)
	}
	if fr.err != nil {
		return nil, fr.readErr()
	}
	if fr.start+n > cap(fr.buf) {
		fr.grow(n)
	}
	for fr.end-fr.start < n {
		m, err := fr.r.Read(fr.buf[fr.end:cap(fr.buf)])
		fr.end += m
		if m > 0 && fr.mr != nil && fr.mr.MessageEnded() {
			fr.ends = append(fr.ends, fr.pos+int64(fr.end-fr.start))
		}
		if err != nil && fr.end-fr.start < n {
			fr.err = err
			return nil, fr.readErr()
		}
	}
	return fr.buf[fr.start : fr.start+n], nil
}

func (fr *frameReader) readErr() error {
	if errors.Is(fr.err, io.EOF) {
		if fr.end == fr.start {
			return io.EOF
		}
		return io.ErrUnexpectedEOF
	}
	return fr.err
}

// grow moves the unread bytes to the front of a buffer that holds n bytes.
// It doubles the buffer for a frame that grows as it is scanned, and takes
// at once the size of one that says its length (a msgpack str or bin, an
// LSP header), so that a large frame is not copied through every size
// below it.
func (fr *frameReader) grow(n int) {
	unread := fr.end - fr.start
	size := cap(fr.buf)
	if size == 0 {
		size = initialReadBuffer
	}
	if n > 2*size {
		size = n + initialReadBuffer
	}
	for size < n {
		size *= 2
	}
	if size > fr.max+initialReadBuffer {
		size = max(n, fr.max) + initialReadBuffer
	}
	buf := fr.buf
	if size > cap(fr.buf) {
		buf = make([]byte, size)
	}
	copy(buf, fr.buf[fr.start:fr.end])
	fr.buf = buf[:size]
	fr.start, fr.end = 0, unread
}

// consume marks the first n unread bytes read.
func (fr *frameReader) consume(n int) {
	fr.start += n
	fr.advance(n)
	fr.ahead.Store(fr.start < fr.end)
	if fr.start == fr.end {
		fr.start, fr.end = 0, 0
		if !fr.keep.Keep(cap(fr.buf), fr.peak) {
			fr.buf = nil // a large frame's buffer, no longer used as large
		}
		fr.peak = 0
	}
}

// buffered reports how many unread bytes are buffered.
func (fr *frameReader) buffered() int { return fr.end - fr.start }

// advance moves pos past n bytes taken from the buffer, and forgets the
// message ends they held.
func (fr *frameReader) advance(n int) {
	fr.pos += int64(n)
	drop := 0
	for drop < len(fr.ends) && fr.ends[drop] <= fr.pos {
		drop++
	}
	if drop > 0 {
		fr.ends = fr.ends[:copy(fr.ends, fr.ends[drop:])]
	}
}

// nextMessage consumes the next whole message of a stream that keeps
// message boundaries (fr.mr is set) and returns it, valid until the next
// read: over such a stream one message is one frame, whatever the
// framing on a byte stream. A message longer than the frame limit is read
// past, without being kept, and fails with ErrFrameTooLarge; the next
// message is read as usual. It returns io.EOF when the stream ends
// between messages.
func (fr *frameReader) nextMessage() ([]byte, error) {
	for {
		if len(fr.ends) > 0 {
			n := int(fr.ends[0] - fr.pos)
			msg := fr.buf[fr.start : fr.start+n]
			fr.consume(n)
			return msg, nil
		}
		_, err := fr.need(fr.buffered() + 1) // more of this message: a Read never spans two
		if errors.Is(err, ErrFrameTooLarge) {
			if err := fr.skipMessage(); err != nil {
				return nil, err
			}
			return nil, fmt.Errorf("%w: a message of more than %d bytes", ErrFrameTooLarge, fr.max)
		}
		if err != nil {
			return nil, err
		}
	}
}

// skipMessage reads past the rest of the message under way, whose end is
// not buffered.
func (fr *frameReader) skipMessage() error {
	for {
		if len(fr.ends) > 0 {
			fr.consume(int(fr.ends[0] - fr.pos))
			return nil
		}
		fr.consume(fr.buffered())
		if _, err := fr.need(1); err != nil {
			if err == io.EOF { // the stream ended inside the message
				err = io.ErrUnexpectedEOF
			}
			return err
		}
	}
}
