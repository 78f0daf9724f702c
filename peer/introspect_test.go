package peer_test

import (
	"context"
	"errors"
	"net/rpc"
	"reflect"
	"testing"
	"time"

	"github.com/duplexrpc/duplex/codec"
	"github.com/duplexrpc/duplex/internal/rpctest"
	"github.com/duplexrpc/duplex/peer"
)

// Point and Tagged have the shapes introspection must describe.
type Point struct{ X, Y int }

// Tagged has json tags, an embedded struct, a recursive field, a type that
// encodes itself and fields that are not sent.
type Tagged struct {
	Name string `json:"name,omitempty"`
	Skip int    `json:"-"`
	Point
	When   time.Time `json:"when"`
	Data   []byte
	Tags   map[string][]float64
	Any    any
	Next   *Tagged
	hidden int
}

// Shapes has one method, with a shape of each kind.
type Shapes struct{}

func (Shapes) Get(args *Tagged, reply *[]Point) error { return nil }

// The introspection service answers what the registry serves, with the
// shapes of the arguments and replies, over every codec.
func TestIntrospection(t *testing.T) {
	want := []peer.MethodDescription{
		{Name: "Arith.Divide", Args: `{"A": int, "B": int}`, Reply: `{"Quo": int, "Rem": int}`, ArgsType: "*rpctest.Args", ReplyType: "*rpctest.Quotient"},
		{Name: "Arith.Multiply", Args: `{"A": int, "B": int}`, Reply: "int", ArgsType: "*rpctest.Args", ReplyType: "*int"},
		{
			Name:      "Shapes.Get",
			Args:      `{"name": string, "X": int, "Y": int, "when": time.Time, "Data": bytes, "Tags": {string: [float64]}, "Any": any, "Next": peer_test.Tagged}`,
			Reply:     `[{"X": int, "Y": int}]`,
			ArgsType:  "*peer_test.Tagged",
			ReplyType: "*[]peer_test.Point",
		},
		{Name: "duplex.Methods", Args: "string", Reply: `[{"name": string, "args": string, "reply": string, "argsType": string, "replyType": string}]`, ArgsType: "peer.MethodPrefix", ReplyType: "*[]peer.MethodDescription"},
	}
	for _, c := range codec.All() {
		t.Run(c.Name(), func(t *testing.T) {
			a, _ := peerPair(t, c, nil, func(_ *peer.Peer, r *peer.Registry) error {
				return errors.Join(r.Register(new(rpctest.Arith)), r.Register(Shapes{}), r.RegisterIntrospection())
			})
			var got []peer.MethodDescription
			if err := a.Call(context.Background(), peer.IntrospectionMethod, "", &got); err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, want) {
				t.Fatalf("got\n%+v\nwant\n%+v", got, want)
			}
			if err := a.Call(context.Background(), peer.IntrospectionMethod, "Arith.M", &got); err != nil || len(got) != 1 || got[0].Name != "Arith.Multiply" {
				t.Fatalf(`with the prefix "Arith.M": %+v, %v; want Arith.Multiply alone`, got, err)
			}
			// No params at all: the whole list, though params are checked
			// (gob has no list of params: a Go type is its one value).
			var all []peer.MethodDescription
			if c == codec.Gob {
				return
			}
			if err := a.Call(context.Background(), peer.IntrospectionMethod, codec.Params{}, &all); err != nil || len(all) != len(want) {
				t.Fatalf("without params: %d methods, %v; want %d", len(all), err, len(want))
			}
		})
	}
}

// Introspection is off unless the binder turns it on.
func TestIntrospectionIsOptIn(t *testing.T) {
	a, _ := peerPair(t, codec.JSONRPC2, nil, bindTestServices())
	var got []peer.MethodDescription
	err := a.Call(context.Background(), peer.IntrospectionMethod, "", &got)
	if want := rpc.ServerError("rpc: can't find service " + peer.IntrospectionMethod); !errors.Is(err, want) {
		t.Fatalf("got %v; want %v", err, want)
	}
}
