package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/duplexrpc/duplex/codec"
	"github.com/duplexrpc/duplex/transport"
)

// notes is the small file of the demo, streamed whole.
var notes = []string{
	"A worker dials out; its master calls in.",
	"The master asks for a file, the worker streams its lines.",
	"No line is sent before the master has room for it.",
	"Breaking off cancels the stream on the wire.",
}

// bigLines is the length of the demo's long file, of which the master
// takes only the first headLines lines.
const (
	bigLines  = 100_000
	headLines = 3
)

// demo runs a master and a worker in one process, over TCP on loopback:
// the worker serves a directory made for the demo, the master streams
// one file of it whole and breaks off another after a few lines. It
// returns once both streams have ended.
func demo(ctx context.Context, c codec.Codec, out *printer) error {
	root, err := os.MkdirTemp("", "streams-demo")
	if err != nil {
		return err
	}
	defer os.RemoveAll(root)
	if err := writeDemoFiles(root); err != nil {
		return err
	}

	ln, err := transport.Listen(ctx, "127.0.0.1:0", nil)
	if err != nil {
		return err
	}
	addr := strings.TrimPrefix(ln.URL(), "tcp://")
	out.say("master: listening on %s (%s)", addr, c.Name())
	m := newMaster(c, masterOptions{asks: []ask{{path: "notes.txt"}, {path: "big.log", head: headLines}}}, out)
	fetched := make(chan struct{})
	m.done = func(int) { close(fetched) }
	served := make(chan error, 1)
	go func() { served <- m.hub.Serve(ln) }()
	defer func() {
		m.hub.Close()
		<-served
	}()

	ctx, stop := context.WithCancel(ctx)
	defer stop()
	worked := make(chan error, 1)
	go func() { worked <- runWorker(ctx, addr, c, root, out) }()
	select {
	case <-fetched:
	case err := <-worked: // the worker failed before the master was done
		if err == nil {
			err = errors.New("the worker ended before the master had its lines")
		}
		return err
	case <-ctx.Done():
		return ctx.Err()
	}
	m.hub.Close() // the worker hears the master close, and ends
	if err := <-worked; err != nil {
		return err
	}
	return nil
}

// writeDemoFiles writes the files the demo's worker serves.
func writeDemoFiles(root string) error {
	if err := os.WriteFile(filepath.Join(root, "notes.txt"), []byte(strings.Join(notes, "\n")+"\n"), 0o600); err != nil {
		return err
	}
	var b strings.Builder
	for i := 1; i <= bigLines; i++ {
		fmt.Fprintf(&b, "event %d\n", i)
	}
	return os.WriteFile(filepath.Join(root, "big.log"), []byte(b.String()), 0o600)
}
