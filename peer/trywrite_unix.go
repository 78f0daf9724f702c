//go:build unix

package peer

import (
	"io"
	"syscall"
)

// tryWriter returns a function that writes to w what the stream takes
// right now, without waiting for it to drain, if w is a socket (TCP, Unix);
// nil otherwise. A fan-out or a cancellable caller then writes the stream
// itself when it can, and leaves the rest to a flusher goroutine. Only the
// flusher calls it, one at a time.
func tryWriter(w io.Writer) func([]byte) (int, error) {
	sc, ok := w.(syscall.Conn)
	if !ok {
		return nil
	}
	rc, err := sc.SyscallConn()
	if err != nil {
		return nil
	}
	t := &rawWrite{rc: rc}
	t.fn = t.write // made once: a write allocates nothing
	return t.try
}

// rawWrite holds one write's state, so that the function handed to
// RawConn.Write captures nothing.
type rawWrite struct {
	rc  syscall.RawConn
	fn  func(fd uintptr) bool
	b   []byte
	n   int
	err error
}

func (t *rawWrite) try(b []byte) (int, error) {
	t.b, t.n, t.err = b, 0, nil
	werr := t.rc.Write(t.fn)
	n, err := t.n, t.err
	t.b = nil
	if err == nil {
		err = werr
	}
	return n, err
}

// write writes until the socket is full, and never waits for it.
func (t *rawWrite) write(fd uintptr) bool {
	for t.n < len(t.b) {
		m, e := syscall.Write(int(fd), t.b[t.n:])
		if m > 0 {
			t.n += m
		}
		if e == syscall.EINTR {
			continue
		}
		if e != nil && e != syscall.EAGAIN {
			t.err = e
		}
		if e != nil || m <= 0 {
			break // full (EAGAIN), or failed
		}
	}
	return true // done for now: RawConn.Write must not wait for the socket
}
