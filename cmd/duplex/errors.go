package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/rpc"
	"os"
	"time"

	"github.com/duplexrpc/duplex/codec"
	"github.com/duplexrpc/duplex/peer"
	"github.com/duplexrpc/duplex/transport"
)

// The exit codes, for scripts.
const (
	exitOK     = 0 // everything asked was done
	exitRemote = 1 // the remote answered with an error (or something else failed)
	exitUsage  = 2 // the command line, or the JSON given, is wrong
	exitConn   = 3 // no connection, a lost one, or no answer in time
)

// The kinds of failure, as -json-errors names them.
const (
	kindRemote     = "remote"
	kindUsage      = "usage"
	kindConnection = "connection"
	kindTimeout    = "timeout"
	kindError      = "error"
)

// failure is an error with what a script needs to know of it: the exit
// code, its kind, and the method it happened to, if any.
type failure struct {
	code   int
	kind   string
	method string
	err    error
}

func (f *failure) Error() string { return f.err.Error() }
func (f *failure) Unwrap() error { return f.err }

// usageError is a failure of the command line or of the JSON given.
func usageError(format string, args ...any) *failure {
	return &failure{code: exitUsage, kind: kindUsage, err: fmt.Errorf(format, args...)}
}

// connError is a failure to connect, or a connection lost.
func connError(err error) *failure {
	return &failure{code: exitConn, kind: kindConnection, err: err}
}

// classify turns any error into a failure, by what it says of the remote,
// the connection or the command line.
func classify(method string, err error) *failure {
	var f *failure
	if errors.As(err, &f) {
		if f.method == "" {
			f.method = method
		}
		return f
	}
	f = &failure{code: exitRemote, kind: kindError, method: method, err: err}
	var remote rpc.ServerError
	var netErr net.Error
	switch {
	case errors.As(err, &remote), errors.Is(err, peer.ErrBusy), errors.Is(err, peer.ErrDraining):
		f.kind = kindRemote
	case errors.Is(err, context.DeadlineExceeded), errors.Is(err, os.ErrDeadlineExceeded),
		errors.As(err, &netErr) && netErr.Timeout():
		f.code, f.kind = exitConn, kindTimeout
	case errors.Is(err, transport.ErrBadAddress), errors.Is(err, transport.ErrUnknownScheme):
		f.code, f.kind = exitUsage, kindUsage
	case errors.Is(err, peer.ErrClosed), errors.Is(err, codec.ErrWrongCodec), errors.Is(err, io.EOF),
		errors.Is(err, io.ErrUnexpectedEOF), errors.Is(err, net.ErrClosed), errors.As(err, &netErr):
		f.code, f.kind = exitConn, kindConnection
	}
	return f
}

// timeoutError is the failure of a call that had no answer within d.
func timeoutError(method string, d time.Duration) *failure {
	return &failure{code: exitConn, kind: kindTimeout, method: method, err: fmt.Errorf("no answer within %v", d)}
}

// report writes f on w as one line: "duplex: method: message", or with
// jsonErrors a JSON object {"error", "code", "kind", "method"}.
func report(w io.Writer, jsonErrors bool, f *failure) {
	if jsonErrors {
		line, _ := marshalJSON(struct {
			Error  string `json:"error"`
			Code   int    `json:"code"`
			Kind   string `json:"kind"`
			Method string `json:"method,omitempty"`
		}{f.err.Error(), f.code, f.kind, f.method})
		fmt.Fprintf(w, "%s\n", line)
		return
	}
	msg := f.err.Error()
	if f.kind == kindRemote {
		msg = "remote error: " + msg
	}
	if f.method != "" {
		msg = f.method + ": " + msg
	}
	fmt.Fprintf(w, "duplex: %s\n", msg)
}

// worst is the exit code that says the most: a connection failure over a
// remote error, either over success.
func worst(a, b int) int {
	rank := func(code int) int {
		switch code {
		case exitOK:
			return 0
		case exitRemote:
			return 1
		}
		return 2
	}
	if rank(b) > rank(a) {
		return b
	}
	return a
}
