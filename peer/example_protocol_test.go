package peer_test

import (
	"context"
	"errors"
	"fmt"
	"net/rpc"

	"github.com/duplexrpc/duplex/codec"
	"github.com/duplexrpc/duplex/peer"
	"github.com/duplexrpc/duplex/transport"
)

// Tools is a service whose errors carry codes, whose handler reports
// progress, and which reads its caller's metadata.
type Tools struct{}

// Run fails with JSON-RPC's invalid-params code for a tool it lacks.
func (Tools) Run(name string, reply *string) error {
	if name != "echo" {
		return &peer.Error{Code: codec.CodeInvalidParams, Message: "unknown tool: " + name, Data: map[string]string{"tool": name}}
	}
	*reply = "ran " + name
	return nil
}

// Count reports each step as progress, then answers how many there were.
func (Tools) Count(ctx context.Context, n int, reply *int) error {
	for i := 1; i <= n; i++ {
		peer.ReportProgress(ctx, i)
	}
	*reply = n
	return nil
}

// Whoami answers the caller's "user" metadata.
func (Tools) Whoami(ctx context.Context, _ string, reply *string) error {
	*reply = peer.IncomingMetadata(ctx)["user"]
	return nil
}

// toolsPair connects a client to a peer serving Tools, over codec c.
func toolsPair(c codec.Codec, opts *peer.Options) (client, server *peer.Peer) {
	a, b := transport.Pipe()
	server, _ = peer.NewWithOptions(b, c, func(_ *peer.Peer, r *peer.Registry) error { return r.Register(Tools{}) }, opts)
	client, _ = peer.NewWithOptions(a, c, nil, opts)
	return client, server
}

// A handler's error chooses its code and data; the caller gets them with
// errors.As, and net/rpc-era code still sees an rpc.ServerError.
func ExampleError() {
	client, server := toolsPair(codec.JSONRPC2, nil)
	defer server.Close()
	defer client.Close()

	err := client.Call(context.Background(), "Tools.Run", "rm", new(string))
	var e *peer.Error
	if errors.As(err, &e) {
		var data map[string]string
		e.DecodeData(&data)
		fmt.Println(e.Code, e.Message, data["tool"])
	}
	var old rpc.ServerError
	fmt.Println(errors.As(err, &old), old)
	// Output:
	// -32602 unknown tool: rm rm
	// true unknown tool: rm
}

// A caller asks for progress; every value the handler reported reaches
// the callback, in order, before Call returns.
func ExampleWithProgress() {
	client, server := toolsPair(codec.Msgpack, nil)
	defer server.Close()
	defer client.Close()

	ctx := peer.WithProgress(context.Background(), func(step int) { fmt.Println("step", step) })
	var n int
	err := client.Call(ctx, "Tools.Count", 3, &n)
	fmt.Println(n, err)
	// Output:
	// step 1
	// step 2
	// step 3
	// 3 <nil>
}

// Metadata rides with a call on every codec; here in MCP's params._meta,
// over newline-delimited JSON-RPC 2.0 in the mcp dialect.
func ExampleWithMetadata() {
	client, server := toolsPair(codec.JSONRPC2Lines, &peer.Options{Dialect: codec.MCPDialect})
	defer server.Close()
	defer client.Close()

	ctx := peer.WithMetadata(context.Background(), peer.Metadata{"user": "ada"})
	var who string
	err := client.Call(ctx, "Tools.Whoami", "", &who)
	fmt.Println(who, err)
	// Output:
	// ada <nil>
}
