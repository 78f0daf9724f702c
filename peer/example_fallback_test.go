package peer_test

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/duplexrpc/duplex/codec"
	"github.com/duplexrpc/duplex/peer"
	"github.com/duplexrpc/duplex/transport"
)

// A fallback answers methods no service has, whatever their names: here it
// echoes the params it gets, as raw JSON.
func ExampleSetFallback() {
	a, b := transport.Pipe()
	echo, _ := peer.New(a, codec.JSONRPC2, func(_ *peer.Peer, r *peer.Registry) error {
		peer.SetFallback(r, func(_ context.Context, method string, args json.RawMessage, reply *json.RawMessage) error {
			*reply = json.RawMessage(fmt.Sprintf(`{"method": %q, "args": %s}`, method, args))
			return nil
		})
		return nil
	})
	defer echo.Close()
	caller, _ := peer.New(b, codec.JSONRPC2, nil)
	defer caller.Close()

	ctx := context.Background()
	var one, several json.RawMessage
	caller.Call(ctx, "anything/at.all", "hi", &one)
	caller.Call(ctx, "Any.Method", codec.Params{1, 2}, &several)
	fmt.Println(string(one))
	fmt.Println(string(several))
	// Output:
	// {"method":"anything/at.all","args":"hi"}
	// {"method":"Any.Method","args":[1,2]}
}

// A peer that opts in to introspection tells callers what it serves and
// what to send.
func ExampleRegistry_RegisterIntrospection() {
	a, b := transport.Pipe()
	server, _ := peer.New(a, codec.Msgpack, func(_ *peer.Peer, r *peer.Registry) error {
		if err := r.RegisterIntrospection(); err != nil {
			return err
		}
		return r.Register(Shout{})
	})
	defer server.Close()
	caller, _ := peer.New(b, codec.Msgpack, nil)
	defer caller.Close()

	var methods []peer.MethodDescription
	if err := caller.Call(context.Background(), peer.IntrospectionMethod, "", &methods); err != nil {
		fmt.Println(err)
	}
	for _, m := range methods {
		fmt.Println(m.Name, m.Args, "->", m.Reply)
	}
	// Output:
	// Shout.Up string -> string
	// duplex.Methods string -> [{"name": string, "args": string, "reply": string, "argsType": string, "replyType": string}]
}
