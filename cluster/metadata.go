package cluster

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/nats-io/nats.go"

	"github.com/duplexrpc/duplex/codec"
	"github.com/duplexrpc/duplex/peer"
)

// How a call's metadata crosses the cluster (docs/cluster.md §3): the
// caller's peer.OutgoingMetadata travels in one header, Duplex-Meta, as a
// JSON object of strings, and the master sends it with its call to the
// worker (peer.WithMetadata), whose handler reads it with
// peer.IncomingMetadata as if the caller were connected to it. So a trace
// context crosses NATS and the master unchanged.
//
// One header for all, not one per key: a NATS header key may not hold
// '/', ':' and other characters that metadata keys have (MCP's
// "io.modelcontextprotocol/…"), and nats.go trims the spaces around a
// value and replaces its line breaks. JSON carries any key and value
// exactly, on one line.

// setMetadata puts the metadata calls made with ctx send in h.
func setMetadata(ctx context.Context, h nats.Header) error {
	md := peer.OutgoingMetadata(ctx)
	if len(md) == 0 {
		return nil
	}
	b, err := json.Marshal(md) // keys sorted; a string always encodes
	if err != nil {
		return fmt.Errorf("%w: cluster: metadata: %w", codec.ErrEncode, err)
	}
	h.Set(hMeta, string(b))
	return nil
}

// withMetadata returns ctx sending the metadata of msg, or an error for a
// header that is not a JSON object of strings.
func withMetadata(ctx context.Context, msg *nats.Msg) (context.Context, error) {
	v := headerOf(msg, hMeta)
	if v == "" {
		return ctx, nil
	}
	var md peer.Metadata
	if err := json.Unmarshal([]byte(v), &md); err != nil {
		return ctx, fmt.Errorf("cluster: a call's %s header is not a JSON object of strings: %w", hMeta, err)
	}
	return peer.WithMetadata(ctx, md), nil
}
