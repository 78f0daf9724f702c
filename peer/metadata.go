package peer

import (
	"context"
	"maps"
)

// Metadata is what travels beside a call, key to value: a trace context
// (traceparent, tracestate), a request id of the application's, a token.
// Each wire carries it where it has room (docs/wire.md §12): in
// params._meta for JSON-RPC params that are an object, as MCP does; in a
// "_meta" member beside positional params; in a "$/meta" notification
// just before the call on msgpack-rpc; in the header on gob. A call
// without metadata is the same bytes as ever.
//
// Outgoing and incoming metadata are kept apart, as gRPC keeps them: a
// handler's context carries the metadata its request came with, and a
// call it makes with that context does not send it on unless the handler
// says so with WithMetadata(ctx, IncomingMetadata(ctx)).
//
// The key "progressToken" is the progress machinery's (WithProgress); a
// value of it set here is not sent.
type Metadata map[string]string

// outgoingKey is the context key of the metadata calls send; what a
// request came with is in its handler's context's request (request.go).
type outgoingKey struct{}

// WithMetadata returns a context whose calls, notifications and fan-outs
// send md, added to the metadata ctx sends already (md's value wins for a
// key in both). md is copied; a nil or empty md returns ctx.
func WithMetadata(ctx context.Context, md Metadata) context.Context {
	if len(md) == 0 {
		return ctx
	}
	merged := maps.Clone(OutgoingMetadata(ctx))
	if merged == nil {
		merged = make(Metadata, len(md))
	}
	maps.Copy(merged, md)
	return context.WithValue(ctx, outgoingKey{}, merged)
}

// OutgoingMetadata returns the metadata that calls made with ctx send, or
// nil. It must not be changed: it may be shared.
func OutgoingMetadata(ctx context.Context) Metadata {
	md, _ := ctx.Value(outgoingKey{}).(Metadata)
	return md
}

// IncomingMetadata returns the metadata that the request or notification
// a handler's ctx serves came with, or nil. Interceptors see it too. It
// must not be changed: it may be shared.
func IncomingMetadata(ctx context.Context) Metadata {
	if r := servedFrom(ctx); r != nil {
		return r.meta
	}
	return nil
}
