package cluster_test

import (
	"context"
	"errors"
	"fmt"
	"net/rpc"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go"

	"github.com/duplexrpc/duplex/cluster"
	"github.com/duplexrpc/duplex/codec"
	"github.com/duplexrpc/duplex/peer"
)

// Six workers on three masters (one of them with ugorji's msgpack engine)
// are called by name from a client with no worker connection of its own.
func TestCallsByNameAcrossThreeMasters(t *testing.T) {
	tc := newCluster(t, codec.Msgpack, codec.Msgpack, codec.MsgpackUgorji)
	want := map[string]string{}
	for i := range 6 {
		name := fmt.Sprintf("w%d", i)
		c := codec.Msgpack
		if i%3 == 2 {
			c = codec.MsgpackUgorji
		}
		tc.worker(name, c, i%3)
		want[name] = fmt.Sprintf("m%d", i%3)
	}
	cl := tc.client(nil)
	waitWorkers(t, cl, want, 5*time.Second)

	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	for name := range want {
		var got string
		if err := cl.Call(ctx, name, "Work.Hello", "client", &got); err != nil || got != "hello client from "+name {
			t.Errorf("%s: got %q, %v", name, got, err)
		}
	}
	in := Nested{Name: "n", Tags: []string{"a"}, Counts: map[string]int{"k": 2}, Inner: &struct{ X int }{7}}
	var out Nested
	if err := cl.Call(ctx, "w2", "Work.Nested", in, &out); err != nil || !reflect.DeepEqual(in, out) {
		t.Errorf("a nested value through NATS to ugorji: got %+v, %v; want %+v", out, err, in)
	}

	// A worker's own errors are those of a direct connection.
	var serverErr rpc.ServerError
	if err := cl.Call(ctx, "w1", "Work.Fail", 0, nil); !errors.As(err, &serverErr) || string(serverErr) != "it failed on w1" {
		t.Errorf("a failing handler: got %v (%T), want rpc.ServerError", err, err)
	}
	if err := cl.Call(ctx, "w1", "Work.Missing", 0, nil); !errors.As(err, &serverErr) || string(serverErr) != "rpc: can't find method Work.Missing" {
		t.Errorf("a missing method: got %v, want net/rpc's error", err)
	}
	var n int
	err := cl.Call(ctx, "w1", "Work.Hello", "x", &n)
	if err == nil || !strings.Contains(err.Error(), "cluster: decoding the reply of Work.Hello") {
		t.Errorf("a reply that does not fit: got %v, want a decoding error", err)
	}
}

// A name no master holds fails at once, from NATS's no-responders.
func TestUnknownWorkerFailsFast(t *testing.T) {
	tc := newCluster(t, codec.Msgpack)
	r, _ := tc.worker("here", codec.Msgpack, 0)
	cl := tc.client(nil)
	waitWorkers(t, cl, map[string]string{"here": "m0"}, 5*time.Second)

	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	start := time.Now()
	err := cl.Call(ctx, "nobody", "Work.Hello", "x", new(string))
	if !errors.Is(err, cluster.ErrNoWorker) || !errors.Is(err, nats.ErrNoResponders) {
		t.Errorf("calling nobody: got %v, want ErrNoWorker from no-responders", err)
	}
	if err := cl.Notify(ctx, "nobody", "Work.Note", "x"); !errors.Is(err, cluster.ErrNoWorker) {
		t.Errorf("notifying nobody: got %v, want ErrNoWorker", err)
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Errorf("failing took %v; want at once", d)
	}

	// A worker that leaves is unknown at once.
	r.Close()
	waitWorkers(t, cl, map[string]string{}, 2*time.Second)
	if err := cl.Call(ctx, "here", "Work.Hello", "x", new(string)); !errors.Is(err, cluster.ErrNoWorker) {
		t.Errorf("calling a worker that left: got %v, want ErrNoWorker", err)
	}

	for _, bad := range []string{"", "a.b", "a*", ">", "a b", "x\n"} {
		if err := cl.Call(ctx, bad, "Work.Hello", "x", new(string)); !errors.Is(err, cluster.ErrBadName) {
			t.Errorf("calling %q: got %v, want ErrBadName", bad, err)
		}
	}
}

// A notification reaches the worker, and Notify waits for its master to
// have queued it.
func TestNotify(t *testing.T) {
	tc := newCluster(t, codec.JSONRPC2)
	_, w := tc.worker("j", codec.JSONRPC2, 0)
	cl := tc.client(codec.JSONRPC2)
	waitWorkers(t, cl, map[string]string{"j": "m0"}, 5*time.Second)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := cl.Notify(ctx, "j", "Work.Note", "psst"); err != nil {
		t.Fatal(err)
	}
	select {
	case <-w.noticed:
	case <-ctx.Done():
		t.Fatal("the notification did not arrive")
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	if len(w.notified) != 1 || w.notified[0] != "psst" {
		t.Errorf("notified %q, want [psst]", w.notified)
	}
}

// Bodies pass through as the worker's wire has them: a JSON worker is
// called by a JSON client, and a msgpack client is told that it encodes
// in the wrong wire, before anything runs.
func TestEncodingMustMatchTheWorker(t *testing.T) {
	tc := newCluster(t, codec.JSONRPC)
	_, w := tc.worker("j", codec.JSONRPC, 0)
	jsonClient, mpClient := tc.client(codec.JSONRPC2), tc.client(codec.Msgpack)
	waitWorkers(t, jsonClient, map[string]string{"j": "m0"}, 5*time.Second)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	var got string
	if err := jsonClient.Call(ctx, "j", "Work.Echo", "a", &got); err != nil || got != "j:a" {
		t.Errorf("JSON through NATS: got %q, %v", got, err)
	}
	if err := mpClient.Call(ctx, "j", "Work.Echo", "b", &got); !errors.Is(err, cluster.ErrCodec) {
		t.Errorf("msgpack to a JSON worker: got %v, want ErrCodec", err)
	}
	if w.runs("b") != 0 {
		t.Error("the call in the wrong encoding ran")
	}
	list, err := jsonClient.Workers(ctx)
	if err != nil || len(list) != 1 || list[0].Codec != "jsonrpc" {
		t.Errorf("Workers: %+v, %v; want j speaking jsonrpc", list, err)
	}
	if _, err := cluster.NewClient(nil, nil); err == nil {
		t.Error("NewClient(nil) succeeded")
	}
	if _, err := cluster.NewClient(tc.connect(), &cluster.ClientOptions{Codec: codec.Gob}); !errors.Is(err, cluster.ErrCodec) {
		t.Errorf("a gob client: got %v, want ErrCodec", err)
	}
}

// A streaming method called through the cluster fails at once with
// ErrStreamNotRelayed, which Is peer.ErrNotStreamed, and its handler does
// not run; the same worker's plain methods work on.
func TestStreamsAreNotRelayed(t *testing.T) {
	for _, c := range []codec.Codec{codec.Msgpack, codec.JSONRPC2} {
		t.Run(c.Name(), func(t *testing.T) {
			tc := newCluster(t, c)
			_, w := tc.worker("s", c, 0)
			cl := tc.client(c)
			waitWorkers(t, cl, map[string]string{"s": "m0"}, 5*time.Second)
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			var all []int
			err := cl.Call(ctx, "s", "Work.Count", 3, &all)
			if !errors.Is(err, cluster.ErrStreamNotRelayed) || !errors.Is(err, peer.ErrNotStreamed) {
				t.Fatalf("a stream through the cluster: %v; want ErrStreamNotRelayed", err)
			}
			if !strings.Contains(err.Error(), "not relayed through NATS") {
				t.Errorf("the error does not say streams are not relayed: %v", err)
			}
			res := cl.CallEach(ctx, []string{"s"}, "Work.Count", 3, func() any { return new([]int) })
			if len(res) != 1 || !errors.Is(res[0].Err, cluster.ErrStreamNotRelayed) {
				t.Fatalf("a stream fanned out: %+v; want ErrStreamNotRelayed", res)
			}
			if n := w.runs("Count"); n != 0 {
				t.Errorf("the streaming handler ran %d times", n)
			}
			var got string
			if err := cl.Call(ctx, "s", "Work.Hello", "x", &got); err != nil || got != "hello x from s" {
				t.Errorf("a plain call after: %q, %v", got, err)
			}
		})
	}
}
