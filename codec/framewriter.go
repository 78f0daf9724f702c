package codec

import (
	"fmt"
	"io"
	"sync"
	"sync/atomic"
)

// flushAt is the buffered size past which a writer flushes even when others
// wait to write, so a burst of frames cannot grow the buffer without bound.
const flushAt = 64 << 10

// keepWriteBuffer is the largest write buffer kept between frames: frames
// of tens of KiB reuse theirs instead of regrowing it from nothing.
const keepWriteBuffer = 1 << 20

// frameWriter buffers whole frames and writes them to the stream, grouping
// frames into one Write where it can: a writer flushes only when no other
// writer is in or waiting for the lock, and the last of them flushes for
// all. Only writers flush; the connection's reader never touches the
// stream's write side, so it cannot be held up by a peer that does not read.
//
// A frame that fails to encode is cut from the buffer, so the stream never
// carries half a frame.
type frameWriter struct {
	w             io.Writer
	framePerWrite bool
	// seal, if set, finishes each frame that encoded whole, buf[mark:],
	// and returns the buffer: how a framing that wraps messages (the LSP
	// base protocol's header) is added without each writer knowing it.
	seal func(buf []byte, mark int) []byte

	waiting atomic.Int32 // writers in or waiting for the lock
	mu      sync.Mutex
	buf     []byte
	err     error // first write error; latched
}

// lock takes the writer for one frame and returns the offset the frame
// starts at, or the latched write error.
func (fw *frameWriter) lock() (mark int, err error) {
	fw.waiting.Add(1)
	fw.mu.Lock()
	if fw.err != nil {
		fw.waiting.Add(-1)
		fw.mu.Unlock()
		return 0, fw.err
	}
	return len(fw.buf), nil
}

// unlock ends the frame begun at mark. encErr, if not nil, drops the frame.
// The last writer out flushes: one that sees another waiting leaves its
// frame for that one, which cannot miss it, since it counted itself in
// before it waited for the lock.
func (fw *frameWriter) unlock(mark int, encErr error) error {
	fw.finish(mark, encErr)
	var err error
	if fw.waiting.Add(-1) == 0 || fw.framePerWrite || len(fw.buf) >= flushAt {
		err = fw.flush()
	}
	fw.mu.Unlock()
	if encErr != nil {
		return fmt.Errorf("%w: %w", ErrEncode, encErr)
	}
	return err
}

// finish ends the frame begun at mark: it is cut on an encoding error, and
// sealed by the framing otherwise, unless nothing was written (a batch's
// answer that waits for the others).
func (fw *frameWriter) finish(mark int, encErr error) {
	switch {
	case encErr != nil:
		fw.buf = fw.buf[:mark]
	case fw.seal != nil && len(fw.buf) > mark:
		fw.buf = fw.seal(fw.buf, mark)
	}
}

// begin starts a frame that AppendFrame appends to dst: the encoders write
// to fw.buf, which is dst until end hands it back. No lock is taken: the
// caller of AppendFrame serializes its calls.
func (fw *frameWriter) begin(dst []byte) (mark int) {
	fw.buf = dst
	return len(dst)
}

// end finishes the frame begun at mark, as unlock does, and returns the
// buffer, which fw then lets go of.
func (fw *frameWriter) end(mark int, encErr error) ([]byte, error) {
	fw.finish(mark, encErr)
	b := fw.buf
	fw.buf = nil
	if encErr != nil {
		return b, fmt.Errorf("%w: %w", ErrEncode, encErr)
	}
	return b, nil
}

func (fw *frameWriter) flush() error {
	if len(fw.buf) == 0 {
		return nil
	}
	_, err := fw.w.Write(fw.buf)
	if err != nil {
		fw.err = err
	}
	if cap(fw.buf) > keepWriteBuffer {
		fw.buf = nil // do not keep a huge frame's buffer on an idle connection
	} else {
		fw.buf = fw.buf[:0]
	}
	return err
}

// Write appends p to the frame being written: encoders write through it.
func (fw *frameWriter) Write(p []byte) (int, error) {
	fw.buf = append(fw.buf, p...)
	return len(p), nil
}

// WriteByte and WriteString spare encoders their own buffering.
func (fw *frameWriter) WriteByte(b byte) error {
	fw.buf = append(fw.buf, b)
	return nil
}

func (fw *frameWriter) WriteString(s string) (int, error) {
	fw.buf = append(fw.buf, s...)
	return len(s), nil
}
