package cluster

import (
	"context"
	"errors"
	"net/rpc"

	"github.com/duplexrpc/duplex/codec"
	"github.com/duplexrpc/duplex/peer"
)

// Errors of this package. A worker's own errors reach a caller as they
// would over a direct connection: an rpc.ServerError, or peer.ErrBusy and
// peer.ErrDraining; a worker whose connection ended during the call gives
// an error that Is peer.ErrClosed.
var (
	// ErrNoWorker: no master holds a worker of that name. A call fails
	// with it at once, from NATS's no-responders, never by waiting for a
	// timeout; the call was not run.
	ErrNoWorker = errors.New("cluster: no such worker connected")
	// ErrCodec: the worker's codec has no raw form (gob), or its wire is
	// not the one the caller encodes in (msgpack against JSON). The call
	// was not run.
	ErrCodec = errors.New("cluster: the worker speaks another encoding")
	// ErrBadName: a worker or master name is not one NATS subject token:
	// empty, longer than 256 bytes, or holding '.', '*', '>', white space
	// or a control character.
	ErrBadName = errors.New("cluster: invalid name")
	// ErrClosed: the Client or Master was closed.
	ErrClosed = errors.New("cluster: closed")
)

// relayError is an error a master reported for a call: its text is the
// master's, and it Is the sentinel it stands for.
type relayError struct {
	text string
	is   error
}

func (e *relayError) Error() string { return e.text }
func (e *relayError) Unwrap() error { return e.is }

// errorOf turns a reply's status and error text back into the error the
// call failed with.
func errorOf(status, text string) error {
	switch status {
	case statusRemote:
		return rpc.ServerError(text)
	case statusBusy:
		return peer.ErrBusy
	case statusDraining:
		return peer.ErrDraining
	case statusClosed:
		return &relayError{text, peer.ErrClosed}
	case statusNoWorker:
		return &relayError{text, ErrNoWorker}
	case statusCodec:
		return &relayError{text, ErrCodec}
	case statusEncode:
		return &relayError{text, codec.ErrEncode}
	case statusCancelled:
		return &relayError{text, context.Canceled}
	case statusDeadline:
		return &relayError{text, context.DeadlineExceeded}
	}
	return &relayError{text, nil}
}

// statusOf is the reply status, and the text, of the error a relayed call
// failed with at a master.
func statusOf(err error) (status, text string) {
	var remote rpc.ServerError
	switch {
	case errors.Is(err, peer.ErrBusy):
		return statusBusy, err.Error()
	case errors.Is(err, peer.ErrDraining):
		return statusDraining, err.Error()
	case errors.As(err, &remote):
		return statusRemote, string(remote)
	case errors.Is(err, peer.ErrClosed):
		return statusClosed, err.Error()
	case errors.Is(err, codec.ErrEncode):
		return statusEncode, err.Error()
	case errors.Is(err, context.Canceled):
		return statusCancelled, err.Error()
	case errors.Is(err, context.DeadlineExceeded):
		return statusDeadline, err.Error()
	}
	return statusFailed, err.Error()
}
