package otelpeer

import (
	"context"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"
	semconv "go.opentelemetry.io/otel/semconv/v1.43.0"
	"go.opentelemetry.io/otel/trace"

	"github.com/duplexrpc/duplex/codec"
	"github.com/duplexrpc/duplex/peer"
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
	var info *peerInfo
	if call.Peer != nil {
		info = in.peerInfoOf(call.Peer)
	} else {
		info = &peerInfo{wire: wireOf(nil)}
	}
	return in.client(ctx, info, call.Method, invoke)
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
	name, methodAttrs := in.method(info.wire, method)
	kv := make([]attribute.KeyValue, 0, 12)
	kv = info.wire.attrs(kv)
	kv = append(kv, methodAttrs...)
	kv = append(kv, info.client...)
	start := time.Now()
	ctx, span := in.tracer.Start(ctx, name, trace.WithSpanKind(trace.SpanKindClient), trace.WithTimestamp(start), trace.WithAttributes(kv...))

	md := make(peer.Metadata, 3)
	in.prop.Inject(ctx, MetadataCarrier(md))
	ctx = peer.WithMetadata(ctx, md)

	base := make([]attribute.KeyValue, 2, 4)
	base[0], base[1] = semconv.RPCSystemNameKey.String(info.wire.system), methodAttrs[0]
	active := metric.WithAttributes(base...)
	in.m.clientActive.Add(ctx, 1, active)
	err := invoke(ctx)
	end := time.Now()
	in.m.clientActive.Add(ctx, -1, active)

	o := clientOutcome(ctx, err)
	o.end(span, trace.WithTimestamp(end))
	in.m.clientDuration.Float64Histogram.Record(ctx, end.Sub(start).Seconds(), metric.WithAttributes(o.metricAttrs(base)...))
	return err
}

// method returns the span's name and the method's attributes: rpc.method
// first, then rpc.method_original for a method KnownMethod rejects.
func (in *Instrumentation) method(w wire, method string) (string, []attribute.KeyValue) {
	if in.known == nil || in.known(method) {
		return method, []attribute.KeyValue{semconv.RPCMethod(method)}
	}
	return w.system, []attribute.KeyValue{semconv.RPCMethod(other), semconv.RPCMethodOriginal(method)}
}
