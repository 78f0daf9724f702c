package cluster_test

import (
	"context"
	"fmt"
	"net"
	"testing"
	"time"

	"github.com/duplexrpc/duplex/cluster"
	"github.com/duplexrpc/duplex/codec"
	"github.com/duplexrpc/duplex/peer"
)

// The benchmarks compare the cluster's paths with the direct ones they
// stand in for, in the same run (docs/benchmarks.md quotes the ratios):
//
//	Call/path=direct  the master calls the worker over its connection
//	Call/path=nats    a client calls the same worker by name, through NATS
//	                  and that master
//	FanOut/path=hub   Hub.CallAll to 1,000 workers on one hub
//	FanOut/path=nats  Client.CallAll to 1,000 workers over 3 masters
//
// Workers are plain peers on loopback TCP; NATS is embedded, on loopback.

// benchWorkers connects n workers called w0… to the masters in turn, each
// joining by name, and waits until the client sees them all.
func benchWorkers(b *testing.B, tc *testCluster, cl *cluster.Client, n int) {
	b.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	want := map[string]string{}
	for i := range n {
		tm := tc.masters[i%len(tc.masters)]
		name := fmt.Sprintf("w%d", i)
		conn, err := net.Dial("tcp", tm.addr)
		if err != nil {
			b.Fatal(err)
		}
		w := newWork(name)
		p, err := peer.New(conn, codec.Msgpack, func(_ *peer.Peer, r *peer.Registry) error { return r.Register(w) })
		if err != nil {
			b.Fatal(err)
		}
		b.Cleanup(func() { p.Close() })
		if _, err := cluster.Join(ctx, p, name); err != nil {
			b.Fatal(err)
		}
		want[name] = tm.id
	}
	waitWorkers(b, cl, want, time.Minute)
}

func BenchmarkCall(b *testing.B) {
	tc := newCluster(b, codec.Msgpack)
	cl := tc.client(nil)
	benchWorkers(b, tc, cl, 1)
	direct := tc.masters[0].hub.Peers()[0]
	ctx := context.Background()

	b.Run("path=direct", func(b *testing.B) {
		b.ReportAllocs()
		var reply string
		for b.Loop() {
			if err := direct.Call(ctx, "Work.Hello", "bench", &reply); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("path=nats", func(b *testing.B) {
		b.ReportAllocs()
		var reply string
		for b.Loop() {
			if err := cl.Call(ctx, "w0", "Work.Hello", "bench", &reply); err != nil {
				b.Fatal(err)
			}
		}
	})
}

func BenchmarkFanOut(b *testing.B) {
	const workers = 1000
	ctx := context.Background()
	newReply := func() any { return new(string) }
	check := func(b *testing.B, n int, err error) {
		if err != nil || n != workers {
			b.Fatalf("%d results, %v; want %d", n, err, workers)
		}
	}

	b.Run("path=hub", func(b *testing.B) {
		tc := newCluster(b, codec.Msgpack)
		benchWorkers(b, tc, tc.client(nil), workers)
		hub := tc.masters[0].hub
		b.ReportAllocs()
		for b.Loop() {
			res := hub.CallAll(ctx, "Work.Hello", "bench", newReply)
			check(b, len(res), firstErr(res, func(r peer.Result) error { return r.Err }))
		}
	})
	b.Run("path=nats", func(b *testing.B) {
		tc := newCluster(b, codec.Msgpack, codec.Msgpack, codec.Msgpack)
		cl := tc.client(nil)
		benchWorkers(b, tc, cl, workers)
		b.ReportAllocs()
		for b.Loop() {
			res := cl.CallAll(ctx, "Work.Hello", "bench", newReply)
			check(b, len(res), firstErr(res, func(r cluster.Result) error { return r.Err }))
		}
	})
}

// firstErr is the first error among results.
func firstErr[R any](results []R, errOf func(R) error) error {
	for _, r := range results {
		if err := errOf(r); err != nil {
			return err
		}
	}
	return nil
}
