// Command trace runs a master and a worker in one process and traces a
// reverse call nested twice: the master calls the worker, whose handler
// calls the master back, whose handler calls the worker again. It prints
// the finished spans, one trace, as JSON lines with OpenTelemetry's
// stdout exporter, and exits 0.
//
//	go run ./examples/trace [-codec msgpack]
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log"
	"net"
	"os"
	"strings"
	"time"

	"go.opentelemetry.io/otel/exporters/stdout/stdouttrace"
	"go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	semconv "go.opentelemetry.io/otel/semconv/v1.43.0"
	"go.opentelemetry.io/otel/trace"

	"github.com/duplexrpc/duplex/codec"
	"github.com/duplexrpc/duplex/otel/otelpeer"
	"github.com/duplexrpc/duplex/peer"
)

func main() {
	name := flag.String("codec", "msgpack", "the codec: "+strings.Join(codec.Names(), ", "))
	timeout := flag.Duration("timeout", 30*time.Second, "give up after this long")
	flag.Parse()
	c, err := codecNamed(*name)
	if err != nil {
		log.Fatal(err)
	}
	exporter, err := stdouttrace.New(stdouttrace.WithWriter(os.Stdout))
	if err != nil {
		log.Fatal(err)
	}
	tp := sdktrace.NewTracerProvider(sdktrace.WithSyncer(exporter),
		sdktrace.WithResource(resource.NewSchemaless(semconv.ServiceName("duplex-trace-example"))))
	ctx, cancel := context.WithTimeout(context.Background(), *timeout)
	defer cancel()
	reply, err := run(ctx, c, tp)
	if serr := tp.Shutdown(context.Background()); err == nil {
		err = serr
	}
	if err != nil {
		log.Fatal(err)
	}
	fmt.Fprintln(os.Stderr, reply)
}

func codecNamed(name string) (codec.Codec, error) {
	for _, c := range codec.All() {
		if c.Name() == name {
			return c, nil
		}
	}
	return nil, fmt.Errorf("trace: no codec %q (have %s)", name, strings.Join(codec.Names(), ", "))
}

// run starts the master and the worker, traced by tp, makes the nested
// call in a span of its own, and stops both. It returns the call's reply.
func run(ctx context.Context, c codec.Codec, tp trace.TracerProvider) (string, error) {
	traced := func() (*peer.Options, error) {
		in, err := otelpeer.New(&otelpeer.Options{TracerProvider: tp})
		if err != nil {
			return nil, err
		}
		var o peer.Options
		in.Install(&o)
		return &o, nil
	}
	masterOpts, err := traced()
	if err != nil {
		return "", err
	}
	workerOpts, err := traced()
	if err != nil {
		return "", err
	}

	// The master: a hub whose peers serve Master.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	joined := make(chan *peer.Peer, 1)
	hub := peer.NewHub(c, func(_ *peer.Peer, r *peer.Registry) error {
		return r.Register(Master{})
	}, &peer.HubOptions{Peer: masterOpts, OnConnect: func(p *peer.Peer) { joined <- p }})
	served := make(chan error, 1)
	go func() { served <- hub.Serve(ln) }()
	defer func() {
		hub.Shutdown(context.Background())
		<-served
	}()

	// The worker: dials the master and serves Worker.
	var d net.Dialer
	worker := peer.NewRedialer(func(ctx context.Context) (io.ReadWriteCloser, error) {
		return d.DialContext(ctx, "tcp", ln.Addr().String())
	}, c, func(_ *peer.Peer, r *peer.Registry) error {
		return r.Register(Worker{})
	}, &peer.RedialOptions{Peer: workerOpts})
	defer worker.Close()

	var w *peer.Peer
	select {
	case w = <-joined:
	case <-ctx.Done():
		return "", fmt.Errorf("trace: the worker did not connect: %w", ctx.Err())
	}

	ctx, span := tp.Tracer("duplex-trace-example").Start(ctx, "job")
	defer span.End()
	var reply string
	if err := w.Call(ctx, "Worker.Work", "job 1", &reply); err != nil { // master → worker
		return "", fmt.Errorf("trace: Worker.Work: %w", err)
	}
	return reply, nil
}

// Master is the master's service.
type Master struct{}

// Lookup calls the worker that called it back, once more.
func (Master) Lookup(ctx context.Context, key string, reply *string) error {
	w, ok := peer.FromContext(ctx)
	if !ok {
		return errors.New("trace: no peer")
	}
	var leaf string
	if err := w.Call(ctx, "Worker.Leaf", key, &leaf); err != nil { // master → worker, nested
		return err
	}
	*reply = "looked up " + leaf
	return nil
}

// Worker is the worker's service.
type Worker struct{}

// Work calls the master back before it answers.
func (Worker) Work(ctx context.Context, job string, reply *string) error {
	m, ok := peer.FromContext(ctx)
	if !ok {
		return errors.New("trace: no peer")
	}
	var found string
	if err := m.Call(ctx, "Master.Lookup", job, &found); err != nil { // worker → master
		return err
	}
	*reply = "worked on " + job + ": " + found
	return nil
}

// Leaf answers at once.
func (Worker) Leaf(key string, reply *string) error {
	*reply = "leaf " + key
	return nil
}
