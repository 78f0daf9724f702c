package main_test

import (
	"encoding/json"
	"testing"

	"github.com/duplexrpc/duplex/codec"
	"github.com/duplexrpc/duplex/peer"
)

// List prints the methods of a remote that serves introspection, over
// every codec and transport.
func TestList(t *testing.T) {
	for _, scheme := range schemes {
		for _, c := range codecs {
			t.Run(scheme+"/"+c.Name(), func(t *testing.T) {
				t.Parallel()
				s := startServer(t, listenURL(t, scheme), c, true, nil)
				duplexRun(t, "list", "-codec", c.Name(), s.url, "Echo.S").want(t, 0,
					"Echo.String  string  ->  string\n"+
						"Echo.Sum     [int]   ->  int\n")
			})
		}
	}
}

// -json prints what the remote sent, Go types included.
func TestListJSON(t *testing.T) {
	s := startServer(t, listenURL(t, "tcp"), codec.Msgpack, true, nil)
	r := duplexRun(t, "list", "-json", s.url)
	var got []peer.MethodDescription
	if err := json.Unmarshal([]byte(r.stdout), &got); r.code != 0 || err != nil {
		t.Fatalf("%v (%v)", r, err)
	}
	want := map[string]peer.MethodDescription{
		"Arith.Multiply": {Name: "Arith.Multiply", Args: `{"A": int, "B": int}`, Reply: "int", ArgsType: "*rpctest.Args", ReplyType: "*int"},
		"Sleep.Ms":       {Name: "Sleep.Ms", Args: "int", Reply: "string", ArgsType: "int", ReplyType: "*string"},
		"Echo.Nested": {Name: "Echo.Nested",
			Args:     `{"Name": string, "Tags": [string], "Counts": {string: int}, "Inner": {"X": float64, "Bytes": bytes}, "List": [{"X": float64, "Bytes": bytes}]}`,
			Reply:    `{"Name": string, "Tags": [string], "Counts": {string: int}, "Inner": {"X": float64, "Bytes": bytes}, "List": [{"X": float64, "Bytes": bytes}]}`,
			ArgsType: "rpctest.Nested", ReplyType: "*rpctest.Nested"},
	}
	found := 0
	for _, m := range got {
		if w, ok := want[m.Name]; ok {
			found++
			if m != w {
				t.Errorf("got %+v; want %+v", m, w)
			}
		}
	}
	if found != len(want) || len(got) != 14 {
		t.Errorf("got %d methods, %d of those wanted: %+v", len(got), found, got)
	}
}

// A remote that did not opt in to introspection is a remote error, which
// says so.
func TestListWithoutIntrospection(t *testing.T) {
	s := startServer(t, listenURL(t, "tcp"), codec.Msgpack, false, nil)
	duplexRun(t, "list", s.url).want(t, 1, "", "the remote does not serve introspection")
}
