package peer_test

import (
	"context"
	"errors"
	"testing"

	"github.com/duplexrpc/duplex/codec"
	"github.com/duplexrpc/duplex/peer"
)

// CallEach calls the peers it is given, and only those, with results in
// their order; a nil peer fails alone.
func TestCallEachCallsTheGivenPeers(t *testing.T) {
	a, _ := peerPair(t, codec.Msgpack, nil, bindTestServices(&Name{"a"}))
	peerPair(t, codec.Msgpack, nil, bindTestServices(&Name{"b"})) // not called
	c, _ := peerPair(t, codec.Msgpack, nil, bindTestServices(&Name{"c"}))
	results := peer.CallEach(context.Background(), []*peer.Peer{c, nil, a}, "Name.Get", 0, func() any { return new(string) })
	if len(results) != 3 {
		t.Fatalf("got %d results, want 3", len(results))
	}
	for i, want := range []string{"c", "", "a"} {
		r := results[i]
		if want == "" {
			if r.Peer != nil || !errors.Is(r.Err, peer.ErrClosed) {
				t.Errorf("result %d, of a nil peer: %+v; want ErrClosed", i, r)
			}
			continue
		}
		if r.Err != nil || *r.Reply.(*string) != want {
			t.Errorf("result %d = %q, %v; want %q", i, *r.Reply.(*string), r.Err, want)
		}
	}
}
