package peer

import (
	"context"
	"errors"
)

// Errors of this package. Remote errors are *Error values (error.go),
// except the refusals of a peer of this package, which become ErrBusy and
// ErrDraining again on the caller's side.
var (
	// ErrClosed: the connection is gone. Every call pending when it went
	// fails with an error that Is ErrClosed, and so does every later call.
	ErrClosed = errors.New("peer: connection closed")
	// ErrBusy: the remote peer had too many requests in flight and refused
	// this one without running it. The call may be retried.
	ErrBusy = errors.New("peer: busy: too many requests in flight")
	// ErrDraining: the remote peer is shutting down and refused this call
	// without running it. The call may be retried elsewhere.
	ErrDraining = errors.New("peer: shutting down: request refused")
	// ErrIdle: nothing arrived within Options.IdleTimeout.
	ErrIdle = errors.New("peer: idle timeout")
	// ErrNoFirstFrame: no whole frame arrived within
	// Options.FirstFrameTimeout of the connection's start.
	ErrNoFirstFrame = errors.New("peer: no frame arrived in time")
	// ErrWriteTimeout: a write to the stream made no progress within
	// Options.WriteTimeout, or the other end sent requests without reading
	// the answers; the peer ended.
	ErrWriteTimeout = errors.New("peer: write timeout")
	// ErrQueueFull: Hub.CallAll did not call a peer whose send queue was
	// full (Options.SendQueue), rather than wait for it.
	ErrQueueFull = errors.New("peer: send queue full: the other end is not reading")
	// ErrNotificationOverflow: with Options.OrderedNotifications, more
	// notifications arrived than Options.NotificationQueue holds.
	ErrNotificationOverflow = errors.New("peer: ordered notification queue full")
	// ErrNotStreamed answers a plain call of a streaming method (a Call,
	// or a foreign client that does not know this package's streams),
	// with codec.CodeNotStreamed, before the handler runs; the caller's
	// error Is ErrNotStreamed, and calling again with CallStream runs
	// nothing twice. Under a dialect without credit (lsp) such a call
	// gets the items in its answer instead (Stream.Send).
	ErrNotStreamed = errors.New("peer: this method streams its results, and the caller did not call it as a stream (peer.CallStream)")
	// ErrStreamStalled: a streaming handler's consumer granted no room for
	// more items within Options.StreamStall.
	ErrStreamStalled = errors.New("peer: stream stalled: the consumer takes no more items")
	// ErrStreamOverrun: a stream's producer sent more items than its
	// consumer granted; the stream fails rather than grow.
	ErrStreamOverrun = errors.New("peer: stream overrun")
)

// errPanicked is what the caller of a handler that panicked is told; the
// panic's text and stack stay in the serving peer's log.
var errPanicked = errors.New("peer: handler panicked")

// CancelledError is the cause (context.Cause) of a handler's context that
// ended because its caller cancelled the call. It Is context.Canceled.
type CancelledError struct {
	// Reason is why, where the caller's dialect says (MCP's
	// notifications/cancelled has a reason); "" where it does not.
	Reason string
}

func (e *CancelledError) Error() string {
	if e.Reason == "" {
		return "peer: the caller cancelled the call"
	}
	return "peer: the caller cancelled the call: " + e.Reason
}

// Is makes a CancelledError a context.Canceled.
func (e *CancelledError) Is(target error) bool { return target == context.Canceled }
