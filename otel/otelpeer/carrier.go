package otelpeer

import (
	"context"
	"maps"
	"slices"

	"go.opentelemetry.io/otel/propagation"

	"github.com/duplexrpc/duplex/peer"
)

// MetadataCarrier lets a propagator read and write a call's metadata: the
// trace context travels as the metadata keys "traceparent" and
// "tracestate", the baggage as "baggage", on every codec (docs/wire.md
// §12 says where each wire puts them). Inject only into metadata of your
// own: peer.IncomingMetadata and peer.OutgoingMetadata may be shared.
type MetadataCarrier peer.Metadata

var _ propagation.TextMapCarrier = MetadataCarrier(nil)

// Get returns the value of key, or "".
func (c MetadataCarrier) Get(key string) string { return c[key] }

// Set sets key to value.
func (c MetadataCarrier) Set(key, value string) { c[key] = value }

// Keys returns the keys, sorted.
func (c MetadataCarrier) Keys() []string { return slices.Sorted(maps.Keys(c)) }

// lazyCarrier is a carrier for injecting that makes its metadata only if
// the propagator writes something: an invalid span and no baggage, the
// case of a no-op tracer, cost no map.
type lazyCarrier struct{ md peer.Metadata }

func (c *lazyCarrier) Get(key string) string { return c.md[key] }
func (c *lazyCarrier) Keys() []string        { return MetadataCarrier(c.md).Keys() }
func (c *lazyCarrier) Set(key, value string) {
	if c.md == nil {
		c.md = make(peer.Metadata, 3)
	}
	c.md[key] = value
}

// Inject returns a context whose calls carry the trace context and baggage
// of ctx in their metadata, for a call that no Instrumentation sees: one
// made through cluster.Client, or a peer without the interceptors. A
// peer's InterceptCall does this itself.
func (in *Instrumentation) Inject(ctx context.Context) context.Context {
	var out lazyCarrier
	in.prop.Inject(ctx, &out)
	return peer.WithMetadata(ctx, out.md)
}

// Extract returns ctx with the remote span context and baggage that md
// carries, for a handler that no Instrumentation sees.
func (in *Instrumentation) Extract(ctx context.Context, md peer.Metadata) context.Context {
	if len(md) == 0 {
		return ctx
	}
	return in.prop.Extract(ctx, MetadataCarrier(md))
}
