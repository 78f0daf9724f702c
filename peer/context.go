package peer

import "context"

// peerKey is the context key under which a handler's context carries the
// peer that called it.
type peerKey struct{}

// FromContext returns the peer whose connection a handler's request came
// in on, so that the handler can call it back or read its connection's
// TLS identity. Every context this package hands a handler or an
// interceptor carries it.
func FromContext(ctx context.Context) (*Peer, bool) {
	p, ok := ctx.Value(peerKey{}).(*Peer)
	return p, ok
}
