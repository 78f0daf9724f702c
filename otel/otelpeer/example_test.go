package otelpeer_test

import (
	"context"
	"fmt"
	"log"
	"net"

	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"

	"github.com/duplexrpc/duplex/codec"
	"github.com/duplexrpc/duplex/otel/otelpeer"
	"github.com/duplexrpc/duplex/peer"
)

// Both ends install one Instrumentation each: the master's call to the
// worker, the worker's call back to the master, and the master's call to
// the worker again are one trace.
func Example() {
	spans := tracetest.NewInMemoryExporter()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSyncer(spans))
	defer tp.Shutdown(context.Background())

	traced := func() *peer.Options {
		in, err := otelpeer.New(&otelpeer.Options{TracerProvider: tp})
		if err != nil {
			log.Fatal(err)
		}
		var o peer.Options
		in.Install(&o)
		return &o
	}
	a, b := net.Pipe()
	master, _ := peer.NewWithOptions(a, codec.JSONRPC2, register(Master{}), traced())
	worker, _ := peer.NewWithOptions(b, codec.JSONRPC2, register(Worker{}), traced())
	defer worker.Close()
	defer master.Close()

	var reply string
	if err := master.Call(context.Background(), "Worker.Work", "job 1", &reply); err != nil {
		log.Fatal(err)
	}
	fmt.Println(reply)

	byID := map[string]string{}
	for _, s := range spans.GetSpans() {
		byID[s.SpanContext.SpanID().String()] = s.Name + " (" + s.SpanKind.String() + ")"
	}
	for _, s := range spans.GetSpans() { // in the order they ended
		parent := byID[s.Parent.SpanID().String()]
		if parent == "" {
			parent = "none"
		}
		fmt.Printf("%s (%s) ← %s\n", s.Name, s.SpanKind, parent)
	}
	// Output:
	// worked: looked up leaf job 1
	// Worker.Leaf (server) ← Worker.Leaf (client)
	// Worker.Leaf (client) ← Master.Lookup (server)
	// Master.Lookup (server) ← Master.Lookup (client)
	// Master.Lookup (client) ← Worker.Work (server)
	// Worker.Work (server) ← Worker.Work (client)
	// Worker.Work (client) ← none
}
