package otelpeer_test

import (
	"context"
	"testing"

	metricnoop "go.opentelemetry.io/otel/metric/noop"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	tracenoop "go.opentelemetry.io/otel/trace/noop"

	"github.com/duplexrpc/duplex/codec"
	"github.com/duplexrpc/duplex/otel/otelpeer"
	"github.com/duplexrpc/duplex/peer"
)

// discard is an exporter that drops what it is given.
type discard struct{}

func (discard) ExportSpans(context.Context, []sdktrace.ReadOnlySpan) error { return nil }
func (discard) Shutdown(context.Context) error                             { return nil }

// BenchmarkCall is a small call from a master to a worker over loopback
// TCP (msgpack): without interceptors; with this package on no-op
// providers (the interceptors' own cost); with the SDK's providers and a
// sampler that never samples (the metrics are recorded, spans are not);
// and with every span sampled and batched to an exporter that drops it.
// docs/tracing.md quotes the ratios.
func BenchmarkCall(b *testing.B) {
	for _, tc := range []struct {
		name    string
		options func(b *testing.B) *otelpeer.Options // nil: no interceptors
	}{
		{"otel=none", nil},
		{"otel=noop", func(b *testing.B) *otelpeer.Options {
			return &otelpeer.Options{TracerProvider: tracenoop.NewTracerProvider(), MeterProvider: metricnoop.NewMeterProvider()}
		}},
		{"otel=unsampled", func(b *testing.B) *otelpeer.Options { return sdkOptions(b, sdktrace.NeverSample()) }},
		{"otel=sampled", func(b *testing.B) *otelpeer.Options { return sdkOptions(b, sdktrace.AlwaysSample()) }},
	} {
		b.Run(tc.name, func(b *testing.B) {
			var masterOpts, workerOpts *peer.Options
			if tc.options != nil {
				o := tc.options(b)
				masterOpts, workerOpts = installed(b, o), installed(b, o)
			}
			master, _ := peerPair(b, codec.Msgpack, nil, register(Worker{}), masterOpts, workerOpts)
			ctx := context.Background()
			b.ReportAllocs()
			for b.Loop() {
				var got string
				if err := master.Call(ctx, "Worker.Leaf", "x", &got); err != nil || got != "leaf x" {
					b.Fatal(got, err)
				}
			}
		})
	}
}

// sdkOptions are the SDK's providers with the sampler, spans batched to
// an exporter that drops them, metrics kept in memory.
func sdkOptions(b *testing.B, sampler sdktrace.Sampler) *otelpeer.Options {
	tp := sdktrace.NewTracerProvider(sdktrace.WithSampler(sampler), sdktrace.WithBatcher(discard{}))
	mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(sdkmetric.NewManualReader()))
	b.Cleanup(func() {
		tp.Shutdown(context.Background())
		mp.Shutdown(context.Background())
	})
	return &otelpeer.Options{TracerProvider: tp, MeterProvider: mp}
}

func installed(b *testing.B, o *otelpeer.Options) *peer.Options {
	in, err := otelpeer.New(o)
	if err != nil {
		b.Fatal(err)
	}
	var po peer.Options
	in.Install(&po)
	return &po
}
