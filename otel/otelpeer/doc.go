// Package otelpeer traces and measures the calls a peer makes and serves
// with OpenTelemetry, so that a call that goes from a master to a worker
// and back again, at any depth and on any codec, is one trace.
//
// An [Instrumentation] gives a peer.Options its two interceptors: the
// outgoing one (InterceptCall) starts a client span, injects the span's W3C
// trace context and baggage into the call's metadata, and records
// rpc.client.call.duration; the incoming one (Intercept) extracts that
// context from the request's metadata, starts the server span as its
// child, and records rpc.server.call.duration. A handler that calls back
// with its own ctx makes a client span that is a child of its server span:
// that is how a reverse call nests in the trace.
//
// The span names, attributes and metrics follow the OpenTelemetry semantic
// conventions for RPC, release v1.43.0 (docs/tracing.md has the table).
//
// [LogHandler] wraps a slog.Handler to add the trace and span ids of the
// record's context, for the peer's Options.Logger and the program's own
// logs.
package otelpeer
