package transport

import (
	"context"
	"net"
)

// Dial connects to an address URL (see the package documentation for the
// schemes) and returns an established connection: the TLS handshake,
// WebSocket upgrade or HTTP CONNECT handshake has completed.
//
// ctx bounds the dial and the handshake; cancelling it after Dial returns
// does not affect the connection. WebSocket dialing connects directly,
// ignoring HTTP proxy settings in the environment.
func Dial(ctx context.Context, addr string, opts *Options) (net.Conn, error) {
	e, err := parseAddr(addr)
	if err != nil {
		return nil, err
	}
	switch e.scheme {
	case "unix":
		return dialNet(ctx, "unix", e.path)
	case "tls":
		return dialTLS(ctx, e.host, opts)
	case "ws", "wss":
		return dialWebSocket(ctx, e, opts)
	case "http":
		return dialConnect(ctx, e)
	case "mem":
		return dialMemory(ctx, e.host)
	default: // tcp
		return dialNet(ctx, "tcp", e.host)
	}
}
