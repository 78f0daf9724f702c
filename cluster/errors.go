package cluster

import (
	"context"
	"errors"
	"fmt"
	"strconv"

	"github.com/nats-io/nats.go"

	"github.com/duplexrpc/duplex/codec"
	"github.com/duplexrpc/duplex/peer"
)

// Errors of this package. A worker's own errors reach a caller as they
// would over a direct connection: a *peer.Error with the worker's code and
// data (also an rpc.ServerError to errors.As), or peer.ErrBusy and
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
	// ErrStreamNotRelayed: the worker's method streams its results
	// (peer.Stream), and a cluster relays calls, not streams. The worker
	// answered before its handler ran, so nothing ran; the error also Is
	// peer.ErrNotStreamed. Call such a method with peer.CallStream on a
	// connection to the worker, or have it return its results in one reply.
	ErrStreamNotRelayed = errors.New("cluster: the worker's method streams its results, and streams are not relayed through NATS")
)

// relayError is an error a master reported for a call: its text is the
// master's, and it Is the sentinel it stands for.
type relayError struct {
	text string
	is   error
}

func (e *relayError) Error() string { return e.text }
func (e *relayError) Unwrap() error { return e.is }

// failure is how a relayed call failed, as a reply says it: its status,
// its text, and for a worker's error its code and data (the data's bytes
// in the worker's wire, which is the caller's).
type failure struct {
	status string
	text   string
	code   int
	data   []byte
}

// errorOf turns a reply's failure back into the error the call failed
// with: a worker's error is a *peer.Error with its code and data, as over
// a direct connection.
func errorOf(f failure) error {
	switch f.status {
	case statusRemote:
		e := &peer.Error{Code: f.code, Message: f.text}
		if len(f.data) > 0 {
			e.Data = codec.Raw(f.data)
		}
		if f.code == codec.CodeNotStreamed {
			return fmt.Errorf("%w (the worker said: %w)", ErrStreamNotRelayed, e)
		}
		return e
	case statusBusy:
		return peer.ErrBusy
	case statusDraining:
		return peer.ErrDraining
	case statusClosed:
		return &relayError{f.text, peer.ErrClosed}
	case statusNoWorker:
		return &relayError{f.text, ErrNoWorker}
	case statusCodec:
		return &relayError{f.text, ErrCodec}
	case statusEncode:
		return &relayError{f.text, codec.ErrEncode}
	case statusCancelled:
		return &relayError{f.text, context.Canceled}
	case statusDeadline:
		return &relayError{f.text, context.DeadlineExceeded}
	}
	return &relayError{f.text, nil}
}

// failureOf is the reply's failure for the error a relayed call failed
// with at a master.
func failureOf(err error) failure {
	var remote *peer.Error
	switch {
	case errors.Is(err, peer.ErrBusy):
		return failure{status: statusBusy, text: err.Error()}
	case errors.Is(err, peer.ErrDraining):
		return failure{status: statusDraining, text: err.Error()}
	case errors.As(err, &remote):
		f := failure{status: statusRemote, text: remote.Message, code: remote.Code}
		if raw, ok := remote.Data.(codec.Raw); ok {
			f.data = raw
		}
		return f
	case errors.Is(err, peer.ErrClosed):
		return failure{status: statusClosed, text: err.Error()}
	case errors.Is(err, codec.ErrEncode):
		return failure{status: statusEncode, text: err.Error()}
	case errors.Is(err, context.Canceled):
		return failure{status: statusCancelled, text: err.Error()}
	case errors.Is(err, context.DeadlineExceeded):
		return failure{status: statusDeadline, text: err.Error()}
	}
	return failure{status: statusFailed, text: err.Error()}
}

// failureIn reads the failure a reply reports; ok is false for a reply
// that carries a result.
func failureIn(resp *nats.Msg) (f failure, ok bool) {
	f.status = headerOf(resp, hStatus)
	if f.status == "" {
		return f, false
	}
	f.text = headerOf(resp, hError)
	if f.status == statusRemote {
		f.code, _ = strconv.Atoi(headerOf(resp, hCode))
		f.data = resp.Data
	}
	return f, true
}
