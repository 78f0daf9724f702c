package otelpeer_test

import (
	"context"
	"errors"
	"io"
	"net"
	"testing"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"

	"github.com/duplexrpc/duplex/cluster"
	"github.com/duplexrpc/duplex/codec"
	"github.com/duplexrpc/duplex/otel/otelpeer"
	"github.com/duplexrpc/duplex/peer"
)

// startNATS runs a NATS server in the process on 127.0.0.1, on a port the
// system picks, until the test ends.
func startNATS(t *testing.T) *server.Server {
	t.Helper()
	s, err := server.NewServer(&server.Options{Host: "127.0.0.1", Port: server.RANDOM_PORT, NoLog: true, NoSigs: true})
	if err != nil {
		t.Fatal(err)
	}
	s.Start()
	t.Cleanup(func() {
		s.Shutdown()
		s.WaitForShutdown()
	})
	if !s.ReadyForConnections(10 * time.Second) {
		t.Fatal("the NATS server did not start within 10s")
	}
	return s
}

func natsConn(t *testing.T, s *server.Server) *nats.Conn {
	t.Helper()
	nc, err := nats.Connect(s.ClientURL(), nats.MaxReconnects(0))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(nc.Close)
	return nc
}

// Hello is the worker's service through the cluster.
type Hello struct{}

func (Hello) Hello(s string, reply *string) error {
	*reply = "hello " + s
	return nil
}

func (Hello) Coded(_ int, _ *int) error { return &peer.Error{Code: 4242, Message: "coded"} }

// A caller's call through cluster.Client crosses NATS and the master to
// the worker as one trace: the worker's server span is the child of the
// master's relayed client span, itself the child of the caller's client
// span, when the master's hub is traced; of the caller's span directly
// when it is not. A worker's error code reaches the caller's span.
func TestTraceCrossesTheCluster(t *testing.T) {
	for _, tracedMaster := range []bool{true, false} {
		name := "traced master"
		if !tracedMaster {
			name = "untraced master"
		}
		t.Run(name, func(t *testing.T) {
			tm := newTelemetry(t)
			srv := startNATS(t)

			m, err := cluster.NewMaster(natsConn(t, srv), &cluster.MasterOptions{ID: "m0", Heartbeat: 100 * time.Millisecond})
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { m.Close() })
			var hubPeer *peer.Options
			if tracedMaster {
				hubPeer = tm.instrument(t, nil)
			}
			hub := peer.NewHub(codec.Msgpack, func(_ *peer.Peer, r *peer.Registry) error {
				return r.RegisterName(cluster.ServiceName, m.Service())
			}, &peer.HubOptions{Peer: hubPeer})
			ln, err := net.Listen("tcp", "127.0.0.1:0")
			if err != nil {
				t.Fatal(err)
			}
			served := make(chan error, 1)
			go func() { served <- hub.Serve(ln) }()
			t.Cleanup(func() {
				hub.Close()
				<-served
			})

			joined := make(chan error, 1)
			var d net.Dialer
			worker := peer.NewRedialer(func(ctx context.Context) (io.ReadWriteCloser, error) {
				return d.DialContext(ctx, "tcp", ln.Addr().String())
			}, codec.Msgpack, register(Hello{}), &peer.RedialOptions{
				Peer: tm.instrument(t, nil),
				OnConnect: func(p *peer.Peer) {
					ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
					defer cancel()
					_, err := cluster.Join(ctx, p, "w1")
					joined <- err
				},
			})
			t.Cleanup(func() { worker.Close() })
			if err := <-joined; err != nil {
				t.Fatal(err)
			}

			client, err := cluster.NewClient(natsConn(t, srv), &cluster.ClientOptions{Heartbeat: 100 * time.Millisecond})
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { client.Close() })
			caller, err := otelpeer.New(&tm.options)
			if err != nil {
				t.Fatal(err)
			}

			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			ctx, root := tm.tp.Tracer("test").Start(ctx, "caller")
			var reply string
			err = caller.Call(ctx, codec.Msgpack, "Hello.Hello", func(ctx context.Context) error {
				return client.Call(ctx, "w1", "Hello.Hello", "cluster", &reply)
			})
			if err != nil || reply != "hello cluster" {
				t.Fatalf("Hello.Hello: %q, %v", reply, err)
			}
			var pe *peer.Error
			err = caller.Call(ctx, codec.Msgpack, "Hello.Coded", func(ctx context.Context) error {
				return client.Call(ctx, "w1", "Hello.Coded", 0, new(int))
			})
			if !errors.As(err, &pe) || pe.Code != 4242 {
				t.Fatalf("Hello.Coded: got %v, want a *peer.Error with code 4242", err)
			}
			root.End()

			for _, method := range []string{"Hello.Hello", "Hello.Coded"} {
				spans := inTrace(tm.spans.GetSpans(), root.SpanContext().TraceID())
				var clients []tracetest.SpanStub
				for _, s := range spans {
					if s.Name == method && s.SpanKind == trace.SpanKindClient {
						clients = append(clients, s)
					}
				}
				server := span(t, spans, method, trace.SpanKindServer) // the worker's
				var chain []tracetest.SpanStub
				switch {
				case tracedMaster && len(clients) == 2:
					first, relayed := clients[0], clients[1]
					if relayed.Parent.SpanID() != first.SpanContext.SpanID() {
						first, relayed = relayed, first
					}
					chain = []tracetest.SpanStub{span(t, spans, "caller", trace.SpanKindInternal), first, relayed, server}
				case !tracedMaster && len(clients) == 1:
					chain = []tracetest.SpanStub{span(t, spans, "caller", trace.SpanKindInternal), clients[0], server}
				default:
					t.Fatalf("%s: %d client spans in the trace (%v)", method, len(clients), names(spans))
				}
				for i := 1; i < len(chain); i++ {
					if got, want := chain[i].Parent.SpanID(), chain[i-1].SpanContext.SpanID(); got != want {
						t.Errorf("%s: span %d (%s/%v) has parent %s, want %s", method, i, chain[i].Name, chain[i].SpanKind, got, want)
					}
				}
				if method == "Hello.Coded" {
					for _, s := range chain[1:] {
						checkOutcome(t, s, "4242", "4242", true, false)
					}
				}
			}
		})
	}
}

// inTrace returns the spans of one trace.
func inTrace(spans tracetest.SpanStubs, id trace.TraceID) tracetest.SpanStubs {
	var in tracetest.SpanStubs
	for _, s := range spans {
		if s.SpanContext.TraceID() == id {
			in = append(in, s)
		}
	}
	return in
}
