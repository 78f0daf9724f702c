package otelpeer_test

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"strings"
	"testing"

	"go.opentelemetry.io/otel/trace"

	"github.com/duplexrpc/duplex/codec"
	"github.com/duplexrpc/duplex/otel/otelpeer"
	"github.com/duplexrpc/duplex/peer"
)

// A record logged with a context that carries a span gets its ids; one
// without does not. A handler's ctx carries its server span.
func TestLogHandler(t *testing.T) {
	tm := newTelemetry(t)
	var buf bytes.Buffer
	log := slog.New(otelpeer.LogHandler(slog.NewJSONHandler(&buf, nil)))
	master, _ := peerPair(t, codec.Msgpack, nil, register(&Logs{log}), tm.instrument(t, nil), tm.instrument(t, nil))
	if err := master.Call(context.Background(), "Logs.Say", "in the handler", new(int)); err != nil {
		t.Fatal(err)
	}
	log.Info("outside")

	lines := strings.Split(strings.TrimSpace(buf.String()), "\n")
	if len(lines) != 2 {
		t.Fatalf("got %d lines, want 2: %s", len(lines), buf.String())
	}
	var inside, outside map[string]any
	if err := json.Unmarshal([]byte(lines[0]), &inside); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal([]byte(lines[1]), &outside); err != nil {
		t.Fatal(err)
	}
	server := span(t, tm.spans.GetSpans(), "Logs.Say", trace.SpanKindServer)
	if inside["trace_id"] != server.SpanContext.TraceID().String() || inside["span_id"] != server.SpanContext.SpanID().String() {
		t.Errorf("inside the handler: %v, want trace %s span %s", inside, server.SpanContext.TraceID(), server.SpanContext.SpanID())
	}
	if _, ok := outside["trace_id"]; ok {
		t.Errorf("outside any span: %v has a trace_id", outside)
	}
}

// Logs logs with its handler's ctx.
type Logs struct{ log *slog.Logger }

func (l *Logs) Say(ctx context.Context, s string, _ *int) error {
	if _, ok := peer.FromContext(ctx); !ok {
		panic("no peer")
	}
	l.log.InfoContext(ctx, s)
	return nil
}
