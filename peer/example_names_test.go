package peer_test

import (
	"context"
	"errors"
	"fmt"

	"github.com/duplexrpc/duplex/codec"
	"github.com/duplexrpc/duplex/peer"
	"github.com/duplexrpc/duplex/transport"
)

// Editor is the client half of a language-server-like protocol, in
// net/rpc's shape.
type Editor struct{}

// Section is one setting asked for.
type Section struct {
	Section string `json:"section"`
}

// Sections are the settings asked for.
type Sections struct {
	Items []Section `json:"items"`
}

// Configuration answers one setting per section asked for.
func (Editor) Configuration(params Sections, reply *[]string) error {
	for _, it := range params.Items {
		*reply = append(*reply, it.Section+": defaults")
	}
	return nil
}

// LSP names its methods "workspace/configuration", not "Service.Method":
// MapName gives a registered Go method its wire name, and a Go name the
// wire name it is called by.
func ExampleRegistry_MapName() {
	editorEnd, serverEnd := transport.Pipe()
	editor, _ := peer.New(editorEnd, codec.LSP, func(_ *peer.Peer, r *peer.Registry) error {
		return errors.Join(
			r.Register(Editor{}),
			r.MapName("workspace/configuration", "Editor.Configuration"), // served under its wire name
		)
	})
	defer editor.Close()
	server, _ := peer.New(serverEnd, codec.LSP, func(_ *peer.Peer, r *peer.Registry) error {
		return r.MapName("workspace/configuration", "Editor.Config") // a Go name for the other end's method
	})
	defer server.Close()

	ctx := context.Background()
	params := Sections{Items: []Section{{"gopls"}}}
	var byWire, byGoName []string
	server.Call(ctx, "workspace/configuration", params, &byWire) // sent as it is
	server.Call(ctx, "Editor.Config", params, &byGoName)         // sent as workspace/configuration
	fmt.Println(byWire, byGoName)

	err := server.Call(ctx, "workspace/nope", params, new(any))
	fmt.Println(err)
	// Output:
	// [gopls: defaults] [gopls: defaults]
	// rpc: service/method request ill-formed: workspace/nope
}
