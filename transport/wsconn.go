package transport

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"sync"
	"sync/atomic"
	"time"

	"github.com/coder/websocket"
)

// wsConn is a net.Conn over a WebSocket connection that carries a byte
// stream in messages: each Write sends exactly one message, so a codec that
// writes each frame with one Write puts one frame in each message; Read
// returns the bytes of consecutive messages as one stream, and says where
// each ends (codec.MessageReader: every Read returns bytes of one message,
// and MessageEnded reports whether they were its last), so that a codec can
// take one message for one frame.
//
// Messages are binary. A text message ends the connection with
// ErrTextMessage, unless AcceptText(true) was called (codec.TextAccepter:
// package peer does, for the JSON codecs); then text messages are read as
// binary ones are, and every Write is a message of the kind of the last
// message read: text in, text out. A message over the read limit ends the
// connection with ErrMessageTooLarge. Each message is read whole before
// Read returns its first bytes: that is how its end is known.
//
// Read and Write are each safe for concurrent use; Close is idempotent,
// performs the closing handshake (waiting up to closeWait for the peer's
// answer) and stops the keepalive goroutine.
//
// Deadlines follow net.Conn, with one difference forced by the protocol: a
// deadline that passes while a Read or Write is in progress closes the
// connection, because a half-read or half-written message cannot be
// resumed. A deadline that passes between calls only fails the next call.
type wsConn struct {
	ws            *websocket.Conn
	raw           net.Conn // the connection under ws, to bound Close
	local, remote net.Addr
	tls           *tls.ConnectionState // nil for ws://
	limit         int64                // read limit in bytes, -1 for none

	readMu     sync.Mutex
	msg        []byte // the message being read, whole
	msgOff     int    // bytes of msg returned by Read
	readErr    error  // the first read error, returned from then on
	readCtx    context.Context
	readCancel context.CancelFunc // run by rd when the deadline cuts a read short
	rd         *deadline

	acceptText atomic.Bool // AcceptText(true): text messages are read
	lastText   atomic.Bool // the last message read was text: write text
	ended      atomic.Bool // the last Read returned the end of its message

	writeMu     sync.Mutex
	writeCtx    context.Context
	writeCancel context.CancelFunc
	wd          *deadline

	fatal         atomic.Pointer[error] // set by keepalive when the peer stops answering
	closing       atomic.Bool
	stopKeepalive context.CancelFunc
	keepaliveDone chan struct{}
	closeOnce     sync.Once
	closeErr      error
}

var _ net.Conn = (*wsConn)(nil)

// closeWait bounds how long Close waits for the peer to answer the closing
// handshake, which it does only while reading. The library's own bound is
// 5 s, too long for a server closing many connections to stalled peers.
const closeWait = time.Second

func newWSConn(ws *websocket.Conn, raw net.Conn, state *tls.ConnectionState, opts *Options) *wsConn {
	c := &wsConn{
		ws:     ws,
		raw:    raw,
		local:  raw.LocalAddr(),
		remote: raw.RemoteAddr(),
		tls:    state,
		limit:  opts.maxMessageSize(),
		rd:     newDeadline(),
		wd:     newDeadline(),
	}
	ws.SetReadLimit(c.limit)
	c.readCtx, c.readCancel = context.WithCancel(context.Background())
	c.writeCtx, c.writeCancel = context.WithCancel(context.Background())
	if interval := opts.pingInterval(); interval > 0 {
		ctx, cancel := context.WithCancel(context.Background())
		c.stopKeepalive = cancel
		c.keepaliveDone = make(chan struct{})
		go c.keepalive(ctx, interval, opts.pingTimeout())
	}
	return c
}

// Read reads from the current message, reading the next one whole when it
// is used up.
func (c *wsConn) Read(p []byte) (int, error) {
	c.readMu.Lock()
	defer c.readMu.Unlock()
	if c.readErr != nil {
		return 0, c.readErr
	}
	if len(p) == 0 {
		return 0, nil
	}
	if !c.rd.watch(c.readCancel) {
		return 0, os.ErrDeadlineExceeded
	}
	defer c.rd.unwatch()
	for c.msgOff == len(c.msg) { // an empty message has no bytes to return
		if err := c.readMessage(); err != nil {
			return 0, c.failRead(err)
		}
	}
	n := copy(p, c.msg[c.msgOff:])
	c.msgOff += n
	end := c.msgOff == len(c.msg)
	c.ended.Store(end)
	if end && cap(c.msg) > keepMessageBuffer {
		c.msg, c.msgOff = nil, 0 // drop a large message's buffer once it is spent
	}
	return n, nil
}

// firstMessageBuffer is the message buffer of a fresh connection, which
// grows with the messages it meets, as the bytes arrive (never by what a
// frame header declares); keepMessageBuffer is the largest kept between
// messages. A message is held whole until read: at most the read limit.
const (
	firstMessageBuffer = 4 << 10
	keepMessageBuffer  = 64 << 10
)

// readMessage reads the next message whole into c.msg.
func (c *wsConn) readMessage() error {
	typ, r, err := c.ws.Reader(c.readCtx)
	if err != nil {
		return err
	}
	if typ != websocket.MessageBinary && !c.acceptText.Load() {
		c.closeWith(websocket.StatusUnsupportedData, "binary messages only")
		return ErrTextMessage
	}
	c.lastText.Store(typ == websocket.MessageText)
	buf := c.msg[:0]
	if buf == nil {
		buf = make([]byte, 0, firstMessageBuffer)
	}
	for {
		if len(buf) == cap(buf) {
			buf = append(buf, 0)[:len(buf)] // room to grow, as append chooses
		}
		n, err := r.Read(buf[len(buf):cap(buf)])
		buf = buf[:len(buf)+n]
		if c.limit >= 0 && int64(len(buf)) > c.limit {
			// The library's own limit lets one byte more through.
			c.closeWith(websocket.StatusMessageTooBig, "message too big")
			return websocket.ErrMessageTooBig
		}
		if err == io.EOF {
			c.msg, c.msgOff = buf, 0
			return nil
		}
		if err != nil {
			return err
		}
	}
}

// ReadsMessages reports that every Read returns bytes of one message
// (codec.MessageReader).
func (c *wsConn) ReadsMessages() bool { return true }

// MessageEnded reports whether the last Read returned the last bytes of
// its message (codec.MessageReader).
func (c *wsConn) MessageEnded() bool { return c.ended.Load() }

// AcceptText makes the connection read text messages, and answer in the
// kind of the last message read, or refuse them again (codec.TextAccepter).
func (c *wsConn) AcceptText(accept bool) { c.acceptText.Store(accept) }

// failRead turns a read error into this package's terms and latches it.
func (c *wsConn) failRead(err error) error {
	status := websocket.CloseStatus(err)
	switch {
	case errors.Is(err, ErrTextMessage):
	case c.fatal.Load() != nil:
		err = *c.fatal.Load()
	case c.readCtx.Err() != nil && isClosed(c.rd.done()):
		err = fmt.Errorf("transport: websocket read deadline passed mid-read, connection closed: %w", os.ErrDeadlineExceeded)
	case status == websocket.StatusNormalClosure || status == websocket.StatusGoingAway || status == websocket.StatusNoStatusRcvd:
		// A close frame without a status is what a browser's (and the
		// ws package's) close() with no code sends: a clean end too.
		err = io.EOF
	case errors.Is(err, websocket.ErrMessageTooBig):
		// The close frame (1009) has been sent; drop the connection.
		c.ws.CloseNow()
		err = fmt.Errorf("%w: a message exceeded %d bytes", ErrMessageTooLarge, c.limit)
	case status == websocket.StatusMessageTooBig:
		err = fmt.Errorf("%w: the peer refused a message (%w)", ErrMessageTooLarge, err)
	case c.closing.Load():
		err = net.ErrClosed
	default:
		err = fmt.Errorf("transport: websocket read: %w", err)
	}
	c.readErr = err
	return err
}

// Write sends p as one message: binary, or text if the last message read
// was text.
func (c *wsConn) Write(p []byte) (int, error) {
	c.writeMu.Lock()
	defer c.writeMu.Unlock()
	if !c.wd.watch(c.writeCancel) {
		return 0, os.ErrDeadlineExceeded
	}
	defer c.wd.unwatch()
	typ := websocket.MessageBinary
	if c.lastText.Load() {
		typ = websocket.MessageText
	}
	err := c.ws.Write(c.writeCtx, typ, p)
	switch {
	case err == nil:
		return len(p), nil
	case c.fatal.Load() != nil:
		return 0, *c.fatal.Load()
	case c.writeCtx.Err() != nil && isClosed(c.wd.done()):
		return 0, fmt.Errorf("transport: websocket write deadline passed mid-write, connection closed: %w", os.ErrDeadlineExceeded)
	case c.closing.Load():
		return 0, net.ErrClosed
	}
	return 0, fmt.Errorf("transport: websocket write: %w", err)
}

// keepalive pings the peer every interval until stopped, and drops the
// connection when a pong does not come back within timeout.
func (c *wsConn) keepalive(ctx context.Context, interval, timeout time.Duration) {
	defer close(c.keepaliveDone)
	tick := time.NewTicker(interval)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
		pingCtx, cancel := context.WithTimeout(ctx, timeout)
		err := c.ws.Ping(pingCtx)
		cancel()
		switch {
		case err == nil:
			continue
		case ctx.Err() == nil && errors.Is(err, context.DeadlineExceeded):
			err := fmt.Errorf("%w within %v", ErrPingTimeout, timeout)
			c.fatal.Store(&err)
			c.ws.CloseNow()
		}
		return // the connection is gone
	}
}

// Close stops the keepalive goroutine and closes the connection with
// status 1000 (normal closure), which the peer reads as io.EOF. It waits up
// to closeWait for the peer's answer; a peer that does not answer in time
// is hung up on all the same, without an error.
func (c *wsConn) Close() error {
	c.closeOnce.Do(func() {
		c.closing.Store(true)
		if c.stopKeepalive != nil {
			c.stopKeepalive()
			<-c.keepaliveDone
		}
		err := c.closeWith(websocket.StatusNormalClosure, "")
		c.readCancel()
		c.writeCancel()
		c.rd.stop()
		c.wd.stop()
		if err != nil && !errors.Is(err, net.ErrClosed) && !errors.Is(err, os.ErrDeadlineExceeded) {
			c.closeErr = fmt.Errorf("transport: websocket close: %w", err)
		}
	})
	return c.closeErr
}

// closeWith performs the closing handshake with a status, waiting up to
// closeWait for the peer's answer.
func (c *wsConn) closeWith(code websocket.StatusCode, reason string) error {
	c.raw.SetDeadline(time.Now().Add(closeWait))
	return c.ws.Close(code, reason)
}

// WritesMessages reports that every Write is one WebSocket message, so that
// a codec writes each frame with one Write (codec.MessageWriter).
func (c *wsConn) WritesMessages() bool { return true }

func (c *wsConn) LocalAddr() net.Addr  { return c.local }
func (c *wsConn) RemoteAddr() net.Addr { return c.remote }

func (c *wsConn) SetDeadline(t time.Time) error {
	c.rd.set(t)
	c.wd.set(t)
	return nil
}

func (c *wsConn) SetReadDeadline(t time.Time) error {
	c.rd.set(t)
	return nil
}

func (c *wsConn) SetWriteDeadline(t time.Time) error {
	c.wd.set(t)
	return nil
}

// tlsState serves TLSState for wss:// connections.
func (c *wsConn) tlsState() (tls.ConnectionState, bool) {
	if c.tls == nil {
		return tls.ConnectionState{}, false
	}
	return *c.tls, true
}
