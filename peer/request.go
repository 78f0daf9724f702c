package peer

import (
	"context"
	"sync"

	"github.com/duplexrpc/duplex/codec"
)

// request is what a handler's context knows of the request or
// notification it serves, beside the peer: its wire id, its metadata, and
// the progress token its caller gave, if any. It is the handler's context
// itself, so that knowing all this costs one allocation per request.
type request struct {
	context.Context // ends when the caller cancels or the connection ends

	id    codec.ID
	meta  Metadata
	token codec.ID // zero: the caller asked for no progress

	// mu orders ReportProgress before the answer: once answered is set,
	// under mu, no progress of this request is sent.
	mu       sync.Mutex
	answered bool
}

// requestKey is the context key under which a handler's context finds its
// request.
type requestKey struct{}

func (r *request) Value(key any) any {
	if key == (requestKey{}) {
		return r
	}
	return r.Context.Value(key)
}

// servedFrom returns the request a handler's ctx serves, or nil.
func servedFrom(ctx context.Context) *request {
	r, _ := ctx.Value(requestKey{}).(*request)
	return r
}

// RequestID returns the id of the request that a handler's ctx serves,
// exactly as the caller's wire wrote it: a number of any size, or a
// string. ok is false for a notification, which has none, and outside a
// handler. Seen from a caller of this package, the id is the call's
// sequence number on its connection.
func RequestID(ctx context.Context) (id codec.ID, ok bool) {
	r := servedFrom(ctx)
	if r == nil || r.id.IsZero() {
		return codec.ID{}, false
	}
	return r.id, true
}

// ProgressToken returns the progress token the request that a handler's
// ctx serves came with: whether its caller asked for progress, which
// ReportProgress then sends. ok is false when it did not.
func ProgressToken(ctx context.Context) (token codec.ID, ok bool) {
	r := servedFrom(ctx)
	if r == nil || r.token.IsZero() {
		return codec.ID{}, false
	}
	return r.token, true
}
