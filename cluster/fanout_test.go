package cluster_test

import (
	"context"
	"errors"
	"fmt"
	"net/rpc"
	"testing"
	"time"

	"github.com/duplexrpc/duplex/cluster"
	"github.com/duplexrpc/duplex/codec"
)

// CallAll reaches every worker on every master, one request per master;
// CallEach reaches the names it is given, in their order, and says which
// are unknown.
func TestFanOut(t *testing.T) {
	tc := newCluster(t, codec.Msgpack, codec.Msgpack, codec.MsgpackUgorji)
	want := map[string]string{}
	for i := range 9 {
		name := fmt.Sprintf("w%d", i)
		tc.worker(name, codec.Msgpack, i%3)
		want[name] = fmt.Sprintf("m%d", i%3)
	}
	cl := tc.client(nil)
	waitWorkers(t, cl, want, 5*time.Second)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	newString := func() any { return new(string) }

	all := cl.CallAll(ctx, "Work.Hello", "all", newString)
	if len(all) != 9 {
		t.Fatalf("CallAll: %d results, want 9: %+v", len(all), all)
	}
	for i, r := range all {
		name := fmt.Sprintf("w%d", i)
		if r.Worker != name || r.Master != want[name] || r.Err != nil || *r.Reply.(*string) != "hello all from "+name {
			t.Errorf("CallAll result %d = %+v (%q)", i, r, *r.Reply.(*string))
		}
	}

	each := cl.CallEach(ctx, []string{"w4", "ghost", "w0", "w4"}, "Work.Hello", "each", newString)
	if len(each) != 4 {
		t.Fatalf("CallEach: %d results, want 4", len(each))
	}
	for i, name := range []string{"w4", "ghost", "w0", "w4"} {
		r := each[i]
		if name == "ghost" {
			if r.Worker != "ghost" || !errors.Is(r.Err, cluster.ErrNoWorker) {
				t.Errorf("CallEach of an unknown name: %+v, want ErrNoWorker", r)
			}
			continue
		}
		if r.Worker != name || r.Err != nil || *r.Reply.(*string) != "hello each from "+name {
			t.Errorf("CallEach result %d = %+v", i, r)
		}
	}

	var serverErr rpc.ServerError
	for _, r := range cl.CallEach(ctx, []string{"w1", "w2"}, "Work.Fail", 0, func() any { return new(int) }) {
		if !errors.As(r.Err, &serverErr) || string(serverErr) != "it failed on "+r.Worker {
			t.Errorf("a failing fan-out: %+v", r)
		}
	}
	if got := cl.CallEach(ctx, nil, "Work.Hello", "none", newString); len(got) != 0 {
		t.Errorf("CallEach of no names: %+v", got)
	}
}

// A fan-out whose replies pass NATS's max payload comes back in several
// messages, and a reply larger than one message fails alone.
func TestFanOutSplitsLargeAnswers(t *testing.T) {
	tc := newCluster(t, codec.Msgpack)
	want := map[string]string{}
	for i := range 6 {
		name := fmt.Sprintf("w%d", i)
		tc.worker(name, codec.Msgpack, 0)
		want[name] = "m0"
	}
	cl := tc.client(nil)
	waitWorkers(t, cl, want, 5*time.Second)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	// 6 × 300 KB: more than three messages of NATS's default 1 MB.
	res := cl.CallAll(ctx, "Work.Big", 300_000, func() any { return new([]byte) })
	if len(res) != 6 {
		t.Fatalf("%d results, want 6", len(res))
	}
	for _, r := range res {
		if r.Err != nil || len(*r.Reply.(*[]byte)) != 300_000 {
			t.Errorf("%s: %d bytes, %v", r.Worker, len(*r.Reply.(*[]byte)), r.Err)
		}
	}
	var b []byte
	if err := cl.Call(ctx, "w0", "Work.Big", 2_000_000, &b); err == nil || !containsAll(err.Error(), "max payload") {
		t.Errorf("a 2 MB reply: got %v, want a max payload error", err)
	}
	if err := cl.Call(ctx, "w0", "Work.Big", 10, &b); err != nil || len(b) != 10 {
		t.Errorf("after a reply too large: %d bytes, %v", len(b), err)
	}
}
