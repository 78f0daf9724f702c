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
func Listen(ctx context.Context, addr string, opts *Options) (net.Listener, error) {
	e, err := parseAddr(addr)
	if err != nil {
		return nil, err
	}
	switch e.scheme {
	case "unix":
		return listenNet(ctx, "unix", e.path)
	case "tls":
		return listenTLS(ctx, e.host, opts)
	case "ws", "wss":
		return listenWebSocket(ctx, e, opts)
	case "http":
		return listenConnect(ctx, e, opts)
	case "mem":
		return listenMemory(e.host)
	default: // tcp
		return listenNet(ctx, "tcp", e.host)
	}
}
