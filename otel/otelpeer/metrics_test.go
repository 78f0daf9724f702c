package otelpeer_test

import (
	"context"
	"testing"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
	"go.opentelemetry.io/otel/trace"

	"github.com/duplexrpc/duplex/codec"
	"github.com/duplexrpc/duplex/otel/otelpeer"
)

// The call durations are histograms in seconds under the conventions'
// names, one series per system, method and outcome; the in-flight counts
// rise during a call and fall back after it.
func TestMetrics(t *testing.T) {
	tm := newTelemetry(t)
	f := Faults{started: make(chan struct{}, 1)}
	master, _ := peerPair(t, codec.JSONRPC2, nil, register(f), tm.instrument(t, nil), tm.instrument(t, nil))
	ctx := context.Background()
	for range 3 {
		master.Call(ctx, "Faults.Coded", 0, new(int))
	}

	waitCtx, cancel := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- master.Call(waitCtx, "Faults.Wait", 0, new(int)) }()
	<-f.started
	m := tm.metrics(t)
	for _, name := range []string{otelpeer.ClientActiveCalls, otelpeer.ServerActiveCalls} {
		if got := activeCalls(t, m, name, "Faults.Wait"); got != 1 {
			t.Errorf("%s during a call: %d, want 1", name, got)
		}
	}
	cancel()
	<-done
	waitSpan(t, tm, "Faults.Wait", trace.SpanKindServer) // the server's span has ended: its count is down

	m = tm.metrics(t)
	for _, name := range []string{otelpeer.ClientActiveCalls, otelpeer.ServerActiveCalls} {
		if got := activeCalls(t, m, name, "Faults.Wait"); got != 0 {
			t.Errorf("%s after the call: %d, want 0", name, got)
		}
	}
	for _, name := range []string{"rpc.client.call.duration", "rpc.server.call.duration"} {
		h, ok := m[name]
		if !ok {
			t.Fatalf("no metric %s; have %v", name, keys(m))
		}
		if h.Unit != "s" {
			t.Errorf("%s: unit %q, want s", name, h.Unit)
		}
		points := h.Data.(metricdata.Histogram[float64]).DataPoints
		var coded uint64
		for _, p := range points {
			a := p.Attributes
			if v, _ := a.Value("rpc.method"); v.AsString() != "Faults.Coded" {
				continue
			}
			sys, _ := a.Value("rpc.system.name")
			et, _ := a.Value("error.type")
			sc, _ := a.Value("rpc.response.status_code")
			if sys.AsString() != "jsonrpc" || et.AsString() != "42" || sc.AsString() != "42" {
				t.Errorf("%s: attributes %v, want jsonrpc, error.type 42, status 42", name, a.ToSlice())
			}
			if _, ok := a.Value("server.address"); ok {
				t.Errorf("%s: server.address is opt-in on metrics, yet set", name)
			}
			coded += p.Count
		}
		if coded != 3 {
			t.Errorf("%s: %d Faults.Coded calls counted, want 3", name, coded)
		}
	}
}

// activeCalls is the value of an in-flight count for a method.
func activeCalls(t *testing.T, m map[string]metricdata.Metrics, name, method string) int64 {
	t.Helper()
	sum, ok := m[name].Data.(metricdata.Sum[int64])
	if !ok {
		t.Fatalf("%s: no sum; have %v", name, keys(m))
	}
	for _, p := range sum.DataPoints {
		if v, _ := p.Attributes.Value(attribute.Key("rpc.method")); v.AsString() == method {
			return p.Value
		}
	}
	t.Fatalf("%s: no series for %s", name, method)
	return 0
}

func keys(m map[string]metricdata.Metrics) []string {
	var k []string
	for name := range m {
		k = append(k, name)
	}
	return k
}
