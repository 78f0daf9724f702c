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
// stream in binary messages: each Write sends exactly one message, so a
// codec that writes each frame with one Write puts one frame in each
// message; Read returns the bytes of consecutive messages as one stream,
// ignoring their boundaries.
//
// A text message, or a message over the read limit, ends the connection
// with ErrTextMessage or ErrMessageTooLarge. Read and Write are each safe
// for concurrent use; Close is idempotent, performs the closing handshake
// (waiting up to closeWait for the peer's answer) and stops the keepalive
// goroutine.
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
	msg        io.Reader // the message being read; nil between messages
	msgN       int64     // bytes read of msg
	readErr    error     // the first read error, returned from then on
	readCtx    context.Context
	readCancel context.CancelFunc // run by rd when the deadline cuts a read short
	rd         *deadline

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

// Read reads from the current binary message, moving on to the next one
// when it is used up.
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
	for {
		if c.msg == nil {
			typ, r, err := c.ws.Reader(c.readCtx)
			if err != nil {
				return 0, c.failRead(err)
			}
			if typ != websocket.MessageBinary {
				c.closeWith(websocket.StatusUnsupportedData, "binary messages only")
				return 0, c.failRead(ErrTextMessage)
			}
			c.msg, c.msgN = r, 0
		}
		n, err := c.msg.Read(p)
		c.msgN += int64(n)
		if c.limit >= 0 && c.msgN > c.limit {
			// The library's own limit lets one byte more through.
			c.closeWith(websocket.StatusMessageTooBig, "message too big")
			return 0, c.failRead(websocket.ErrMessageTooBig)
		}
		if err == io.EOF {
			c.msg, err = nil, nil
			if n == 0 {
				continue
			}
		}
		if err != nil {
			return n, c.failRead(err)
		}
		return n, nil
	}
}

// failRead turns a read error into this package's terms and latches it.
func (c *wsConn) failRead(err error) error {
	status := websocket.CloseStatus(err)
	switch {
	case errors.Is(err, ErrTextMessage):
	case c.fatal.Load() != nil:
		err = *c.fatal.Load()
	case c.readCtx.Err() != nil && isClosed(c.rd.done()):
		err = fmt.Errorf("transport: websocket read deadline passed mid-read, connection closed: %w", os.ErrDeadlineExceeded)
	case status == websocket.StatusNormalClosure || status == websocket.StatusGoingAway:
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

// Write sends p as one binary message.
func (c *wsConn) Write(p []byte) (int, error) {
	c.writeMu.Lock()
	defer c.writeMu.Unlock()
	if !c.wd.watch(c.writeCancel) {
		return 0, os.ErrDeadlineExceeded
	}
	defer c.wd.unwatch()
	err := c.ws.Write(c.writeCtx, websocket.MessageBinary, p)
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
