package main

import (
	"context"
	"fmt"
	"os"

	"github.com/duplexrpc/duplex/codec"
	"github.com/duplexrpc/duplex/peer"
	"github.com/duplexrpc/duplex/transport"
)

// runWorker dials the master at addr and serves it the files under root
// until the master closes the connection or ctx ends.
func runWorker(ctx context.Context, addr string, c codec.Codec, root string, out *printer) error {
	r, err := os.OpenRoot(root)
	if err != nil {
		return fmt.Errorf("-root: %w", err)
	}
	defer r.Close()
	dialCtx, cancel := context.WithTimeout(ctx, callTimeout)
	conn, err := transport.Dial(dialCtx, addr, nil)
	cancel()
	if err != nil {
		return err
	}
	p, err := peer.New(conn, c, func(_ *peer.Peer, reg *peer.Registry) error {
		return reg.Register(&Files{root: r, out: out})
	})
	if err != nil {
		return err
	}
	out.say("worker: connected to %s, serving %s", addr, root)
	select {
	case <-p.Done():
		p.Close() // waits for the handlers still running
		out.say("worker: the master closed the connection")
		return nil
	case <-ctx.Done():
		p.Close()
		return nil
	}
}
