package transport

import (
	"bufio"
	"context"
	"crypto/tls"
	"fmt"
	"net"
	"net/http"
	"sync"
	"time"

	"github.com/coder/websocket"
)

// WebSocketHandler returns an http.Handler that upgrades each request to a
// WebSocket connection and passes it to accept as a net.Conn, for mounting
// the WebSocket transport on an existing HTTP server.
//
// Each Write on the connection sends one message and Read returns the
// bytes of consecutive messages, saying where each ends, so a browser
// sends one RPC frame per message. Messages are binary; a text message
// closes the connection (ErrTextMessage) unless the connection was told to
// accept text (AcceptText, as package peer does for the JSON codecs), and
// so does one over opts.MaxMessageSize (ErrMessageTooLarge). Browsers from
// other origins are refused unless opts.OriginPatterns allows them.
//
// accept runs on the request's goroutine; it may serve the connection
// there or hand it off and return. The connection outlives the request
// either way and must be closed by whoever owns it. The handler clears the
// server's read and write deadlines on upgraded connections, since
// http.Server's ReadTimeout and WriteTimeout would otherwise cut them off.
func WebSocketHandler(accept func(net.Conn), opts *Options) http.Handler {
	return &wsHandler{accept: accept, opts: opts}
}

type wsHandler struct {
	accept func(net.Conn)
	opts   *Options
}

func (h *wsHandler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	rc := http.NewResponseController(w)
	_ = rc.SetReadDeadline(time.Time{})
	_ = rc.SetWriteDeadline(time.Time{})
	rec := &hijackRecorder{ResponseWriter: w}
	ws, err := websocket.Accept(rec, r, &websocket.AcceptOptions{OriginPatterns: h.opts.originPatterns()})
	if err != nil {
		// Accept has written the error response.
		h.opts.logger().Warn("transport: websocket upgrade refused", "remote", r.RemoteAddr, "error", err)
		return
	}
	h.accept(newWSConn(ws, rec.conn, r.TLS, h.opts))
}

// hijackRecorder keeps the connection websocket.Accept hijacks, so that the
// transport can see its addresses and bound its closing.
type hijackRecorder struct {
	http.ResponseWriter
	conn net.Conn
}

func (w *hijackRecorder) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	c, brw, err := http.NewResponseController(w.ResponseWriter).Hijack()
	w.conn = c
	return c, brw, err
}

func (w *hijackRecorder) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// listenWebSocket serves WebSocket upgrades at e.path, over TLS for wss.
func listenWebSocket(ctx context.Context, e endpoint, opts *Options) (net.Listener, error) {
	var cfg *tls.Config
	if e.scheme == "wss" {
		var err error
		if cfg, err = serverTLSConfig(opts); err != nil {
			return nil, err
		}
		// WebSocket upgrades need HTTP/1.1; never negotiate h2.
		cfg = cfg.Clone()
		cfg.NextProtos = []string{"http/1.1"}
	}
	inner, err := listenNet(ctx, "tcp", e.host)
	if err != nil {
		return nil, err
	}
	if cfg != nil {
		inner = newTLSListener(inner, cfg, opts)
	}
	q := newQueueListener(inner.Addr())
	h := WebSocketHandler(func(c net.Conn) {
		if q.deliver(context.Background(), c) != nil {
			c.Close()
		}
	}, opts)
	serveHTTP(q, inner, onlyPath(e.path, h), opts)
	return q, nil
}

// dialWebSocket performs the WebSocket handshake with e.url.
func dialWebSocket(ctx context.Context, e endpoint, opts *Options) (net.Conn, error) {
	// A private transport, so that the TLS config applies and the
	// connection's addresses can be recorded.
	var (
		mu  sync.Mutex
		raw net.Conn
		d   net.Dialer
	)
	tr := &http.Transport{
		DialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
			c, err := d.DialContext(ctx, network, addr)
			if err == nil {
				mu.Lock()
				raw = c
				mu.Unlock()
			}
			return c, err
		},
		TLSClientConfig:   opts.tlsConfig(),
		DisableKeepAlives: true,
	}
	defer tr.CloseIdleConnections()
	ws, resp, err := websocket.Dial(ctx, e.url.String(), &websocket.DialOptions{
		HTTPClient: &http.Client{Transport: tr},
	})
	if err != nil {
		return nil, fmt.Errorf("transport: websocket dial %s: %w", e.url.Redacted(), err)
	}
	mu.Lock()
	defer mu.Unlock()
	return newWSConn(ws, raw, resp.TLS, opts), nil
}
