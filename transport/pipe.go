package transport

import (
	"io"
	"net"
	"os"
	"sync"
	"time"
)

// pipeBufferSize is how many bytes each direction of a Pipe holds before
// Write blocks.
const pipeBufferSize = 1 << 20

// Pipe returns the two ends of a buffered, in-memory, full-duplex
// connection.
//
// Unlike [net.Pipe], which is synchronous (each Write waits for a Read on
// the other end), each direction buffers up to 1 MiB, so both ends can write
// at once, as the two halves of a bidirectional RPC connection do, without
// deadlocking. A Write blocks only while the buffer is full, like a socket,
// and concurrent Writes never interleave: each arrives whole.
//
// Both ends implement the whole net.Conn contract and are safe for
// concurrent use: deadlines make blocked calls return os.ErrDeadlineExceeded,
// Close unblocks both ends, and after the peer closes, Read drains what was
// buffered and then returns io.EOF while Write returns io.ErrClosedPipe.
func Pipe() (net.Conn, net.Conn) {
	return newPipe(memAddr("pipe"), memAddr("pipe"))
}

// newPipe returns a pipe whose first end has local address a and whose
// second end has local address b.
func newPipe(a, b net.Addr) (*pipeConn, *pipeConn) {
	ab, ba := newPipeStream(), newPipeStream()
	return newPipeConn(ba, ab, a, b), newPipeConn(ab, ba, b, a)
}

// pipeStream is one direction of a pipe.
type pipeStream struct {
	mu           sync.Mutex
	buf          []byte        // bytes buf[off:] are unread
	off          int           //
	changed      chan struct{} // closed and replaced on every change below
	writerClosed bool          // the writing end closed: reads drain, then io.EOF
	readerClosed bool          // the reading end closed: writes fail
}

func newPipeStream() *pipeStream {
	return &pipeStream{changed: make(chan struct{})}
}

// signal wakes everyone waiting on s; s.mu must be held.
func (s *pipeStream) signal() {
	close(s.changed)
	s.changed = make(chan struct{})
}

// pipeConn is one end of a pipe.
type pipeConn struct {
	rx, tx        *pipeStream
	rd, wd        *deadline
	writeMu       sync.Mutex // keeps each Write whole when writers wait for room
	local, remote net.Addr
	once          sync.Once
}

var _ net.Conn = (*pipeConn)(nil)

func newPipeConn(rx, tx *pipeStream, local, remote net.Addr) *pipeConn {
	return &pipeConn{rx: rx, tx: tx, rd: newDeadline(), wd: newDeadline(), local: local, remote: remote}
}

// Read reads buffered bytes, waiting for some if there are none.
func (c *pipeConn) Read(p []byte) (int, error) {
	s := c.rx
	for {
		expired := c.rd.done()
		s.mu.Lock()
		switch {
		case s.readerClosed:
			s.mu.Unlock()
			return 0, net.ErrClosed
		case isClosed(expired):
			s.mu.Unlock()
			return 0, os.ErrDeadlineExceeded
		case s.off < len(s.buf):
			n := copy(p, s.buf[s.off:])
			s.off += n
			if s.off == len(s.buf) {
				s.buf, s.off = s.buf[:0], 0
			}
			s.signal()
			s.mu.Unlock()
			return n, nil
		case s.writerClosed:
			s.mu.Unlock()
			return 0, io.EOF
		case len(p) == 0:
			s.mu.Unlock()
			return 0, nil
		}
		changed := s.changed
		s.mu.Unlock()
		select {
		case <-changed:
		case <-expired:
		}
	}
}

// Write buffers p, waiting for room while the buffer is full.
func (c *pipeConn) Write(p []byte) (int, error) {
	c.writeMu.Lock()
	defer c.writeMu.Unlock()
	s := c.tx
	n := 0
	for {
		expired := c.wd.done()
		s.mu.Lock()
		switch {
		case s.writerClosed:
			s.mu.Unlock()
			return n, net.ErrClosed
		case s.readerClosed:
			s.mu.Unlock()
			return n, io.ErrClosedPipe
		case isClosed(expired):
			s.mu.Unlock()
			return n, os.ErrDeadlineExceeded
		}
		if k := min(pipeBufferSize-(len(s.buf)-s.off), len(p)-n); k > 0 {
			if s.off > 0 && len(s.buf)+k > cap(s.buf) {
				s.buf, s.off = s.buf[:copy(s.buf, s.buf[s.off:])], 0
			}
			s.buf = append(s.buf, p[n:n+k]...)
			n += k
			s.signal()
		}
		if n == len(p) {
			s.mu.Unlock()
			return n, nil
		}
		changed := s.changed
		s.mu.Unlock()
		select {
		case <-changed:
		case <-expired:
		}
	}
}

// Close closes this end: its own blocked calls return net.ErrClosed, the
// peer reads what is buffered and then io.EOF. Close is idempotent.
func (c *pipeConn) Close() error {
	c.once.Do(func() {
		c.rx.mu.Lock()
		c.rx.readerClosed = true
		c.rx.buf, c.rx.off = nil, 0
		c.rx.signal()
		c.rx.mu.Unlock()

		c.tx.mu.Lock()
		c.tx.writerClosed = true
		c.tx.signal()
		c.tx.mu.Unlock()

		c.rd.stop()
		c.wd.stop()
	})
	return nil
}

func (c *pipeConn) LocalAddr() net.Addr  { return c.local }
func (c *pipeConn) RemoteAddr() net.Addr { return c.remote }

func (c *pipeConn) SetDeadline(t time.Time) error {
	c.rd.set(t)
	c.wd.set(t)
	return nil
}

func (c *pipeConn) SetReadDeadline(t time.Time) error {
	c.rd.set(t)
	return nil
}

func (c *pipeConn) SetWriteDeadline(t time.Time) error {
	c.wd.set(t)
	return nil
}

// memAddr is the address of an in-memory connection or listener.
type memAddr string

func (a memAddr) Network() string { return "mem" }
func (a memAddr) String() string  { return "mem://" + string(a) }
