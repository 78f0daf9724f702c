package peer_test

import (
	"context"
	"errors"
	"io"
	"net"
	"reflect"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/duplexrpc/duplex/codec"
	"github.com/duplexrpc/duplex/peer"
)

// A worker given two masters moves to the other one when its master goes,
// and serves there.
func TestDialAnyFailsOver(t *testing.T) {
	hubA, addrA := startHub(t, codec.Msgpack, nil, nil)
	hubB, addrB := startHub(t, codec.Msgpack, nil, nil)
	var d net.Dialer
	dial := peer.DialAny(func(ctx context.Context, addr string) (io.ReadWriteCloser, error) {
		return d.DialContext(ctx, "tcp", addr)
	}, addrA, addrB)
	r := peer.NewRedialer(dial, codec.Msgpack, func(_ *peer.Peer, s *peer.Registry) error {
		return s.Register(&Name{"w"})
	}, &peer.RedialOptions{MinBackoff: 5 * time.Millisecond, MaxBackoff: 20 * time.Millisecond})
	defer r.Close()

	waitFor(t, "the worker at the first master", func() bool { return hubA.Len() == 1 })
	hubA.Close()
	waitFor(t, "the worker at the second master", func() bool { return hubB.Len() == 1 })

	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	res := hubB.CallAll(ctx, "Name.Get", 0, func() any { return new(string) })
	if len(res) != 1 || res[0].Err != nil || *res[0].Reply.(*string) != "w" {
		t.Fatalf("the second master calling the worker: %+v", res)
	}
	if got := res[0].Peer.Codec(); got != codec.Msgpack {
		t.Errorf("Peer.Codec() = %v, want msgpack", got)
	}
}

// Each dial starts after the address that last connected, tries each
// address once, and says which ones failed.
func TestDialAnyRotates(t *testing.T) {
	var tried []string
	down := map[string]bool{}
	dial := peer.DialAny(func(_ context.Context, addr string) (io.ReadWriteCloser, error) {
		tried = append(tried, addr)
		if down[addr] {
			return nil, errors.New("refused")
		}
		a, b := net.Pipe()
		b.Close()
		return a, nil
	}, "a", "b", "c")
	ctx := context.Background()
	for _, step := range []struct {
		down    []string
		want    []string
		wantErr bool
	}{
		{nil, []string{"a"}, false},
		{[]string{"b"}, []string{"b", "c"}, false},
		{nil, []string{"a"}, false},
		{[]string{"a", "b", "c"}, []string{"b", "c", "a"}, true},
		{[]string{"c"}, []string{"b"}, false},
	} {
		tried, down = nil, map[string]bool{}
		for _, a := range step.down {
			down[a] = true
		}
		rwc, err := dial(ctx)
		if rwc != nil {
			rwc.Close()
		}
		if !reflect.DeepEqual(tried, step.want) || (err != nil) != step.wantErr {
			t.Fatalf("with %v down: tried %v, err %v; want %v, error %v", step.down, tried, err, step.want, step.wantErr)
		}
		if err != nil && !strings.Contains(err.Error(), "a: refused") {
			t.Errorf("error %q does not name each address", err)
		}
	}
}

// Only when every address fails for good does the Redialer give up.
func TestDialAnyPermanent(t *testing.T) {
	bad := errors.New("malformed address")
	var dials atomic.Int32
	mixed := peer.DialAny(func(_ context.Context, addr string) (io.ReadWriteCloser, error) {
		dials.Add(1)
		if addr == "bad" {
			return nil, peer.Permanent(bad)
		}
		return nil, errors.New("refused")
	}, "bad", "good")
	_, err := mixed(context.Background())
	if err == nil || !errors.Is(err, bad) {
		t.Fatalf("mixed: got %v, want the errors of both", err)
	}
	r := peer.NewRedialer(mixed, codec.Msgpack, nil, &peer.RedialOptions{MinBackoff: time.Millisecond, MaxBackoff: time.Millisecond})
	waitFor(t, "two rounds of dials", func() bool { return dials.Load() >= 6 })
	if s := r.State(); s == peer.Stopped {
		t.Errorf("one address refusing for now: the Redialer stopped")
	}
	r.Close()

	allBad := peer.DialAny(func(_ context.Context, addr string) (io.ReadWriteCloser, error) {
		return nil, peer.Permanent(bad)
	}, "x", "y")
	r = peer.NewRedialer(allBad, codec.Msgpack, nil, nil)
	defer r.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if _, err := r.Peer(ctx); !errors.Is(err, peer.ErrClosed) {
		t.Errorf("every address bad: Peer returned %v, want ErrClosed (stopped)", err)
	}

	none := peer.DialAny(nil)
	if _, err := none(ctx); err == nil {
		t.Error("no addresses: dial succeeded")
	}
	cancelled, stop := context.WithCancel(ctx)
	stop()
	if _, err := mixed(cancelled); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled dial: got %v, want context.Canceled", err)
	}
}
