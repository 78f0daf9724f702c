package cluster_test

import (
	"context"
	"testing"
	"time"

	"github.com/duplexrpc/duplex/codec"
)

// Workers follows every change within 2 s, at the default heartbeat: a
// worker connecting, one leaving, a master crashing (its workers move to
// the other master), and a master closing.
func TestWorkersWithinTwoSeconds(t *testing.T) {
	const bound = 2 * time.Second
	tc := newClusterBeat(t, 0, codec.Msgpack, codec.Msgpack)
	cl := tc.client(nil)
	check := func(what string, want map[string]string) {
		t.Helper()
		took := waitWorkers(t, cl, want, bound)
		t.Logf("%s: seen in %v", what, took)
	}
	check("an empty cluster", map[string]string{})

	tc.worker("a", codec.Msgpack, 0)
	check("a connects to m0", map[string]string{"a": "m0"})
	rb, _ := tc.worker("b", codec.Msgpack, 1)
	tc.worker("c", codec.Msgpack, 1)
	check("b and c connect to m1", map[string]string{"a": "m0", "b": "m1", "c": "m1"})

	rb.Close()
	check("b leaves", map[string]string{"a": "m0", "c": "m1"})

	tc.masters[1].stop(false) // a crash: nobody is told
	check("m1 crashes, c moves to m0", map[string]string{"a": "m0", "c": "m0"})

	tc.masters[0].stop(true)
	check("m0 closes", map[string]string{})

	// Each worker's entry says what it speaks and since when.
	tc2 := newClusterBeat(t, 0, codec.MsgpackUgorji)
	tc2.worker("u", codec.MsgpackUgorji, 0)
	cl2 := tc2.client(nil)
	waitWorkers(t, cl2, map[string]string{"u": "m0"}, bound)
	list, err := cl2.Workers(context.Background())
	if err != nil || len(list) != 1 || list[0].Codec != "msgpack-ugorji" || time.Since(list[0].Since) > time.Minute {
		t.Errorf("Workers = %+v, %v", list, err)
	}
}

// A client's first Workers waits for the masters to be heard, at most a
// little over a heartbeat, and a cancelled one returns at once.
func TestWorkersFirstCall(t *testing.T) {
	tc := newClusterBeat(t, 0, codec.Msgpack)
	tc.worker("a", codec.Msgpack, 0)
	waitWorkers(t, tc.client(nil), map[string]string{"a": "m0"}, 2*time.Second)

	cl := tc.client(nil)
	start := time.Now()
	list, err := cl.Workers(context.Background())
	if took := time.Since(start); err != nil || len(list) != 1 || took > time.Second {
		t.Errorf("a new client's first Workers: %v, %v after %v", list, err, took)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := tc.client(nil).Workers(ctx); err == nil {
		t.Error("Workers with a cancelled context succeeded")
	}
	cl.Close()
	if _, err := cl.Workers(context.Background()); err == nil {
		t.Error("Workers after Close succeeded")
	}
}
