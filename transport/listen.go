package transport

import (
	"context"
	"net"
)

// Listen announces on an address URL (see the package documentation for the
// schemes) and returns a listener whose Accept yields established
// connections: for tls:// after the TLS handshake, for ws:// and wss://
// after the WebSocket upgrade, for http:// after the CONNECT handshake.
//
// Use port 0 to let the system choose a port; Addr reports the port bound.
// For ws://, wss:// and http:// Listen serves HTTP itself and answers only
// the URL's path (http:// defaults to net/rpc's "/_goRPC_"); to share an
// HTTP server with other handlers, mount [WebSocketHandler] or
// [ConnectHandler] instead.
//
// ctx bounds only the setup; the listener lives until Close. Closing the
// listener does not close connections it has accepted.
//
// The listener's URL method returns the address to Dial it by, with the
// port bound in place of port 0: Addr reports only host:port, which for
// ws://, wss:// and http:// is not enough to dial.
func Listen(ctx context.Context, addr string, opts *Options) (Listener, error) {
	e, err := parseAddr(addr)
	if err != nil {
		return nil, err
	}
	var ln net.Listener
	switch e.scheme {
	case "unix":
		ln, err = listenNet(ctx, "unix", e.path)
	case "tls":
		ln, err = listenTLS(ctx, e.host, opts)
	case "ws", "wss":
		ln, err = listenWebSocket(ctx, e, opts)
	case "http":
		ln, err = listenConnect(ctx, e, opts)
	case "mem":
		ln, err = listenMemory(e.host)
	default: // tcp
		ln, err = listenNet(ctx, "tcp", e.host)
	}
	if err != nil {
		return nil, err
	}
	return &urlListener{Listener: ln, url: dialURL(e, ln.Addr())}, nil
}

// Listener is a net.Listener that knows the URL to dial it by.
type Listener interface {
	net.Listener
	// URL returns the address URL that Dial reaches this listener at,
	// e.g. "ws://127.0.0.1:41234/rpc" for Listen("ws://127.0.0.1:0/rpc").
	URL() string
}

type urlListener struct {
	net.Listener
	url string
}

func (l *urlListener) URL() string { return l.url }

// dialURL is the URL of e with the address the listener bound.
func dialURL(e endpoint, bound net.Addr) string {
	switch e.scheme {
	case "unix":
		return "unix://" + e.path
	case "mem":
		return bound.String() // already the mem:// URL
	case "tls":
		return "tls://" + bound.String()
	case "ws", "wss", "http":
		u := e.scheme + "://" + bound.String() + e.path
		if e.url != nil && e.url.RawQuery != "" {
			u += "?" + e.url.RawQuery
		}
		return u
	}
	return "tcp://" + bound.String()
}
