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
// frames into one Write where it can:
//   - a writer flushes only when no other writer is waiting for the lock,
//     and the last of them flushes for all; a cork (see [Corker]) counts
//     as a waiting writer;
//   - a writer also leaves its frame when the connection's reader has more
//     frames buffered (readerAhead): the reader flushes before it next
//     blocks, so the answers to a burst of requests leave together. net/rpc
//     serializes its writers behind its own locks, so without this every
//     frame would cost a write(2).
//
// A frame that fails to encode is cut from the buffer, so the stream never
// carries half a frame.
type frameWriter struct {
	w             io.Writer
	framePerWrite bool

	waiting     atomic.Int32 // writers in or waiting for lock, and corks
	readerAhead atomic.Bool  // the reader has frames buffered and will flush
	mu          sync.Mutex
	buf         []byte
	err         error // first write error; latched
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
func (fw *frameWriter) unlock(mark int, encErr error) error {
	if encErr != nil {
		fw.buf = fw.buf[:mark]
	}
	err := fw.leave(fw.waiting.Add(-1) == 0)
	if encErr != nil {
		return fmt.Errorf("%w: %w", ErrEncode, encErr)
	}
	return err
}

// leave ends a turn at the lock, flushing if last (no writer left or
// waiting, no cork in place) unless the reader will flush instead.
func (fw *frameWriter) leave(last bool) error {
	leftForReader := last && fw.readerAhead.Load()
	var err error
	if last && !leftForReader || fw.framePerWrite || len(fw.buf) >= flushAt {
		err = fw.flush()
		leftForReader = false
	}
	fw.mu.Unlock()
	if leftForReader && !fw.readerAhead.Load() {
		// The reader began to block after we looked, and may have found
		// the lock taken: flush for it.
		fw.mu.Lock()
		if fw.err == nil {
			err = fw.flush()
		}
		fw.mu.Unlock()
	}
	return err
}

// cork counts as a writer waiting, so frames written until uncork stay
// in the buffer.
func (fw *frameWriter) cork() { fw.waiting.Add(1) }

// uncork removes a cork; if nothing else holds the buffer back it flushes.
func (fw *frameWriter) uncork() error {
	if fw.waiting.Add(-1) != 0 {
		return nil // the last writer or cork out flushes
	}
	fw.mu.Lock()
	if fw.err != nil {
		err := fw.err
		fw.mu.Unlock()
		return err
	}
	return fw.leave(fw.waiting.Load() == 0)
}

// readerBlocking is called by the connection's reader before it waits for
// the stream: the frames it let writers leave in the buffer go out now. It
// never waits for the lock — a writer blocked on a full stream would
// otherwise stop the reading that unblocks it. A writer that holds the
// lock flushes itself once it sees the reader is no longer ahead.
func (fw *frameWriter) readerBlocking() {
	fw.readerAhead.Store(false)
	if fw.mu.TryLock() {
		if fw.err == nil {
			fw.flush()
		}
		fw.mu.Unlock()
	}
}

// readerHasMore tells the writer whether the reader has frames buffered.
func (fw *frameWriter) readerHasMore(more bool) {
	if fw.readerAhead.Load() != more {
		fw.readerAhead.Store(more)
	}
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

// Cork and Uncork make every Conn of this package a Corker.

func (c *gobConn) Cork()             { c.fw.cork() }
func (c *gobConn) Uncork() error     { return c.fw.uncork() }
func (c *jsonConn) Cork()            { c.fw.cork() }
func (c *jsonConn) Uncork() error    { return c.fw.uncork() }
func (c *msgpackConn) Cork()         { c.fw.cork() }
func (c *msgpackConn) Uncork() error { return c.fw.uncork() }
