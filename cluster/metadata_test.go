package cluster_test

import (
	"context"
	"errors"
	"maps"
	"net/rpc"
	"testing"
	"time"

	"github.com/duplexrpc/duplex/codec"
	"github.com/duplexrpc/duplex/peer"
)

// Meta answers the metadata its call came with.
func (w *Work) Meta(ctx context.Context, _ int, reply *map[string]string) error {
	*reply = peer.IncomingMetadata(ctx)
	return nil
}

// NoteMeta takes a notification and reports its metadata.
func (w *Work) NoteMeta(ctx context.Context, _ int, _ *struct{}) error {
	w.mu.Lock()
	w.notified = append(w.notified, peer.IncomingMetadata(ctx)["traceparent"])
	w.mu.Unlock()
	w.noticed <- struct{}{}
	return nil
}

// Coded fails with a code and data.
func (w *Work) Coded(_ int, _ *int) error {
	return &peer.Error{Code: 4242, Message: "coded on " + w.name, Data: map[string]string{"worker": w.name}}
}

// The caller's metadata reaches the worker's handler through NATS and the
// master, unchanged, on either wire, in a call, a fan-out and a
// notification; keys and values that a NATS header could not hold
// included.
func TestMetadataCrossesTheCluster(t *testing.T) {
	for _, c := range []codec.Codec{codec.Msgpack, codec.JSONRPC2} {
		t.Run(c.Name(), func(t *testing.T) {
			tc := newCluster(t, c)
			_, w := tc.worker("w1", c, 0)
			cl := tc.client(c)
			waitWorkers(t, cl, map[string]string{"w1": "m0"}, 5*time.Second)

			md := peer.Metadata{
				"traceparent": "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01",
				"tracestate":  "vendor=x",
				"io.modelcontextprotocol/protocolVersion": "2025-11-25",
				"odd key: yes": "  spaces around,\r\na line break ",
			}
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			ctx = peer.WithMetadata(ctx, md)

			var got map[string]string
			if err := cl.Call(ctx, "w1", "Work.Meta", 0, &got); err != nil {
				t.Fatal(err)
			}
			if !maps.Equal(got, md) {
				t.Errorf("Call: the handler saw %q, want %q", got, md)
			}

			rs := cl.CallAll(ctx, "Work.Meta", 0, func() any { return new(map[string]string) })
			if len(rs) != 1 || rs[0].Err != nil || !maps.Equal(*rs[0].Reply.(*map[string]string), md) {
				t.Errorf("CallAll: got %+v, want the metadata %q", rs, md)
			}

			if err := cl.Notify(ctx, "w1", "Work.NoteMeta", 0); err != nil {
				t.Fatal(err)
			}
			<-w.noticed
			w.mu.Lock()
			noted := w.notified[len(w.notified)-1]
			w.mu.Unlock()
			if noted != md["traceparent"] {
				t.Errorf("Notify: the handler saw traceparent %q, want %q", noted, md["traceparent"])
			}

			// A call without metadata brings none.
			got = nil
			if err := cl.Call(context.Background(), "w1", "Work.Meta", 0, &got); err != nil || len(got) != 0 {
				t.Errorf("a call without metadata: the handler saw %q, %v", got, err)
			}
		})
	}
}

// A worker's error reaches a cluster caller as a *peer.Error with the
// worker's code and data, as over a direct connection: a handler's own
// code, and the codes the engine gives (method not found), through Call
// and through a fan-out; the data decodes with the client's codec.
func TestErrorCodesCrossTheCluster(t *testing.T) {
	for _, c := range []codec.Codec{codec.Msgpack, codec.JSONRPC2} {
		t.Run(c.Name(), func(t *testing.T) {
			tc := newCluster(t, c)
			tc.worker("w1", c, 0)
			cl := tc.client(c)
			waitWorkers(t, cl, map[string]string{"w1": "m0"}, 5*time.Second)
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()

			check := func(how string, err error) {
				t.Helper()
				var e *peer.Error
				if !errors.As(err, &e) || e.Code != 4242 || e.Message != "coded on w1" {
					t.Fatalf("%s: got %v (%T), want *peer.Error 4242 \"coded on w1\"", how, err, err)
				}
				raw, ok := e.Data.(codec.Raw)
				if !ok {
					t.Fatalf("%s: data %T, want codec.Raw", how, e.Data)
				}
				var data map[string]string
				if err := codec.DecodeRaw(c, raw, &data); err != nil || data["worker"] != "w1" {
					t.Errorf("%s: data %q, %v; want worker w1", how, data, err)
				}
				var s rpc.ServerError
				if !errors.As(err, &s) || string(s) != "coded on w1" {
					t.Errorf("%s: errors.As to rpc.ServerError: %q", how, s)
				}
			}
			check("Call", cl.Call(ctx, "w1", "Work.Coded", 0, new(int)))
			rs := cl.CallAll(ctx, "Work.Coded", 0, func() any { return new(int) })
			if len(rs) != 1 {
				t.Fatalf("CallAll: %d results, want 1", len(rs))
			}
			check("CallAll", rs[0].Err)

			var e *peer.Error
			err := cl.Call(ctx, "w1", "Work.Missing", 0, new(int))
			if !errors.As(err, &e) || e.Code != codec.CodeMethodNotFound || e.Data != nil {
				t.Errorf("a missing method: got %v (%+v), want code %d without data", err, e, codec.CodeMethodNotFound)
			}
			err = cl.Call(ctx, "w1", "Work.Fail", 0, new(int))
			if !errors.As(err, &e) || e.Message != "it failed on w1" {
				t.Errorf("a plain error: got %v, want its text", err)
			}
		})
	}
}
