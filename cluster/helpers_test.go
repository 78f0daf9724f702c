package cluster_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats.go"

	"github.com/duplexrpc/duplex/cluster"
	"github.com/duplexrpc/duplex/cluster/internal/embedded"
	"github.com/duplexrpc/duplex/codec"
	"github.com/duplexrpc/duplex/peer"
)

// testCluster is a NATS server in the test process, masters each with
// their own NATS connection and hub on loopback, and workers that
// redial any master.
type testCluster struct {
	t       testing.TB
	srv     *embedded.Server
	beat    time.Duration
	masters []*testMaster
}

// testMaster is one master: what a master process holds.
type testMaster struct {
	id     string
	nc     *nats.Conn
	hub    *peer.Hub
	m      *cluster.Master
	addr   string
	served chan error
	once   sync.Once
}

// fastBeat is the heartbeat of the tests' masters and clients: a dead
// master is forgotten within 3 × 100 ms.
const fastBeat = 100 * time.Millisecond

// newCluster starts a NATS server and one master per codec in codecs,
// called m0, m1, …, with the tests' fast heartbeat.
func newCluster(t testing.TB, codecs ...codec.Codec) *testCluster {
	t.Helper()
	return newClusterBeat(t, fastBeat, codecs...)
}

// newClusterBeat is newCluster with the masters' and clients' heartbeat;
// zero is the default.
func newClusterBeat(t testing.TB, beat time.Duration, codecs ...codec.Codec) *testCluster {
	t.Helper()
	srv, err := embedded.Start()
	if err != nil {
		t.Fatal(err)
	}
	tc := &testCluster{t: t, srv: srv, beat: beat}
	t.Cleanup(func() {
		for _, m := range tc.masters {
			m.stop(true)
		}
		srv.Close()
	})
	for i, c := range codecs {
		tc.addMaster(fmt.Sprintf("m%d", i), c)
	}
	return tc
}

// connect opens a NATS connection that the test closes at its end.
func (tc *testCluster) connect() *nats.Conn {
	tc.t.Helper()
	nc, err := tc.srv.Connect(nats.MaxReconnects(0))
	if err != nil {
		tc.t.Fatal(err)
	}
	tc.t.Cleanup(nc.Close)
	return nc
}

func (tc *testCluster) addMaster(id string, c codec.Codec) *testMaster {
	tc.t.Helper()
	tm := &testMaster{id: id, nc: tc.connect(), served: make(chan error, 1)}
	m, err := cluster.NewMaster(tm.nc, &cluster.MasterOptions{ID: id, Heartbeat: tc.beat})
	if err != nil {
		tc.t.Fatal(err)
	}
	tm.m = m
	tm.hub = peer.NewHub(c, func(p *peer.Peer, r *peer.Registry) error {
		return r.RegisterName(cluster.ServiceName, m.Service())
	}, nil)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tc.t.Fatal(err)
	}
	tm.addr = ln.Addr().String()
	go func() { tm.served <- tm.hub.Serve(ln) }()
	tc.masters = append(tc.masters, tm)
	return tm
}

// stop ends the master: gracefully (Close: its clients are told), or as
// a crash (its NATS connection drops first, so nobody is told).
func (tm *testMaster) stop(graceful bool) {
	tm.once.Do(func() {
		if !graceful {
			tm.nc.Close()
		}
		tm.m.Close()
		tm.hub.Close()
		<-tm.served
		tm.nc.Close()
	})
}

// client returns a client of the cluster on a NATS connection of its own.
func (tc *testCluster) client(c codec.Codec) *cluster.Client {
	tc.t.Helper()
	cl, err := cluster.NewClient(tc.connect(), &cluster.ClientOptions{Codec: c, Heartbeat: tc.beat})
	if err != nil {
		tc.t.Fatal(err)
	}
	tc.t.Cleanup(func() { cl.Close() })
	return cl
}

// worker starts a worker called name that speaks c, dials the masters
// starting with masters[first], and joins whichever it reaches under its
// name. It is closed when the test ends.
func (tc *testCluster) worker(name string, c codec.Codec, first int) (*peer.Redialer, *Work) {
	tc.t.Helper()
	var addrs []string
	for i := range tc.masters {
		addrs = append(addrs, tc.masters[(first+i)%len(tc.masters)].addr)
	}
	w := newWork(name)
	var d net.Dialer
	r := peer.NewRedialer(peer.DialAny(func(ctx context.Context, addr string) (io.ReadWriteCloser, error) {
		return d.DialContext(ctx, "tcp", addr)
	}, addrs...), c, func(_ *peer.Peer, r *peer.Registry) error {
		return r.Register(w)
	}, &peer.RedialOptions{
		MinBackoff: 10 * time.Millisecond, MaxBackoff: 100 * time.Millisecond,
		OnConnect: func(p *peer.Peer) {
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			if _, err := cluster.Join(ctx, p, name); err != nil && p.Err() == nil {
				tc.t.Errorf("worker %s joining: %v", name, err)
			}
		},
	})
	tc.t.Cleanup(func() { r.Close() })
	return r, w
}

// waitWorkers waits until the client's Workers maps each name to its
// master as want does, and no other name is listed; it fails the test
// after limit.
func waitWorkers(t testing.TB, cl *cluster.Client, want map[string]string, limit time.Duration) time.Duration {
	t.Helper()
	start := time.Now()
	var got map[string]string
	for {
		ctx, cancel := context.WithTimeout(context.Background(), limit)
		list, err := cl.Workers(ctx)
		cancel()
		if err != nil {
			t.Fatalf("Workers: %v", err)
		}
		got = map[string]string{}
		for _, w := range list {
			got[w.Name] += w.Master
		}
		if mapsEqual(got, want) {
			return time.Since(start)
		}
		if time.Since(start) > limit {
			t.Fatalf("Workers after %v: got %v, want %v", limit, got, want)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func mapsEqual(a, b map[string]string) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if w, ok := b[k]; !ok || w != v {
			return false
		}
	}
	return true
}

// Work is the workers' service.
type Work struct {
	name string

	mu       sync.Mutex
	seen     map[string]int // Echo's arguments, with how often each came
	notified []string

	started   chan struct{} // Wait is running
	cancelled chan error    // Wait's context ended, with this error
	noticed   chan struct{} // a notification arrived
}

func newWork(name string) *Work {
	return &Work{name: name, seen: map[string]int{}, started: make(chan struct{}, 16), cancelled: make(chan error, 16), noticed: make(chan struct{}, 16)}
}

// Name answers the worker's name, for AskName.
func (w *Work) Name(_ any, reply *string) error {
	*reply = w.name
	return nil
}

// Hello greets: "hello ARG from NAME".
func (w *Work) Hello(arg string, reply *string) error {
	*reply = "hello " + arg + " from " + w.name
	return nil
}

// Echo answers "NAME:ARG" and counts how often each ARG came.
func (w *Work) Echo(arg string, reply *string) error {
	w.mu.Lock()
	w.seen[arg]++
	w.mu.Unlock()
	*reply = w.name + ":" + arg
	return nil
}

// runs returns how often Echo ran with arg.
func (w *Work) runs(arg string) int {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.seen[arg]
}

// duplicates returns the ARGs Echo ran with more than once.
func (w *Work) duplicates() []string {
	w.mu.Lock()
	defer w.mu.Unlock()
	var dup []string
	for arg, n := range w.seen {
		if n > 1 {
			dup = append(dup, arg)
		}
	}
	slices.Sort(dup)
	return dup
}

// Wait blocks until its context ends, and reports how it did.
func (w *Work) Wait(ctx context.Context, _ int, _ *int) error {
	w.started <- struct{}{}
	<-ctx.Done()
	w.cancelled <- ctx.Err()
	return ctx.Err()
}

// Fail fails.
func (w *Work) Fail(_ int, _ *int) error { return errors.New("it failed on " + w.name) }

// Note takes a notification.
func (w *Work) Note(arg string, _ *struct{}) error {
	w.mu.Lock()
	w.notified = append(w.notified, arg)
	w.mu.Unlock()
	w.noticed <- struct{}{}
	return nil
}

// Big answers n bytes.
func (w *Work) Big(n int, reply *[]byte) error {
	*reply = make([]byte, n)
	return nil
}

// Count streams 1 to n: a stream, which a cluster does not relay.
func (w *Work) Count(ctx context.Context, n int, out *peer.Stream[int]) error {
	w.mu.Lock()
	w.seen["Count"]++
	w.mu.Unlock()
	for i := 1; i <= n; i++ {
		if err := out.Send(i); err != nil {
			return err
		}
	}
	return nil
}

// Nested echoes a nested value.
func (w *Work) Nested(n Nested, reply *Nested) error {
	*reply = n
	return nil
}

// Nested is a value with the shapes a body may have.
type Nested struct {
	Name   string           `json:"name"`
	Tags   []string         `json:"tags"`
	Counts map[string]int   `json:"counts"`
	Inner  *struct{ X int } `json:"inner"`
}

// containsAll reports whether s contains every one of subs.
func containsAll(s string, subs ...string) bool {
	for _, sub := range subs {
		if !strings.Contains(s, sub) {
			return false
		}
	}
	return true
}
