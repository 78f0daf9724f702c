package transport

import (
	"context"
	"net"
	"sync"
)

// queueListener is a net.Listener whose connections are handed to it by
// producers: the TLS handshake goroutines, an HTTP handler, or Dial on a
// mem:// address. The hand-off is unbuffered, so a connection is either
// taken by Accept or refused to its producer, never stranded in a queue.
type queueListener struct {
	addr  net.Addr
	conns chan net.Conn
	errs  chan error
	done  chan struct{}
	once  sync.Once
	stop  func() error // releases whatever feeds the queue; run once by Close
}

var _ net.Listener = (*queueListener)(nil)

func newQueueListener(addr net.Addr) *queueListener {
	return &queueListener{
		addr:  addr,
		conns: make(chan net.Conn),
		errs:  make(chan error),
		done:  make(chan struct{}),
	}
}

// Accept waits for the next established connection.
func (l *queueListener) Accept() (net.Conn, error) {
	select {
	case <-l.done:
		return nil, l.closedErr()
	default:
	}
	select {
	case c := <-l.conns:
		return c, nil
	case err := <-l.errs:
		return nil, err
	case <-l.done:
		return nil, l.closedErr()
	}
}

// Close stops the listener and waits for its producers to finish. It does
// not close connections already accepted. Close is idempotent.
func (l *queueListener) Close() error {
	var err error
	l.once.Do(func() {
		close(l.done)
		if l.stop != nil {
			err = l.stop()
		}
	})
	return err
}

// Addr returns the address the listener is bound to.
func (l *queueListener) Addr() net.Addr { return l.addr }

// deliver hands c to Accept. It fails, leaving c to the caller, when the
// listener closes or ctx ends first.
func (l *queueListener) deliver(ctx context.Context, c net.Conn) error {
	select {
	case l.conns <- c:
		return nil
	case <-l.done:
		return l.closedErr()
	case <-ctx.Done():
		return ctx.Err()
	}
}

// deliverErr hands an error to Accept, or drops it once the listener is
// closed.
func (l *queueListener) deliverErr(err error) {
	select {
	case l.errs <- err:
	case <-l.done:
	}
}

func (l *queueListener) closedErr() error {
	return &net.OpError{Op: "accept", Net: l.addr.Network(), Addr: l.addr, Err: net.ErrClosed}
}
