package otelpeer_test

import (
	"context"
	"errors"
	"log/slog"
	"net"
	"testing"

	"go.opentelemetry.io/otel/attribute"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"

	"github.com/duplexrpc/duplex/codec"
	"github.com/duplexrpc/duplex/otel/otelpeer"
	"github.com/duplexrpc/duplex/peer"
)

// telemetry is a tracer provider that keeps every span ended, and a meter
// provider read on demand.
type telemetry struct {
	spans   *tracetest.InMemoryExporter
	tp      *sdktrace.TracerProvider
	reader  *sdkmetric.ManualReader
	mp      *sdkmetric.MeterProvider
	options otelpeer.Options
}

func newTelemetry(t testing.TB) *telemetry {
	t.Helper()
	tm := &telemetry{spans: tracetest.NewInMemoryExporter(), reader: sdkmetric.NewManualReader()}
	tm.tp = sdktrace.NewTracerProvider(sdktrace.WithSyncer(tm.spans))
	tm.mp = sdkmetric.NewMeterProvider(sdkmetric.WithReader(tm.reader))
	tm.options = otelpeer.Options{TracerProvider: tm.tp, MeterProvider: tm.mp}
	t.Cleanup(func() {
		tm.tp.Shutdown(context.Background())
		tm.mp.Shutdown(context.Background())
	})
	return tm
}

// instrument returns peer options traced by a new Instrumentation of tm,
// with opts' extra settings.
func (tm *telemetry) instrument(t testing.TB, tweak func(*otelpeer.Options)) *peer.Options {
	t.Helper()
	o := tm.options
	if tweak != nil {
		tweak(&o)
	}
	in, err := otelpeer.New(&o)
	if err != nil {
		t.Fatal(err)
	}
	var po peer.Options
	in.Install(&po)
	return &po
}

// metrics collects what the meter provider has.
func (tm *telemetry) metrics(t testing.TB) map[string]metricdata.Metrics {
	t.Helper()
	var rm metricdata.ResourceMetrics
	if err := tm.reader.Collect(context.Background(), &rm); err != nil {
		t.Fatal(err)
	}
	got := map[string]metricdata.Metrics{}
	for _, sm := range rm.ScopeMetrics {
		for _, m := range sm.Metrics {
			got[m.Name] = m
		}
	}
	return got
}

// tcpPair returns the two ends of a loopback TCP connection.
func tcpPair(t testing.TB) (net.Conn, net.Conn) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	accepted := make(chan net.Conn, 1)
	go func() {
		c, _ := ln.Accept()
		accepted <- c
	}()
	dialed, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	c := <-accepted
	if c == nil {
		t.Fatal("accept failed")
	}
	return dialed, c
}

// peerPair connects a master (the end that accepted) and a worker (the end
// that dialed) over loopback TCP; each serves what its binder registers.
// Cleanup closes both.
func peerPair(t testing.TB, c codec.Codec, bindMaster, bindWorker peer.Binder, masterOpts, workerOpts *peer.Options) (master, worker *peer.Peer) {
	t.Helper()
	dialed, accepted := tcpPair(t)
	master, err := peer.NewWithOptions(accepted, c, bindMaster, masterOpts)
	if err != nil {
		t.Fatal(err)
	}
	worker, err = peer.NewWithOptions(dialed, c, bindWorker, workerOpts)
	if err != nil {
		master.Close()
		t.Fatal(err)
	}
	t.Cleanup(func() {
		master.Close()
		worker.Close()
	})
	return master, worker
}

func register(rcvr any) peer.Binder {
	return func(_ *peer.Peer, r *peer.Registry) error { return r.Register(rcvr) }
}

// Master and Worker call each other back: Worker.Work calls Master.Lookup,
// which calls Worker.Leaf, on the connection the call came in on.
type (
	Master struct{}
	Worker struct{}
)

func (Master) Lookup(ctx context.Context, s string, reply *string) error {
	p, _ := peer.FromContext(ctx)
	var leaf string
	if err := p.Call(ctx, "Worker.Leaf", s, &leaf); err != nil {
		return err
	}
	*reply = "looked up " + leaf
	return nil
}

func (Worker) Work(ctx context.Context, job string, reply *string) error {
	p, _ := peer.FromContext(ctx)
	var found string
	if err := p.Call(ctx, "Master.Lookup", job, &found); err != nil {
		return err
	}
	*reply = "worked: " + found
	return nil
}

func (Worker) Leaf(s string, reply *string) error {
	*reply = "leaf " + s
	return nil
}

// Faults is a service whose methods fail in every way a handler can.
type Faults struct {
	started chan struct{} // Wait has started
}

// Coded fails with code 42 and data.
func (Faults) Coded(_ int, _ *int) error {
	return &peer.Error{Code: 42, Message: "coded failure", Data: "why"}
}

// Plain fails with an error without a code.
func (Faults) Plain(_ int, _ *int) error { return errors.New("plain failure") }

// Panic panics.
func (Faults) Panic(_ int, _ *int) error { panic("on purpose") }

// Wait waits until its caller cancels it.
func (f Faults) Wait(ctx context.Context, _ int, _ *int) error {
	f.started <- struct{}{}
	<-ctx.Done()
	return ctx.Err()
}

// span finds the one span of that name and kind, failing the test if
// there is not exactly one.
func span(t testing.TB, spans tracetest.SpanStubs, name string, kind trace.SpanKind) tracetest.SpanStub {
	t.Helper()
	var found []tracetest.SpanStub
	for _, s := range spans {
		if s.Name == name && s.SpanKind == kind {
			found = append(found, s)
		}
	}
	if len(found) != 1 {
		t.Fatalf("spans named %q of kind %v: got %d, want 1 (all: %v)", name, kind, len(found), names(spans))
	}
	return found[0]
}

func names(spans tracetest.SpanStubs) []string {
	var n []string
	for _, s := range spans {
		n = append(n, s.Name+"/"+s.SpanKind.String())
	}
	return n
}

// attrs maps a span's attributes by key.
func attrs(s tracetest.SpanStub) map[attribute.Key]attribute.Value {
	m := map[attribute.Key]attribute.Value{}
	for _, kv := range s.Attributes {
		m[kv.Key] = kv.Value
	}
	return m
}

func discardLogger() *slog.Logger { return slog.New(slog.DiscardHandler) }
