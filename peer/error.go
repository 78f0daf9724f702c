package peer

import (
	"context"
	"errors"
	"fmt"
	"net/rpc"
	"strings"

	"github.com/duplexrpc/duplex/codec"
)

// Error is an error with a code and data, as JSON-RPC 2.0, LSP and MCP
// carry them. It travels both ways:
//
//   - A handler returns one, or wraps one (errors.As finds it anywhere in
//     the chain), to choose the code and data its caller gets. The message
//     sent is the whole error's text, err.Error(), as net/rpc sends it.
//   - A caller gets one for every error the other end answered with: its
//     Code and Data are the wire's, zero and nil where the wire carries
//     none (JSON-RPC 1.0 and gob carry the message only; docs/wire.md §7).
//
// Code-era code and net/rpc-era code read the same error:
// errors.As(err, &e) with e a *peer.Error gives the code, and
// errors.As(err, &s) with s an rpc.ServerError, or errors.Is(err,
// rpc.ServerError(text)), still work. The refusals of a peer of this
// package (ErrBusy, ErrDraining) come back as those sentinels instead.
type Error struct {
	// Code is the error's code: one of codec's Code constants, a
	// protocol's own (LSP's -32801 ContentModified, Neovim's 0 and 1), or
	// the application's. Zero lets the codec choose (JSON-RPC 2.0 sends
	// codec.CodeServerError).
	Code int
	// Message is what the error says.
	Message string
	// Data is more about the error. A handler may set any value its
	// codec can encode. Received, it is a codec.Raw in the wire's
	// encoding (DecodeData decodes it), or nil.
	Data any

	wire codec.Codec // the codec Data was read with, nil for a handler's
}

// Error returns the message, as rpc.ServerError does.
func (e *Error) Error() string { return e.Message }

// As makes errors.As(err, &s), s an rpc.ServerError, find a remote error, as
// it did before errors had codes.
func (e *Error) As(target any) bool {
	if s, ok := target.(*rpc.ServerError); ok {
		*s = rpc.ServerError(e.Message)
		return true
	}
	return false
}

// Is reports whether target is the rpc.ServerError of the same message, so
// that errors.Is(err, rpc.ServerError("divide by zero")) works as before.
// An answer of CodeNotStreamed Is ErrNotStreamed.
func (e *Error) Is(target error) bool {
	if target == ErrNotStreamed {
		return e.Code == codec.CodeNotStreamed
	}
	s, ok := target.(rpc.ServerError)
	return ok && string(s) == e.Message
}

// DecodeData decodes the data of a received error into v, a pointer, as
// the error's codec decodes a reply. It fails when the error has no data,
// and for a handler's own Error, whose Data is already a Go value.
func (e *Error) DecodeData(v any) error {
	raw, ok := e.Data.(codec.Raw)
	if !ok || e.wire == nil {
		return fmt.Errorf("peer: error %d %q has no data to decode", e.Code, e.Message)
	}
	return codec.DecodeRaw(e.wire, raw, v)
}

// remoteError turns the error a response carried into one callers can
// test: the refusals of a peer of this package become ErrBusy and
// ErrDraining; anything else an *Error, with the code of the wire, or,
// where the wire carries none, the standard code of this package's own
// errors, known by their fixed texts (ownCode).
func remoteError(h *codec.Header, wire codec.Codec) error {
	switch h.Error {
	case ErrBusy.Error():
		return ErrBusy
	case ErrDraining.Error():
		return ErrDraining
	}
	e := &Error{Code: h.Code, Message: h.Error, Data: h.Data, wire: wire}
	if e.Code == 0 {
		e.Code = ownCode(h.Error)
	}
	if e.Data == nil {
		e.wire = nil
	}
	return e
}

// ownCode returns the code this package answers its own error of the
// given text with, or 0. Over JSON-RPC 2.0 the code travels; msgpack-rpc
// sends this package's own errors as plain strings, which is what every
// msgpack-rpc client prints, JSON-RPC 1.0 and gob send text only: their
// texts are fixed, so a peer of this package gets the code back.
func ownCode(text string) int {
	switch {
	case strings.HasPrefix(text, "rpc: can't find "), strings.HasPrefix(text, "rpc: service/method request ill-formed"):
		return codec.CodeMethodNotFound
	case strings.HasPrefix(text, codec.ErrInvalidParams.Error()):
		return codec.CodeInvalidParams
	case strings.HasPrefix(text, errPanicked.Error()):
		return codec.CodeInternalError
	case text == ErrNotStreamed.Error():
		return codec.CodeNotStreamed
	}
	return 0
}

// errorFrame fills the error of a response for a handler's err: its text,
// and the code and data of an *Error in its chain. A request whose caller
// cancelled it, and whose handler gave up with the context's error, is
// answered with CodeRequestCancelled, as LSP wants.
func (p *Peer) errorFrame(h *codec.Header, err error, cancelled bool) {
	h.Error = err.Error()
	var e *Error
	switch {
	case errors.As(err, &e):
		h.Code, h.Data = e.Code, e.Data
		if raw, ok := e.Data.(codec.Raw); ok && e.wire != nil && e.wire != p.codec {
			// Data read on another wire (a relay's): decoded, to be
			// encoded again in this one.
			var v any
			if codec.DecodeRaw(e.wire, raw, &v) == nil {
				h.Data = v
			} else {
				h.Data = nil
			}
		}
	case cancelled && errors.Is(err, context.Canceled):
		h.Code, h.StandardCode = codec.CodeRequestCancelled, true
	case errors.Is(err, errPanicked):
		h.Code, h.StandardCode = codec.CodeInternalError, true
	}
}
