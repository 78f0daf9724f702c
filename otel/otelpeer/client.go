package otelpeer

import (
	"context"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"
	"go.opentelemetry.io/otel/trace"

	"github.com/duplexrpc/duplex/codec"
	"github.com/duplexrpc/duplex/peer"
)

// The span kinds, as options made once.
var (
	clientKind = trace.WithSpanKind(trace.SpanKindClient)
	serverKind = trace.WithSpanKind(trace.SpanKindServer)
)

// InterceptCall is a peer.CallInterceptor: it runs invoke, the call or
// notification, in a client span named after the method, with the span's
// context in the call's metadata, and records its duration. The engine's
// heartbeats (peer.HeartbeatMethod) are let through untraced.
//
// The parent is the span of ctx. A ctx without one whose outgoing
// metadata carries a trace context (a relay that forwards what its
// request came with, as cluster's master does) continues that trace
// instead of starting one.
func (in *Instrumentation) InterceptCall(ctx context.Context, call peer.Outgoing, invoke func(context.Context) error) error {
	if call.Notify && call.Method == peer.HeartbeatMethod {
		return invoke(ctx) // the engine's own, which nobody serves: no span
	}
	if call.Peer == nil {
		return in.client(ctx, &peerInfo{wire: wireOf(nil)}, call.Method, invoke)
	}
	return in.client(ctx, in.peerInfoOf(call.Peer), call.Method, invoke)
}

// Call runs invoke, a call of method made on a wire of codec c by
// something other than a Peer, as InterceptCall runs a peer's: in a
// client span, with the span's context in the metadata of the ctx invoke
// is given. It is for cluster.Client, whose calls travel through NATS:
//
//	err := in.Call(ctx, codec.Msgpack, "Worker.Hello", func(ctx context.Context) error {
//		return client.Call(ctx, "w3", "Worker.Hello", "you", &reply)
//	})
func (in *Instrumentation) Call(ctx context.Context, c codec.Codec, method string, invoke func(context.Context) error) error {
	return in.client(ctx, &peerInfo{wire: wireOf(c)}, method, invoke)
}

func (in *Instrumentation) client(ctx context.Context, info *peerInfo, method string, invoke func(context.Context) error) error {
	if !trace.SpanContextFromContext(ctx).IsValid() {
		if md := peer.OutgoingMetadata(ctx); len(md) > 0 {
			ctx = in.prop.Extract(ctx, MetadataCarrier(md))
		}
	}
	mi := in.methodOf(info.wire, method)
	kv := make([]attribute.KeyValue, 0, 8)
	kv = info.wire.attrs(kv)
	kv = append(kv, mi.attrs...)
	kv = append(kv, info.client...)
	start := time.Now()
	ctx, span := in.tracer.Start(ctx, mi.name, clientKind, trace.WithAttributes(kv...))

	var out lazyCarrier
	in.prop.Inject(ctx, &out)
	ctx = peer.WithMetadata(ctx, out.md) // nothing to add: ctx as it is

	in.m.clientActive.Add(ctx, 1, mi.active...)
	err := invoke(ctx)
	elapsed := time.Since(start)
	in.m.clientActive.Add(ctx, -1, mi.active...)

	o := clientOutcome(ctx, err)
	o.end(span)
	in.m.clientDuration.Float64Histogram.Record(ctx, elapsed.Seconds(), o.recordOptions(mi)...)
	return err
}

// recordOptions are the duration metric's attributes for the outcome:
// the method's own, made once, for a call that succeeded.
func (o outcome) recordOptions(mi *methodInfo) []metric.RecordOption {
	if o.statusCode == "" && !o.failed() {
		return mi.ok
	}
	kv := make([]attribute.KeyValue, 0, 4)
	kv = append(kv, mi.base...)
	return []metric.RecordOption{metric.WithAttributes(o.metricAttrs(kv)...)}
}
