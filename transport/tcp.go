package transport

import (
	"context"
	"net"
)

// listenNet listens on TCP or a Unix socket.
//
// A Unix socket file left behind by a crashed process makes Listen fail
// with "address already in use"; it is not removed silently, since another
// live server may own it. Closing the listener removes the file.
func listenNet(ctx context.Context, network, address string) (net.Listener, error) {
	var lc net.ListenConfig
	return lc.Listen(ctx, network, address)
}

// dialNet dials TCP or a Unix socket. TCP keepalive uses the net package's
// default period.
func dialNet(ctx context.Context, network, address string) (net.Conn, error) {
	var d net.Dialer
	return d.DialContext(ctx, network, address)
}
