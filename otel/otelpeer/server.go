package otelpeer

import (
	"context"
	"time"

	"go.opentelemetry.io/otel/attribute"
	semconv "go.opentelemetry.io/otel/semconv/v1.43.0"
	"go.opentelemetry.io/otel/trace"

	"github.com/duplexrpc/duplex/peer"
)

// Intercept is a peer.Interceptor: it runs serve, the handler of an
// incoming request or notification, in a server span named after the
// method, whose parent is the client span whose context the request's
// metadata carries, and records its duration. The handler's ctx carries
// the span, so that a call the handler makes with it is the span's child.
//
// A request whose caller cancelled it, and whose handler then gave up
// with its context's error, does not fail its span: it is marked
// cancelled (duplex.rpc.cancelled) with the code the engine answers,
// codec.CodeRequestCancelled.
func (in *Instrumentation) Intercept(ctx context.Context, method string, serve func(context.Context) error) error {
	p, ok := peer.FromContext(ctx)
	if !ok { // not a peer's handler: nothing to learn from ctx
		return serve(ctx)
	}
	info := in.peerInfoOf(p)
	parent := ctx
	if md := peer.IncomingMetadata(ctx); len(md) > 0 {
		parent = in.prop.Extract(ctx, MetadataCarrier(md))
	}
	mi := in.methodOf(info.wire, method)
	kv := make([]attribute.KeyValue, 0, 8)
	kv = info.wire.attrs(kv)
	kv = append(kv, mi.attrs...)
	kv = append(kv, info.server...)
	if in.requestID && info.wire.jsonrpc {
		if id, ok := peer.RequestID(ctx); ok {
			kv = append(kv, semconv.JSONRPCRequestID(id.String()))
		}
	}
	start := time.Now()
	sctx, span := in.tracer.Start(parent, mi.name, serverKind, trace.WithAttributes(kv...))

	in.m.serverActive.Add(sctx, 1, mi.active...)
	err := serve(sctx)
	elapsed := time.Since(start)
	in.m.serverActive.Add(sctx, -1, mi.active...)

	o := serverOutcome(ctx, p, info.wire, err)
	o.end(span)
	in.m.serverDuration.Float64Histogram.Record(sctx, elapsed.Seconds(), o.recordOptions(mi)...)
	return err
}
