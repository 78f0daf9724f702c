package otelpeer_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"

	"github.com/duplexrpc/duplex/codec"
	"github.com/duplexrpc/duplex/peer"
)

// Each way a call can fail sets error.type, rpc.response.status_code and
// the span's status as docs/tracing.md says, on both sides.
func TestFailures(t *testing.T) {
	type side struct {
		errorType, statusCode string // "": absent
		failed                bool
	}
	for _, tc := range []struct {
		c              codec.Codec
		method         string
		client, server side
	}{
		{codec.JSONRPC2, "Faults.Coded", side{"42", "42", true}, side{"42", "42", true}},
		{codec.Msgpack, "Faults.Coded", side{"42", "42", true}, side{"42", "42", true}},
		// JSON-RPC 2.0 sends an error without a code as -32000; msgpack-rpc
		// and gob send its text only.
		{codec.JSONRPC2, "Faults.Plain", side{"-32000", "-32000", true}, side{"-32000", "-32000", true}},
		{codec.Msgpack, "Faults.Plain", side{"_OTHER", "", true}, side{"_OTHER", "", true}},
		{codec.Gob, "Faults.Plain", side{"_OTHER", "", true}, side{"_OTHER", "", true}},
		// A panic is answered with -32603, known by its text where the
		// wire carries no code.
		{codec.JSONRPC2, "Faults.Panic", side{"-32603", "-32603", true}, side{"-32603", "-32603", true}},
		{codec.Gob, "Faults.Panic", side{"-32603", "-32603", true}, side{"-32603", "-32603", true}},
	} {
		t.Run(tc.c.Name()+"/"+tc.method, func(t *testing.T) {
			tm := newTelemetry(t)
			quiet := tm.instrument(t, nil)
			quiet.Logger = discardLogger() // the panic's stack
			master, _ := peerPair(t, tc.c, nil, register(Faults{}), tm.instrument(t, nil), quiet)
			var pe *peer.Error
			if err := master.Call(context.Background(), tc.method, 0, new(int)); !errors.As(err, &pe) {
				t.Fatalf("got %v, want a *peer.Error", err)
			}
			spans := tm.spans.GetSpans()
			for kind, want := range map[trace.SpanKind]side{trace.SpanKindClient: tc.client, trace.SpanKindServer: tc.server} {
				s := span(t, spans, tc.method, kind)
				checkOutcome(t, s, want.errorType, want.statusCode, want.failed, false)
			}
		})
	}
}

// checkOutcome checks a span's error.type, rpc.response.status_code,
// status and duplex.rpc.cancelled.
func checkOutcome(t *testing.T, s tracetest.SpanStub, errorType, statusCode string, failed, cancelled bool) {
	t.Helper()
	a := attrs(s)
	if got := a["error.type"].AsString(); got != errorType {
		t.Errorf("%s/%v: error.type %q, want %q", s.Name, s.SpanKind, got, errorType)
	}
	if got := a["rpc.response.status_code"].AsString(); got != statusCode {
		t.Errorf("%s/%v: rpc.response.status_code %q, want %q", s.Name, s.SpanKind, got, statusCode)
	}
	if got := s.Status.Code == codes.Error; got != failed {
		t.Errorf("%s/%v: status %v, want failed=%v", s.Name, s.SpanKind, s.Status, failed)
	}
	if got := a["duplex.rpc.cancelled"].AsBool(); got != cancelled {
		t.Errorf("%s/%v: duplex.rpc.cancelled %v, want %v", s.Name, s.SpanKind, got, cancelled)
	}
}

// A call its caller cancels fails on the client's side as cancelled, and
// on the server's side is marked cancelled, with the code the engine
// answers, but not failed: the handler did what it was asked.
func TestCancelIsNotAHandlerError(t *testing.T) {
	for _, c := range []codec.Codec{codec.JSONRPC2, codec.Msgpack, codec.Gob} {
		t.Run(c.Name(), func(t *testing.T) {
			tm := newTelemetry(t)
			f := Faults{started: make(chan struct{}, 1)}
			master, _ := peerPair(t, c, nil, register(f), tm.instrument(t, nil), tm.instrument(t, nil))
			ctx, cancel := context.WithCancel(context.Background())
			go func() {
				<-f.started
				cancel()
			}()
			if err := master.Call(ctx, "Faults.Wait", 0, new(int)); !errors.Is(err, context.Canceled) {
				t.Fatalf("got %v, want context.Canceled", err)
			}
			server := waitSpan(t, tm, "Faults.Wait", trace.SpanKindServer)
			checkOutcome(t, span(t, tm.spans.GetSpans(), "Faults.Wait", trace.SpanKindClient), "cancelled", "", true, true)
			checkOutcome(t, server, "", "-32800", false, true)
		})
	}
}

// A call whose deadline passes is deadline_exceeded on the client.
func TestDeadlineOnTheClient(t *testing.T) {
	tm := newTelemetry(t)
	f := Faults{started: make(chan struct{}, 1)}
	master, _ := peerPair(t, codec.Msgpack, nil, register(f), tm.instrument(t, nil), tm.instrument(t, nil))
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	if err := master.Call(ctx, "Faults.Wait", 0, new(int)); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("got %v, want context.DeadlineExceeded", err)
	}
	checkOutcome(t, span(t, tm.spans.GetSpans(), "Faults.Wait", trace.SpanKindClient), "deadline_exceeded", "", true, true)
	checkOutcome(t, waitSpan(t, tm, "Faults.Wait", trace.SpanKindServer), "", "-32800", false, true)
}

// A handler whose connection ends under it fails as closed; so does the
// call.
func TestConnectionEnds(t *testing.T) {
	tm := newTelemetry(t)
	f := Faults{started: make(chan struct{}, 1)}
	master, worker := peerPair(t, codec.Msgpack, nil, register(f), tm.instrument(t, nil), tm.instrument(t, nil))
	go func() {
		<-f.started
		worker.Close()
	}()
	if err := master.Call(context.Background(), "Faults.Wait", 0, new(int)); !errors.Is(err, peer.ErrClosed) {
		t.Fatalf("got %v, want peer.ErrClosed", err)
	}
	checkOutcome(t, span(t, tm.spans.GetSpans(), "Faults.Wait", trace.SpanKindClient), "closed", "", true, false)
	checkOutcome(t, waitSpan(t, tm, "Faults.Wait", trace.SpanKindServer), "closed", "", true, false)
}

// A notification is a client span and a server span too, linked.
func TestNotification(t *testing.T) {
	tm := newTelemetry(t)
	noted := make(chan struct{}, 1)
	master, _ := peerPair(t, codec.JSONRPC2, nil, register(&Notes{noted}), tm.instrument(t, nil), tm.instrument(t, nil))
	if err := master.Notify(context.Background(), "Notes.Note", "n"); err != nil {
		t.Fatal(err)
	}
	<-noted
	server := waitSpan(t, tm, "Notes.Note", trace.SpanKindServer)
	client := span(t, tm.spans.GetSpans(), "Notes.Note", trace.SpanKindClient)
	if server.Parent.SpanID() != client.SpanContext.SpanID() {
		t.Errorf("notification's server span: parent %s, want %s", server.Parent.SpanID(), client.SpanContext.SpanID())
	}
	if _, ok := attrs(server)["jsonrpc.request.id"]; ok {
		t.Error("a notification has a jsonrpc.request.id")
	}
}

// Notes takes notifications.
type Notes struct{ noted chan struct{} }

func (n *Notes) Note(_ string, _ *struct{}) error {
	n.noted <- struct{}{}
	return nil
}

// waitSpan waits for a span that ends after the call that caused it has
// returned (a server span whose caller gave up), for at most 5 s.
func waitSpan(t *testing.T, tm *telemetry, name string, kind trace.SpanKind) tracetest.SpanStub {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		for _, s := range tm.spans.GetSpans() {
			if s.Name == name && s.SpanKind == kind {
				return s
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("no %s span %q within 5s: %v", kind, name, names(tm.spans.GetSpans()))
		}
		time.Sleep(time.Millisecond)
	}
}
