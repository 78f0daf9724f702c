package otelpeer

import (
	"context"
	"errors"
	"strconv"
	"strings"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	semconv "go.opentelemetry.io/otel/semconv/v1.43.0"
	"go.opentelemetry.io/otel/trace"

	"github.com/duplexrpc/duplex/codec"
	"github.com/duplexrpc/duplex/peer"
)

// The values of error.type this package records, beside an error's code
// as a decimal string ("-32601") and the conventions' "_OTHER" for an
// error of no known class (a handler's error without a code on a wire
// that carries none, a reply that does not decode).
const (
	ErrorCancelled        = "cancelled"         // the caller's ctx was cancelled
	ErrorDeadlineExceeded = "deadline_exceeded" // the caller's ctx passed its deadline
	ErrorClosed           = "closed"            // the connection ended during the call
	ErrorBusy             = "busy"              // the other end refused: too many in flight
	ErrorDraining         = "draining"          // the other end refused: shutting down
	ErrorEncode           = "encode"            // the argument could not be encoded
	ErrorOther            = other
)

// other is the conventions' value for a method or an error of no known
// class.
const other = "_OTHER"

// CancelledKey marks a call that was cancelled: on the client span, the
// caller gave up; on the server span, the caller's cancel ended the
// handler, which is then not counted as failed.
const CancelledKey = attribute.Key("duplex.rpc.cancelled")

// outcome is how a call ended, in the conventions' terms.
type outcome struct {
	errorType  string // error.type; "" for a call that did not fail
	statusCode string // rpc.response.status_code; "" when there is none
	cancelled  bool
	err        error // for the span's status description, when failed
}

func (o outcome) failed() bool { return o.errorType != "" }

// codeOutcome is the outcome of an error with a code.
func codeOutcome(code int, err error) outcome {
	s := strconv.Itoa(code)
	return outcome{errorType: s, statusCode: s, err: err}
}

// clientOutcome classifies the error a call returned. Every failure of a
// call counts as failed on the client span, a cancel included, as the
// conventions do for gRPC's clients: the caller did not get its answer.
func clientOutcome(ctx context.Context, err error) outcome {
	if err == nil {
		return outcome{}
	}
	if cerr := ctx.Err(); cerr != nil && errors.Is(err, cerr) {
		if errors.Is(cerr, context.DeadlineExceeded) {
			return outcome{errorType: ErrorDeadlineExceeded, cancelled: true, err: err}
		}
		return outcome{errorType: ErrorCancelled, cancelled: true, err: err}
	}
	var pe *peer.Error
	switch {
	case errors.As(err, &pe) && pe.Code != 0:
		return codeOutcome(pe.Code, err)
	case errors.Is(err, peer.ErrBusy):
		return outcome{errorType: ErrorBusy, err: err}
	case errors.Is(err, peer.ErrDraining):
		return outcome{errorType: ErrorDraining, err: err}
	case errors.Is(err, peer.ErrClosed):
		return outcome{errorType: ErrorClosed, err: err}
	case errors.Is(err, codec.ErrEncode):
		return outcome{errorType: ErrorEncode, err: err}
	}
	return outcome{errorType: ErrorOther, err: err}
}

// panicked is how the engine's error for a handler that panicked starts;
// the engine answers it with codec.CodeInternalError.
const panicked = "peer: handler panicked"

// serverOutcome classifies the error a handler returned, with the code
// the caller's wire will carry. ctx is the handler's as the engine gave
// it: when it ended while the connection is up, the caller cancelled, and
// a handler that gave up with ctx's error has done what it was asked: the
// engine answers codec.CodeRequestCancelled and the span does not fail.
func serverOutcome(ctx context.Context, p *peer.Peer, w wire, err error) outcome {
	if err == nil {
		return outcome{}
	}
	if ctx.Err() != nil {
		if p.Err() != nil {
			return outcome{errorType: ErrorClosed, err: err}
		}
		if errors.Is(err, context.Canceled) {
			return outcome{statusCode: strconv.Itoa(codec.CodeRequestCancelled), cancelled: true}
		}
	}
	var pe *peer.Error
	switch {
	case errors.As(err, &pe) && pe.Code != 0:
		return codeOutcome(pe.Code, err)
	case strings.HasPrefix(err.Error(), panicked):
		return codeOutcome(codec.CodeInternalError, err)
	case w.json2:
		return codeOutcome(codec.CodeServerError, err) // what JSON-RPC 2.0 sends for it
	}
	return outcome{errorType: ErrorOther, err: err}
}

// end records the outcome on the span and ends it.
func (o outcome) end(span trace.Span, opts ...trace.SpanEndOption) {
	if span.IsRecording() {
		if o.statusCode != "" {
			span.SetAttributes(semconv.RPCResponseStatusCode(o.statusCode))
		}
		if o.cancelled {
			span.SetAttributes(CancelledKey.Bool(true))
		}
		if o.failed() {
			span.SetAttributes(semconv.ErrorTypeKey.String(o.errorType))
			span.SetStatus(codes.Error, o.err.Error())
		}
	}
	span.End(opts...)
}

// metricAttrs appends the outcome's attributes for a duration metric.
func (o outcome) metricAttrs(kv []attribute.KeyValue) []attribute.KeyValue {
	if o.statusCode != "" {
		kv = append(kv, semconv.RPCResponseStatusCode(o.statusCode))
	}
	if o.failed() {
		kv = append(kv, semconv.ErrorTypeKey.String(o.errorType))
	}
	return kv
}
