package main

import (
	"context"
	"encoding/json"
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
// code, its kind, the method it happened to, if any, and, for an error the
// remote answered with, that error as the remote sent it.
type failure struct {
	exit   int
	kind   string
	method string
	err    error
	remote *remoteError // kind remote: the code, message and data sent
	hint   string       // what to try, said after the error
}

func (f *failure) Error() string { return f.err.Error() }
func (f *failure) Unwrap() error { return f.err }

// usageError is a failure of the command line or of the JSON given.
func usageError(format string, args ...any) *failure {
	return &failure{exit: exitUsage, kind: kindUsage, err: fmt.Errorf(format, args...)}
}

// connError is a failure to connect, or a connection lost.
func connError(err error) *failure {
	return &failure{exit: exitConn, kind: kindConnection, err: err}
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
	f = &failure{exit: exitRemote, kind: kindError, method: method, err: err}
	var remote rpc.ServerError
	var netErr net.Error
	switch {
	case errors.As(err, &remote), errors.Is(err, peer.ErrBusy), errors.Is(err, peer.ErrDraining):
		f.kind = kindRemote
		var e *peer.Error
		if errors.As(err, &e) {
			f.remote = &remoteError{code: e.Code, message: e.Message}
		}
	case errors.Is(err, context.DeadlineExceeded), errors.Is(err, os.ErrDeadlineExceeded),
		errors.As(err, &netErr) && netErr.Timeout():
		f.exit, f.kind = exitConn, kindTimeout
	case errors.Is(err, transport.ErrBadAddress), errors.Is(err, transport.ErrUnknownScheme):
		f.exit, f.kind = exitUsage, kindUsage
	case errors.Is(err, peer.ErrClosed), errors.Is(err, codec.ErrWrongCodec), errors.Is(err, io.EOF),
		errors.Is(err, io.ErrUnexpectedEOF), errors.Is(err, net.ErrClosed), errors.As(err, &netErr):
		f.exit, f.kind = exitConn, kindConnection
	}
	return f
}

// timeoutError is the failure of a call that had no answer within d.
func timeoutError(method string, d time.Duration) *failure {
	return &failure{exit: exitConn, kind: kindTimeout, method: method, err: fmt.Errorf("no answer within %v", d)}
}

// report writes f on w as one line: "duplex: method: message", or with
// jsonErrors a JSON object {"error", "exit", "kind", "method"}, and for a
// remote error also "code", "message" and "data", as the remote sent them.
// The exit status was once under "code"; "code" is the remote's now.
func report(w io.Writer, jsonErrors bool, f *failure) {
	msg := f.err.Error()
	if jsonErrors {
		line := jsonFailure{Error: withHint(msg, f.hint), Exit: f.exit, Kind: f.kind, Method: f.method}
		if r := f.remote; r != nil {
			line.Code, line.Message, line.Data = &r.code, &r.message, r.data
		}
		text, _ := marshalJSON(line)
		fmt.Fprintf(w, "%s\n", text)
		return
	}
	if f.kind == kindRemote {
		msg = describeRemote("remote error", f.remote, f.err)
	}
	if f.method != "" {
		msg = f.method + ": " + msg
	}
	fmt.Fprintf(w, "duplex: %s\n", withHint(msg, f.hint))
}

// withHint is msg, and what to try after it if there is something.
func withHint(msg, hint string) string {
	if hint == "" {
		return msg
	}
	return msg + "; " + hint
}

// jsonFailure is a failure as -json-errors prints it.
type jsonFailure struct {
	Error   string          `json:"error"` // what the line would say, for people
	Exit    int             `json:"exit"`  // the exit status it makes
	Kind    string          `json:"kind"`  // remote, usage, connection, timeout or error
	Method  string          `json:"method,omitempty"`
	Code    *int            `json:"code,omitempty"`    // the remote's code; 0 where its wire has none
	Message *string         `json:"message,omitempty"` // the remote's message, as sent
	Data    json.RawMessage `json:"data,omitempty"`    // the remote's data, as JSON
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
