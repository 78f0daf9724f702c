package peer

import (
	"errors"
	"net/rpc"
)

// Errors of this package. Remote errors stay rpc.ServerError values.
var (
	// ErrClosed: the connection is gone. Every call pending when it went
	// fails with an error that Is ErrClosed, and so does every later call.
	ErrClosed = errors.New("peer: connection closed")
	// ErrBusy: the remote peer had too many requests in flight and refused
	// this one without running it. The call may be retried.
	ErrBusy = errors.New("peer: busy: too many requests in flight")
	// ErrCancelled is what a cancelled call's late reply is discarded as;
	// Call itself returns the context's error.
	ErrCancelled = errors.New("peer: call cancelled")
	// ErrIdle: nothing arrived within Options.IdleTimeout.
	ErrIdle = errors.New("peer: idle timeout")
)

// remoteError turns a remote error into one callers can test: the busy
// refusal of a peer of ours becomes ErrBusy, anything else stays an
// rpc.ServerError.
func remoteError(e rpc.ServerError) error {
	if string(e) == ErrBusy.Error() {
		return ErrBusy
	}
	return e
}
