package otelpeer

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"

	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/metric"
	"go.opentelemetry.io/otel/propagation"
	semconv "go.opentelemetry.io/otel/semconv/v1.43.0"
	"go.opentelemetry.io/otel/trace"

	"github.com/duplexrpc/duplex/peer"
)

// ScopeName is the instrumentation scope of the spans and metrics this
// package makes: its import path.
const ScopeName = "github.com/duplexrpc/duplex/otel/otelpeer"

// Version is this package's version, as its instrumentation scope says.
const Version = "0.1.0"

// Options tune an Instrumentation. A nil *Options means the defaults.
type Options struct {
	// TracerProvider makes the spans. Nil means the global one
	// (otel.GetTracerProvider).
	TracerProvider trace.TracerProvider
	// MeterProvider makes the metrics. Nil means the global one
	// (otel.GetMeterProvider).
	MeterProvider metric.MeterProvider
	// Propagator writes the span's context into a call's metadata and
	// reads it from a request's. Nil means W3C trace context and W3C
	// baggage (traceparent, tracestate, baggage), whatever the global
	// propagator is: a call must carry its trace even in a program that
	// never set one.
	Propagator propagation.TextMapPropagator
	// KnownMethod says whether a method is one of the program's own, which
	// may name spans and label metrics. A method it rejects is recorded
	// as rpc.method "_OTHER", with rpc.method_original, in a span named
	// after the RPC system, as the conventions ask, so that a peer that
	// serves any name (peer.SetFallback) does not make a metric series
	// per name a caller invents. Nil means every method is known: a
	// Registry serves only the methods registered, and the interceptor
	// never sees the rest.
	KnownMethod func(method string) bool
	// RequestID records jsonrpc.request.id, the request's id as the wire
	// wrote it, on the server spans of the JSON-RPC codecs. It is opt-in:
	// an id is unique per request, and so is of no use to group by.
	RequestID bool
}

// Instrumentation traces and measures the calls of the peers it is
// installed in (Install, or its Intercept and InterceptCall methods as
// peer.Options' interceptors). One Instrumentation serves any number of
// peers; it is safe for concurrent use.
type Instrumentation struct {
	tracer    trace.Tracer
	prop      propagation.TextMapPropagator
	known     func(string) bool
	requestID bool
	m         instruments
	peers     sync.Map // peer ID → *peerInfo: see peerInfoOf
	methods   sync.Map // methodKey → *methodInfo: see methodOf
	nmethods  atomic.Int64
}

// New returns an Instrumentation. It fails only when the meter provider
// refuses an instrument.
func New(opts *Options) (*Instrumentation, error) {
	var o Options
	if opts != nil {
		o = *opts
	}
	if o.TracerProvider == nil {
		o.TracerProvider = otel.GetTracerProvider()
	}
	if o.MeterProvider == nil {
		o.MeterProvider = otel.GetMeterProvider()
	}
	if o.Propagator == nil {
		o.Propagator = propagation.NewCompositeTextMapPropagator(propagation.TraceContext{}, propagation.Baggage{})
	}
	in := &Instrumentation{
		tracer: o.TracerProvider.Tracer(ScopeName,
			trace.WithInstrumentationVersion(Version), trace.WithSchemaURL(semconv.SchemaURL)),
		prop:      o.Propagator,
		known:     o.KnownMethod,
		requestID: o.RequestID,
	}
	meter := o.MeterProvider.Meter(ScopeName,
		metric.WithInstrumentationVersion(Version), metric.WithSchemaURL(semconv.SchemaURL))
	var err error
	if in.m, err = newInstruments(meter); err != nil {
		return nil, fmt.Errorf("otelpeer: %w", err)
	}
	return in, nil
}

// Install sets the interceptors of o so that its peers are traced and
// measured. An interceptor o has already runs inside this package's, so
// that its refusals and its time are in the span.
func (in *Instrumentation) Install(o *peer.Options) {
	if inner := o.Intercept; inner != nil {
		o.Intercept = func(ctx context.Context, method string, serve func(context.Context) error) error {
			return in.Intercept(ctx, method, func(ctx context.Context) error { return inner(ctx, method, serve) })
		}
	} else {
		o.Intercept = in.Intercept
	}
	if inner := o.InterceptCall; inner != nil {
		o.InterceptCall = func(ctx context.Context, call peer.Outgoing, invoke func(context.Context) error) error {
			return in.InterceptCall(ctx, call, func(ctx context.Context) error { return inner(ctx, call, invoke) })
		}
	} else {
		o.InterceptCall = in.InterceptCall
	}
}

// Propagator returns the propagator that carries the trace in metadata.
func (in *Instrumentation) Propagator() propagation.TextMapPropagator { return in.prop }
