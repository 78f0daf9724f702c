package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"os/exec"
	"testing"
	"time"

	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"

	"github.com/duplexrpc/duplex/codec"
	"github.com/duplexrpc/duplex/internal/exampletest"
	"github.com/duplexrpc/duplex/internal/rpctest"
)

var (
	// binary is the example, built once by TestMain.
	binary string
	// raceEnabled is set by race_test.go when the tests run with -race.
	raceEnabled bool
)

func TestMain(m *testing.M) { exampletest.Main(m, &binary, raceEnabled) }

// span is what the test reads of a finished span.
type span struct {
	name           string
	kind           trace.SpanKind
	traceID, id    string
	parent         string
	remoteParented bool
}

// The chain of spans the example makes, caller first: each is the parent
// of the next.
var chain = []struct {
	name string
	kind trace.SpanKind
}{
	{"job", trace.SpanKindInternal},
	{"Worker.Work", trace.SpanKindClient},   // the master calls
	{"Worker.Work", trace.SpanKindServer},   // the worker serves
	{"Master.Lookup", trace.SpanKindClient}, // and calls back
	{"Master.Lookup", trace.SpanKindServer}, // the master serves
	{"Worker.Leaf", trace.SpanKindClient},   // and calls the worker again
	{"Worker.Leaf", trace.SpanKindServer},   // which serves
}

// checkChain checks that spans are the chain, one trace, each server span
// the child of the client span that caused it, across the wire.
func checkChain(t *testing.T, spans []span) {
	t.Helper()
	if len(spans) != len(chain) {
		t.Fatalf("got %d spans, want %d: %+v", len(spans), len(chain), spans)
	}
	var prev *span
	for _, want := range chain {
		var found *span
		for i := range spans {
			if s := &spans[i]; s.name == want.name && s.kind == want.kind {
				if found != nil {
					t.Fatalf("two %v spans %s", want.kind, want.name)
				}
				found = s
			}
		}
		if found == nil {
			t.Fatalf("no %v span %s in %+v", want.kind, want.name, spans)
		}
		if prev != nil {
			if found.traceID != prev.traceID {
				t.Errorf("%s/%v: trace %s, want %s", found.name, found.kind, found.traceID, prev.traceID)
			}
			if found.parent != prev.id {
				t.Errorf("%s/%v: parent %s, want %s/%v's %s", found.name, found.kind, found.parent, prev.name, prev.kind, prev.id)
			}
			if found.kind == trace.SpanKindServer && !found.remoteParented {
				t.Errorf("%s/%v: the parent did not come over the wire", found.name, found.kind)
			}
		}
		prev = found
	}
}

// On every codec, the example's spans are one trace whose server spans
// are each the child of the client span that caused them, in both
// directions.
func TestOneTracePerCodec(t *testing.T) {
	for _, c := range codec.All() {
		t.Run(c.Name(), func(t *testing.T) {
			exp := tracetest.NewInMemoryExporter()
			tp := sdktrace.NewTracerProvider(sdktrace.WithSyncer(exp))
			defer tp.Shutdown(context.Background())
			ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
			defer cancel()
			reply, err := run(ctx, c, tp)
			if err != nil {
				t.Fatal(err)
			}
			if want := "worked on job 1: looked up leaf job 1"; reply != want {
				t.Errorf("reply %q, want %q", reply, want)
			}
			var spans []span
			for _, s := range exp.GetSpans() {
				spans = append(spans, span{
					name: s.Name, kind: s.SpanKind,
					traceID: s.SpanContext.TraceID().String(), id: s.SpanContext.SpanID().String(),
					parent: s.Parent.SpanID().String(), remoteParented: s.Parent.IsRemote(),
				})
			}
			checkChain(t, spans)
		})
	}
	deadline := time.Now().Add(5 * time.Second)
	for leaked := rpctest.Leaked(); leaked != ""; leaked = rpctest.Leaked() {
		if time.Now().After(deadline) {
			t.Fatalf("goroutines left by run:\n%s", leaked)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// The example as a process prints the spans as JSON lines, one trace,
// and exits 0; a codec it does not know makes it fail.
func TestProcess(t *testing.T) {
	for _, name := range []string{"msgpack", "jsonrpc2", "gob"} {
		t.Run(name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), exampletest.Timeout)
			defer cancel()
			out, err := exec.CommandContext(ctx, binary, "-codec", name).Output()
			if err != nil {
				t.Fatalf("the example failed: %v\n%s", err, out)
			}
			var spans []span
			sc := bufio.NewScanner(bytes.NewReader(out))
			sc.Buffer(nil, 1<<20)
			for sc.Scan() {
				var s struct {
					Name        string
					SpanKind    trace.SpanKind
					SpanContext struct{ TraceID, SpanID string }
					Parent      struct {
						SpanID string
						Remote bool
					}
				}
				if err := json.Unmarshal(sc.Bytes(), &s); err != nil {
					t.Fatalf("a line that is not a span: %v\n%s", err, sc.Bytes())
				}
				spans = append(spans, span{
					name: s.Name, kind: s.SpanKind, traceID: s.SpanContext.TraceID, id: s.SpanContext.SpanID,
					parent: s.Parent.SpanID, remoteParented: s.Parent.Remote,
				})
			}
			checkChain(t, spans)
		})
	}
	ctx, cancel := context.WithTimeout(context.Background(), exampletest.Timeout)
	defer cancel()
	if err := exec.CommandContext(ctx, binary, "-codec", "smoke-signals").Run(); err == nil {
		t.Error("an unknown codec: the example succeeded")
	}
}
