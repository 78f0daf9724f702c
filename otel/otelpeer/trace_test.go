package otelpeer_test

import (
	"context"
	"net"
	"strings"
	"testing"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/baggage"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"

	"github.com/duplexrpc/duplex/codec"
	"github.com/duplexrpc/duplex/otel/otelpeer"
	"github.com/duplexrpc/duplex/peer"
)

// A master calls a worker, whose handler calls the master back, whose
// handler calls the worker again: on every codec the six spans and the
// caller's own are one trace, each server span the child of the client
// span that caused it, each client span the child of the span its
// handler ran in.
func TestReverseCallsAreOneTrace(t *testing.T) {
	for _, c := range codec.All() {
		t.Run(c.Name(), func(t *testing.T) {
			tm := newTelemetry(t)
			master, _ := peerPair(t, c, register(Master{}), register(Worker{}), tm.instrument(t, nil), tm.instrument(t, nil))

			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			ctx, root := tm.tp.Tracer("test").Start(ctx, "job")
			var got string
			err := master.Call(ctx, "Worker.Work", "j1", &got)
			root.End()
			if err != nil || got != "worked: looked up leaf j1" {
				t.Fatalf("Worker.Work: got %q, %v", got, err)
			}

			spans := tm.spans.GetSpans()
			if len(spans) != 7 {
				t.Fatalf("got %d spans, want 7: %v", len(spans), names(spans))
			}
			job := span(t, spans, "job", trace.SpanKindInternal)
			chain := []tracetest.SpanStub{
				job,
				span(t, spans, "Worker.Work", trace.SpanKindClient),   // master
				span(t, spans, "Worker.Work", trace.SpanKindServer),   // worker
				span(t, spans, "Master.Lookup", trace.SpanKindClient), // worker, back
				span(t, spans, "Master.Lookup", trace.SpanKindServer), // master
				span(t, spans, "Worker.Leaf", trace.SpanKindClient),   // master
				span(t, spans, "Worker.Leaf", trace.SpanKindServer),   // worker
			}
			for i, s := range chain {
				if s.SpanContext.TraceID() != job.SpanContext.TraceID() {
					t.Errorf("%s/%v: trace %s, want %s", s.Name, s.SpanKind, s.SpanContext.TraceID(), job.SpanContext.TraceID())
				}
				if i == 0 {
					continue
				}
				if got, want := s.Parent.SpanID(), chain[i-1].SpanContext.SpanID(); got != want {
					t.Errorf("%s/%v: parent %s, want %s (%s/%v)", s.Name, s.SpanKind, got, want, chain[i-1].Name, chain[i-1].SpanKind)
				}
				if s.SpanKind == trace.SpanKindServer && !s.Parent.IsRemote() {
					t.Errorf("%s/%v: parent is not remote: the context did not come over the wire", s.Name, s.SpanKind)
				}
			}
		})
	}
}

// The spans carry the conventions' attributes: the system of the wire,
// the method, the addresses of both ends, and for JSON-RPC 2.0 its
// version; jsonrpc.request.id only when asked for.
func TestSpanAttributes(t *testing.T) {
	for _, tc := range []struct {
		c         codec.Codec
		system    string
		version   string // "": no jsonrpc.protocol.version
		requestID bool
	}{
		{codec.JSONRPC2, "jsonrpc", "2.0", true},
		{codec.LSP, "jsonrpc", "2.0", true},
		{codec.JSONRPC2Lines, "jsonrpc", "2.0", true},
		{codec.JSONRPC, "jsonrpc", "", true},
		{codec.Msgpack, "msgpack_rpc", "", false},
		{codec.MsgpackUgorji, "msgpack_rpc", "", false},
		{codec.Gob, "go_net_rpc", "", false},
	} {
		t.Run(tc.c.Name(), func(t *testing.T) {
			tm := newTelemetry(t)
			withID := func(o *otelpeer.Options) { o.RequestID = true }
			master, worker := peerPair(t, tc.c, nil, register(Worker{}), tm.instrument(t, nil), tm.instrument(t, withID))
			var got string
			if err := master.Call(context.Background(), "Worker.Leaf", "x", &got); err != nil {
				t.Fatal(err)
			}
			spans := tm.spans.GetSpans()
			client := attrs(span(t, spans, "Worker.Leaf", trace.SpanKindClient))
			server := attrs(span(t, spans, "Worker.Leaf", trace.SpanKindServer))

			mc := master.Conn().(interface{ RemoteAddr() net.Addr })
			wc := worker.Conn().(interface{ RemoteAddr() net.Addr })
			workerAddr := mc.RemoteAddr().(*net.TCPAddr) // the worker's end, as the master sees it
			masterAddr := wc.RemoteAddr().(*net.TCPAddr)
			want := map[string]map[attribute.Key]any{
				"client": {
					"rpc.system.name":      tc.system,
					"rpc.method":           "Worker.Leaf",
					"server.address":       "127.0.0.1",
					"server.port":          int64(workerAddr.Port),
					"network.peer.address": "127.0.0.1",
					"network.peer.port":    int64(workerAddr.Port),
				},
				"server": {
					"rpc.system.name":      tc.system,
					"rpc.method":           "Worker.Leaf",
					"server.address":       "127.0.0.1",
					"server.port":          int64(workerAddr.Port),
					"network.peer.address": "127.0.0.1",
					"network.peer.port":    int64(masterAddr.Port),
				},
			}
			if tc.version != "" {
				want["client"]["jsonrpc.protocol.version"] = tc.version
				want["server"]["jsonrpc.protocol.version"] = tc.version
			}
			if tc.requestID {
				want["server"]["jsonrpc.request.id"] = "1" // the first call of the master's connection: a peer counts from 1
			}
			for side, got := range map[string]map[attribute.Key]attribute.Value{"client": client, "server": server} {
				for k, v := range want[side] {
					if g := got[k].AsInterface(); g != v {
						t.Errorf("%s span: %s = %v (%T), want %v", side, k, g, g, v)
					}
				}
				for k := range got {
					if _, ok := want[side][k]; !ok {
						t.Errorf("%s span: unexpected attribute %s = %v", side, k, got[k].AsInterface())
					}
				}
			}
		})
	}
}

// Baggage travels with the trace context, in both directions.
func TestBaggageTravels(t *testing.T) {
	tm := newTelemetry(t)
	seen := make(chan string, 2)
	bind := func(_ *peer.Peer, r *peer.Registry) error {
		return r.Register(&Tenant{seen: seen})
	}
	master, worker := peerPair(t, codec.Msgpack, bind, bind, tm.instrument(t, nil), tm.instrument(t, nil))
	for _, p := range []*peer.Peer{master, worker} {
		m, err := baggage.NewMember("tenant", "acme")
		if err != nil {
			t.Fatal(err)
		}
		b, _ := baggage.New(m)
		ctx := baggage.ContextWithBaggage(context.Background(), b)
		if err := p.Call(ctx, "Tenant.Who", 0, new(int)); err != nil {
			t.Fatal(err)
		}
		if got := <-seen; got != "acme" {
			t.Errorf("baggage tenant: got %q, want acme", got)
		}
	}
}

// Tenant reports the tenant its call's baggage names.
type Tenant struct{ seen chan string }

func (t *Tenant) Who(ctx context.Context, _ int, _ *int) error {
	t.seen <- baggage.FromContext(ctx).Member("tenant").Value()
	return nil
}

// A call made with a ctx that has no span, but whose outgoing metadata
// carries a trace context (a relay forwarding what it was sent),
// continues that trace; the metadata sent carries the new client span.
func TestRelayContinuesTheTrace(t *testing.T) {
	tm := newTelemetry(t)
	master, _ := peerPair(t, codec.JSONRPC2, nil, register(Worker{}), tm.instrument(t, nil), tm.instrument(t, nil))
	const traceID, spanID = "0af7651916cd43dd8448eb211c80319c", "b7ad6b7169203331"
	ctx := peer.WithMetadata(context.Background(), peer.Metadata{"traceparent": "00-" + traceID + "-" + spanID + "-01"})
	if err := master.Call(ctx, "Worker.Leaf", "x", new(string)); err != nil {
		t.Fatal(err)
	}
	spans := tm.spans.GetSpans()
	client := span(t, spans, "Worker.Leaf", trace.SpanKindClient)
	server := span(t, spans, "Worker.Leaf", trace.SpanKindServer)
	if client.SpanContext.TraceID().String() != traceID || client.Parent.SpanID().String() != spanID {
		t.Errorf("client span: trace %s parent %s, want %s %s", client.SpanContext.TraceID(), client.Parent.SpanID(), traceID, spanID)
	}
	if server.Parent.SpanID() != client.SpanContext.SpanID() {
		t.Errorf("server span's parent %s, want the client span %s", server.Parent.SpanID(), client.SpanContext.SpanID())
	}
}

// A method KnownMethod rejects is recorded as _OTHER, in a span named
// after the system, with the method in rpc.method_original.
func TestUnknownMethodIsOther(t *testing.T) {
	tm := newTelemetry(t)
	known := func(o *otelpeer.Options) {
		o.KnownMethod = func(m string) bool { return !strings.HasSuffix(m, "Leaf") }
	}
	master, _ := peerPair(t, codec.Msgpack, nil, register(Worker{}), tm.instrument(t, known), tm.instrument(t, known))
	if err := master.Call(context.Background(), "Worker.Leaf", "x", new(string)); err != nil {
		t.Fatal(err)
	}
	for _, kind := range []trace.SpanKind{trace.SpanKindClient, trace.SpanKindServer} {
		a := attrs(span(t, tm.spans.GetSpans(), "msgpack_rpc", kind))
		if a["rpc.method"].AsString() != "_OTHER" || a["rpc.method_original"].AsString() != "Worker.Leaf" {
			t.Errorf("%v span: rpc.method %q, rpc.method_original %q; want _OTHER, Worker.Leaf", kind, a["rpc.method"].AsString(), a["rpc.method_original"].AsString())
		}
	}
}

// The engine's heartbeats are not calls of the program's: no span.
func TestHeartbeatsAreNotTraced(t *testing.T) {
	tm := newTelemetry(t)
	o := tm.instrument(t, nil)
	o.Heartbeat = 5 * time.Millisecond
	master, _ := peerPair(t, codec.Msgpack, nil, register(Worker{}), o, tm.instrument(t, nil))
	time.Sleep(50 * time.Millisecond) // about ten heartbeats
	if err := master.Call(context.Background(), "Worker.Leaf", "x", new(string)); err != nil {
		t.Fatal(err)
	}
	if spans := tm.spans.GetSpans(); len(spans) != 2 {
		t.Errorf("got %d spans, want the call's 2: %v", len(spans), names(spans))
	}
}

// An unsampled call still sends its trace context, flagged unsampled, so
// that the other end, sampling by its parent, does not sample either, and
// its handler is still in the trace.
func TestUnsampledPropagates(t *testing.T) {
	tm := newTelemetry(t)
	never := sdktrace.NewTracerProvider(sdktrace.WithSampler(sdktrace.NeverSample()))
	t.Cleanup(func() { never.Shutdown(context.Background()) })
	unsampled := func(o *otelpeer.Options) { o.TracerProvider = never }
	seen := make(chan trace.SpanContext, 1)
	master, _ := peerPair(t, codec.Msgpack, nil, register(&Seen{seen}), tm.instrument(t, unsampled), tm.instrument(t, nil))
	ctx, root := never.Tracer("test").Start(context.Background(), "job")
	defer root.End()
	if err := master.Call(ctx, "Seen.Span", 0, new(int)); err != nil {
		t.Fatal(err)
	}
	sc := <-seen
	if sc.TraceID() != root.SpanContext().TraceID() || sc.IsSampled() {
		t.Errorf("the handler's span: trace %s sampled %v; want trace %s, unsampled", sc.TraceID(), sc.IsSampled(), root.SpanContext().TraceID())
	}
	if spans := tm.spans.GetSpans(); len(spans) != 0 {
		t.Errorf("the worker recorded %d spans of an unsampled trace: %v", len(spans), names(spans))
	}
}

// Seen reports the span its handler runs in.
type Seen struct{ seen chan trace.SpanContext }

func (s *Seen) Span(ctx context.Context, _ int, _ *int) error {
	s.seen <- trace.SpanContextFromContext(ctx)
	return nil
}
