package transport

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"sync"
	"time"
)

// connected is the status line net/rpc's server answers a CONNECT with and
// its client insists on.
const connected = "200 Connected to Go RPC"

// ConnectHandler returns an http.Handler that speaks the server side of
// net/rpc's HTTP handshake (the one rpc.Server.HandleHTTP and rpc.DialHTTP
// use): it answers a CONNECT request with "HTTP/1.0 200 Connected to Go
// RPC", hijacks the connection and passes it to accept. Other methods get
// 405. Mount it at the path clients dial (net/rpc's default is
// rpc.DefaultRPCPath, "/_goRPC_").
//
// accept runs on the request's goroutine; it may serve the connection there
// or hand it off and return. The connection's deadlines are cleared, and
// any bytes the client sent after its request are returned by the first
// Reads.
func ConnectHandler(accept func(net.Conn)) http.Handler {
	return connectHandler(accept)
}

type connectHandler func(net.Conn)

func (accept connectHandler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodConnect {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		w.WriteHeader(http.StatusMethodNotAllowed)
		io.WriteString(w, "405 must CONNECT\n")
		return
	}
	conn, brw, err := http.NewResponseController(w).Hijack()
	if err != nil {
		http.Error(w, "transport: cannot hijack connection: "+err.Error(), http.StatusInternalServerError)
		return
	}
	conn.SetDeadline(time.Time{})
	if _, err := io.WriteString(conn, "HTTP/1.0 "+connected+"\n\n"); err != nil {
		conn.Close()
		return
	}
	accept(withReadAhead(conn, brw.Reader))
}

// listenConnect serves net/rpc's CONNECT handshake at e.path.
func listenConnect(ctx context.Context, e endpoint, opts *Options) (net.Listener, error) {
	inner, err := listenNet(ctx, "tcp", e.host)
	if err != nil {
		return nil, err
	}
	q := newQueueListener(inner.Addr())
	h := ConnectHandler(func(c net.Conn) {
		if q.deliver(context.Background(), c) != nil {
			c.Close()
		}
	})
	serveHTTP(q, inner, onlyPath(e.path, h), opts)
	return q, nil
}

// dialConnect dials TCP and performs the client side of the handshake, as
// rpc.DialHTTPPath does, bounded by ctx.
func dialConnect(ctx context.Context, e endpoint) (net.Conn, error) {
	c, err := dialNet(ctx, "tcp", e.host)
	if err != nil {
		return nil, err
	}
	conn, err := connectHandshake(ctx, c, e.path)
	if err != nil {
		c.Close()
		return nil, err
	}
	return conn, nil
}

func connectHandshake(ctx context.Context, c net.Conn, path string) (net.Conn, error) {
	// Ending ctx, by cancellation or deadline, interrupts the handshake.
	stop := context.AfterFunc(ctx, func() { c.SetDeadline(time.Unix(1, 0)) })
	br := bufio.NewReader(c)
	_, err := io.WriteString(c, "CONNECT "+path+" HTTP/1.0\n\n")
	var resp *http.Response
	if err == nil {
		resp, err = http.ReadResponse(br, &http.Request{Method: http.MethodConnect})
	}
	if !stop() {
		return nil, fmt.Errorf("%w: %w", ErrHandshake, ctx.Err())
	}
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrHandshake, err)
	}
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("%w: CONNECT %s answered %q", ErrHandshake, path, resp.Status)
	}
	c.SetDeadline(time.Time{})
	return withReadAhead(c, br), nil
}

// withReadAhead returns c, or, when r has read bytes of c ahead during a
// handshake, a connection whose first Reads return those bytes.
func withReadAhead(c net.Conn, r *bufio.Reader) net.Conn {
	n := r.Buffered()
	if n == 0 {
		return c
	}
	b, _ := r.Peek(n)
	return &readAheadConn{Conn: c, ahead: bytes.Clone(b)}
}

type readAheadConn struct {
	net.Conn
	mu    sync.Mutex
	ahead []byte
}

func (c *readAheadConn) Read(p []byte) (int, error) {
	c.mu.Lock()
	if len(c.ahead) > 0 {
		n := copy(p, c.ahead)
		c.ahead = c.ahead[n:]
		c.mu.Unlock()
		return n, nil
	}
	c.mu.Unlock()
	return c.Conn.Read(p)
}
