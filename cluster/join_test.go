package cluster_test

import (
	"context"
	"crypto/tls"
	"errors"
	"net"
	"testing"
	"time"

	"github.com/duplexrpc/duplex/cluster"
	"github.com/duplexrpc/duplex/codec"
	"github.com/duplexrpc/duplex/peer"
	"github.com/duplexrpc/duplex/transport"
	"github.com/duplexrpc/duplex/transport/transporttest"
)

// bareMaster is a master over its own hub, with the hub options given.
func (tc *testCluster) bareMaster(id string, c codec.Codec, bind func(*cluster.Master) peer.Binder, hubOpts func(*cluster.Master) *peer.HubOptions, ln net.Listener) *cluster.Master {
	tc.t.Helper()
	m, err := cluster.NewMaster(tc.connect(), &cluster.MasterOptions{ID: id, Heartbeat: tc.beat})
	if err != nil {
		tc.t.Fatal(err)
	}
	var b peer.Binder
	if bind != nil {
		b = bind(m)
	}
	var o *peer.HubOptions
	if hubOpts != nil {
		o = hubOpts(m)
	}
	hub := peer.NewHub(c, b, o)
	served := make(chan error, 1)
	go func() { served <- hub.Serve(ln) }()
	tc.t.Cleanup(func() {
		m.Close()
		hub.Close()
		<-served
	})
	return m
}

// dialPlain connects a worker called name to addr, serving Work.
func dialPlain(t *testing.T, addr string, c codec.Codec, name string, opts *transport.Options) (*peer.Peer, *Work) {
	t.Helper()
	conn, err := transport.Dial(context.Background(), addr, opts)
	if err != nil {
		t.Fatal(err)
	}
	w := newWork(name)
	p, err := peer.New(conn, c, func(_ *peer.Peer, r *peer.Registry) error { return r.Register(w) })
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { p.Close() })
	return p, w
}

func listenTCP(t *testing.T) net.Listener {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	return ln
}

func hello(t *testing.T, cl *cluster.Client, name string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	var got string
	if err := cl.Call(ctx, name, "Work.Hello", "you", &got); err != nil || got != "hello you from "+name {
		t.Errorf("calling %s: %q, %v", name, got, err)
	}
}

// The master names a worker by asking it, by its TLS identity, or in its
// Binder.
func TestNamingHooks(t *testing.T) {
	tc := newCluster(t)
	cl := tc.client(nil)

	ln := listenTCP(t)
	tc.bareMaster("ask", codec.Msgpack, nil, func(m *cluster.Master) *peer.HubOptions {
		return &peer.HubOptions{OnConnect: m.OnConnect(cluster.AskName("Work.Name"))}
	}, ln)
	dialPlain(t, "tcp://"+ln.Addr().String(), codec.Msgpack, "asked", nil)

	ca := transporttest.NewCA(t, "cluster CA")
	server := ca.Issue(t, "master", "127.0.0.1")
	client := ca.Issue(t, "by-cert")
	tlsLn, err := transport.Listen(context.Background(), "tls://127.0.0.1:0", &transport.Options{TLSConfig: &tls.Config{
		Certificates: []tls.Certificate{server}, ClientAuth: tls.RequireAndVerifyClientCert, ClientCAs: ca.Pool(),
	}})
	if err != nil {
		t.Fatal(err)
	}
	tc.bareMaster("tls", codec.Msgpack, nil, func(m *cluster.Master) *peer.HubOptions {
		return &peer.HubOptions{OnConnect: m.OnConnect(cluster.TLSName)}
	}, tlsLn)
	dialPlain(t, "tls://"+tlsLn.Addr().String(), codec.Msgpack, "by-cert", &transport.Options{TLSConfig: &tls.Config{
		RootCAs: ca.Pool(), Certificates: []tls.Certificate{client},
	}})

	bindLn := listenTCP(t)
	tc.bareMaster("bind", codec.JSONRPC2, func(m *cluster.Master) peer.Binder {
		return func(p *peer.Peer, _ *peer.Registry) error { return m.Add("bound", p) }
	}, nil, bindLn)
	dialPlain(t, "tcp://"+bindLn.Addr().String(), codec.JSONRPC2, "bound", nil)

	waitWorkers(t, cl, map[string]string{"asked": "ask", "by-cert": "tls", "bound": "bind"}, 5*time.Second)
	hello(t, cl, "asked")
	hello(t, cl, "by-cert")
	hello(t, tc.client(codec.JSONRPC2), "bound")

	// TLSName on a connection without TLS is an error, not a panic.
	plainLn := listenTCP(t)
	named := make(chan error, 1)
	tc.bareMaster("plain", codec.Msgpack, nil, func(m *cluster.Master) *peer.HubOptions {
		return &peer.HubOptions{OnConnect: func(p *peer.Peer) {
			_, err := cluster.TLSName(context.Background(), p)
			named <- err
		}}
	}, plainLn)
	dialPlain(t, "tcp://"+plainLn.Addr().String(), codec.Msgpack, "x", nil)
	if err := <-named; err == nil {
		t.Error("TLSName of a TCP connection succeeded")
	}
}

// A worker joins and leaves by handshake calls; a name taken again moves
// to the newer connection; Add refuses what it cannot relay.
func TestJoinLeaveAndAdd(t *testing.T) {
	tc := newCluster(t, codec.Msgpack)
	cl := tc.client(nil)
	addr := "tcp://" + tc.masters[0].addr
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()

	p1, w1 := dialPlain(t, addr, codec.Msgpack, "one", nil)
	if master, err := cluster.Join(ctx, p1, "x"); err != nil || master != "m0" {
		t.Fatalf("Join: %q, %v", master, err)
	}
	waitWorkers(t, cl, map[string]string{"x": "m0"}, 2*time.Second)
	p2, w2 := dialPlain(t, addr, codec.Msgpack, "two", nil)
	if _, err := cluster.Join(ctx, p2, "x"); err != nil {
		t.Fatal(err)
	}
	var got string
	if err := cl.Call(ctx, "x", "Work.Echo", "1", &got); err != nil || got != "two:1" {
		t.Errorf("x after the second join: %q, %v; want the newer worker", got, err)
	}
	if w1.runs("1") != 0 || w2.runs("1") != 1 {
		t.Error("the call went to the older worker")
	}
	if err := p1.Call(ctx, cluster.ServiceName+".Leave", "x", nil); err != nil {
		t.Fatal(err)
	}
	if err := cl.Call(ctx, "x", "Work.Echo", "2", &got); err != nil || got != "two:2" {
		t.Errorf("x after a Leave by a worker that no longer held it: %q, %v", got, err)
	}
	if err := p2.Call(ctx, cluster.ServiceName+".Leave", "x", nil); err != nil {
		t.Fatal(err)
	}
	if err := cl.Call(ctx, "x", "Work.Echo", "3", &got); !errors.Is(err, cluster.ErrNoWorker) {
		t.Errorf("x after its Leave: got %v, want ErrNoWorker", err)
	}
	if _, err := cluster.Join(ctx, p1, "bad.name"); err == nil {
		t.Error("joining as bad.name succeeded")
	}

	m := tc.masters[0].m
	a, b := net.Pipe()
	defer b.Close()
	gobPeer, err := peer.New(a, codec.Gob, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer gobPeer.Close()
	if err := m.Add("g", gobPeer); !errors.Is(err, cluster.ErrCodec) {
		t.Errorf("adding a gob worker: got %v, want ErrCodec", err)
	}
	if err := m.Add("n", nil); err == nil {
		t.Error("adding a nil peer succeeded")
	}
	if m.Remove("nobody") {
		t.Error("Remove of a name never added reported true")
	}
	if _, err := cluster.NewMaster(nil, nil); err == nil {
		t.Error("NewMaster(nil) succeeded")
	}
	if _, err := cluster.NewMaster(tc.connect(), &cluster.MasterOptions{ID: "a.b"}); !errors.Is(err, cluster.ErrBadName) {
		t.Errorf("a master ID with a dot: got %v, want ErrBadName", err)
	}
	if _, err := cluster.NewMaster(tc.connect(), &cluster.MasterOptions{Prefix: "a..b"}); !errors.Is(err, cluster.ErrBadName) {
		t.Errorf("a prefix with an empty token: got %v, want ErrBadName", err)
	}
	m.Close()
	if err := m.Add("late", p1); !errors.Is(err, cluster.ErrClosed) {
		t.Errorf("Add after Close: got %v, want ErrClosed", err)
	}
}

// Calls racing a Leave are each answered, by the worker or with
// ErrNoWorker; none is dropped to wait out its context, which is what
// happened to a call NATS had routed to the master before the server took
// its unsubscribe.
func TestCallsRacingLeaveAreAnswered(t *testing.T) {
	tc := newCluster(t, codec.Msgpack)
	cl := tc.client(nil)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	p, _ := dialPlain(t, "tcp://"+tc.masters[0].addr, codec.Msgpack, "racer", nil)
	if _, err := cluster.Join(ctx, p, "racer"); err != nil {
		t.Fatal(err)
	}
	waitWorkers(t, cl, map[string]string{"racer": "m0"}, 2*time.Second)

	const callers = 4
	answered := make(chan struct{}, 1)
	errs := make(chan error, callers)
	for range callers {
		go func() {
			for {
				callCtx, stop := context.WithTimeout(ctx, 3*time.Second)
				var got string
				err := cl.Call(callCtx, "racer", "Work.Echo", "r", &got)
				stop()
				switch {
				case err == nil:
					select {
					case answered <- struct{}{}:
					default:
					}
				case errors.Is(err, cluster.ErrNoWorker):
					errs <- nil
					return
				default:
					errs <- err
					return
				}
			}
		}()
	}
	<-answered // the callers are under way
	if err := p.Call(ctx, cluster.ServiceName+".Leave", "racer", nil); err != nil {
		t.Fatal(err)
	}
	for range callers {
		if err := <-errs; err != nil {
			t.Errorf("a call racing the Leave: got %v, want a reply or ErrNoWorker", err)
		}
	}
}
