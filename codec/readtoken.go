package codec

import (
	"fmt"
	"net"
	"sync"
)

// loop is one of net/rpc's two reading loops on a shared connection.
type loop uint8

const (
	noLoop     loop = iota
	clientLoop      // rpc.Client's input loop: reads responses
	serverLoop      // (*rpc.Server).ServeCodec: reads requests and notifications
)

// loopFor says which loop reads a frame of kind k. A Cancel belongs to
// neither: net/rpc cannot stop a handler it runs, so it is skipped.
func loopFor(k Kind) loop {
	switch k {
	case Response:
		return clientLoop
	case Request, Notification, 0: // 0: a stock net/rpc gob client's request
		return serverLoop
	}
	return noLoop
}

// errClosed is what a loop waiting for its turn reads once either codec
// has been closed. It wraps net.ErrClosed, as the read of a closed socket
// would.
var errClosed = fmt.Errorf("codec: %w", net.ErrClosed)

// readToken shares one Conn between net/rpc's two reading loops without a
// goroutine of its own. Whichever loop holds the token reads the stream
// itself: a frame of its own it keeps, body included, and it reads on from
// the stream at its next header; a frame of the other loop it hands over,
// header and token together, and waits for its turn. Calls in one
// direction thus pay no hand-off, and a frame for the other loop pays the
// one wake-up that net/rpc's two loops need anyway.
//
// The holder reads a frame's body before it asks for the next header, as
// both of net/rpc's loops do, so Conn's rule of one header, then one body,
// holds across the hand-over.
type readToken struct {
	conn Conn

	mu    sync.Mutex
	turn  sync.Cond // broadcast whenever owner, ready or err changes
	owner loop      // the loop that may read the stream; noLoop if anyone may
	ready loop      // the loop that hdr waits for; noLoop if none
	hdr   Header
	err   error // why reading ended; once set, nobody reads the stream again

	closeOnce sync.Once
	closeErr  error
}

func newReadToken(conn Conn) *readToken {
	t := &readToken{conn: conn}
	t.turn.L = &t.mu
	return t
}

// readHeader returns the next header that belongs to the loop me, reading
// the stream while me holds the token and waiting while the other does.
func (t *readToken) readHeader(me loop, h *Header) error {
	t.mu.Lock()
	defer t.mu.Unlock()
	for {
		switch {
		case t.err != nil:
			return t.err
		case t.ready == me:
			*h, t.ready = t.hdr, noLoop
			return nil
		case t.owner != noLoop && t.owner != me:
			t.turn.Wait()
			continue
		}
		t.owner = me
		t.mu.Unlock()
		to, err := t.next(h)
		t.mu.Lock()
		if err != nil {
			t.failLocked(err)
			return t.err
		}
		if to == me {
			return nil
		}
		t.hdr, t.ready, t.owner = *h, to, to
		t.turn.Broadcast()
	}
}

// next reads headers from the stream until one that a loop reads,
// skipping cancels. Only the holder of the token calls it.
func (t *readToken) next(h *Header) (loop, error) {
	for {
		if err := t.conn.ReadHeader(h); err != nil {
			return noLoop, err
		}
		if to := loopFor(h.Kind); to != noLoop {
			return to, nil
		}
		if err := t.conn.ReadBody(nil); err != nil { // a Cancel has none; in step all the same
			return noLoop, err
		}
	}
}

// stop ends reading for both loops, for a loop that stops reading for a
// reason of its own while it holds the token: the other would otherwise
// wait for its turn for ever.
func (t *readToken) stop(err error) {
	t.mu.Lock()
	t.failLocked(err)
	t.mu.Unlock()
}

func (t *readToken) failLocked(err error) {
	if t.err == nil {
		t.err = err
	}
	t.owner = noLoop
	t.turn.Broadcast()
}

// close ends reading and closes conn, once whichever codec asks. A loop
// waiting for its turn returns at once, even if the other loop is not
// running to read the end of the stream.
func (t *readToken) close() error {
	t.stop(errClosed)
	t.closeOnce.Do(func() { t.closeErr = t.conn.Close() })
	return t.closeErr
}
