package cluster_test

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/nats-io/nats.go"

	"github.com/duplexrpc/duplex/cluster"
	"github.com/duplexrpc/duplex/codec"
	"github.com/duplexrpc/duplex/peer"
)

// A caller calls every worker throughout while their master dies. Every
// call returns the right reply or an error, none outlives its context,
// none runs twice, and once the workers have moved to the other master
// they all answer again.
func TestFailoverWhileCalling(t *testing.T) {
	tc := newCluster(t, codec.Msgpack, codec.Msgpack)
	names := []string{"a", "b", "c", "d"}
	works := map[string]*Work{}
	want := map[string]string{}
	for i, name := range names {
		_, works[name] = tc.worker(name, codec.Msgpack, i%2)
		want[name] = fmt.Sprintf("m%d", i%2)
	}
	cl := tc.client(nil)
	waitWorkers(t, cl, want, 5*time.Second)

	const callTimeout = 500 * time.Millisecond
	const slack = 250 * time.Millisecond
	var (
		stop             atomic.Bool
		ok, failed, late atomic.Int64
		wrongMu          sync.Mutex
		wrong            []string
		wg               sync.WaitGroup
		seq              atomic.Int64
	)
	for _, name := range names {
		for range 2 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for !stop.Load() {
					arg := strconv.FormatInt(seq.Add(1), 10)
					ctx, cancel := context.WithTimeout(context.Background(), callTimeout)
					start := time.Now()
					var got string
					err := cl.Call(ctx, name, "Work.Echo", arg, &got)
					took := time.Since(start)
					cancel()
					if took > callTimeout+slack {
						late.Add(1)
					}
					switch {
					case err != nil:
						failed.Add(1)
						time.Sleep(5 * time.Millisecond)
					case got != name+":"+arg:
						wrongMu.Lock()
						wrong = append(wrong, fmt.Sprintf("%s(%s) = %q", name, arg, got))
						wrongMu.Unlock()
					default:
						ok.Add(1)
					}
				}
			}()
		}
	}

	time.Sleep(200 * time.Millisecond)
	before := ok.Load()
	tc.masters[0].stop(false) // a crash: nobody is told
	moved := map[string]string{}
	for _, name := range names {
		moved[name] = "m1"
	}
	took := waitWorkers(t, cl, moved, 5*time.Second)
	afterFailover := ok.Load()
	time.Sleep(300 * time.Millisecond)
	stop.Store(true)
	wg.Wait()

	if before == 0 {
		t.Error("no call succeeded before the master died")
	}
	if ok.Load() == afterFailover {
		t.Error("no call succeeded after the failover")
	}
	if len(wrong) > 0 {
		t.Errorf("%d wrong replies: %v", len(wrong), wrong)
	}
	if n := late.Load(); n > 0 {
		t.Errorf("%d calls outlived their context by more than %v", n, slack)
	}
	for name, w := range works {
		if dup := w.duplicates(); len(dup) > 0 {
			t.Errorf("worker %s ran %d calls twice: %v", name, len(dup), dup)
		}
	}
	t.Logf("failover seen in %v; %d calls answered, %d failed", took, ok.Load(), failed.Load())

	// After the failover every worker answers through the master left.
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	for _, r := range cl.CallEach(ctx, names, "Work.Hello", "again", func() any { return new(string) }) {
		if r.Err != nil || *r.Reply.(*string) != "hello again from "+r.Worker || r.Master != "m1" {
			t.Errorf("%s after failover: %q via %q, %v", r.Worker, *r.Reply.(*string), r.Master, r.Err)
		}
	}
	if errors.Is(ctx.Err(), context.DeadlineExceeded) {
		t.Error("CallEach ran out of time")
	}
}

// A call without a deadline, in flight at a master that crashes, ends
// once the client's roster forgets that master, with an error that Is
// peer.ErrClosed; so does a fan-out's part at that master. Before, both
// waited for ever.
func TestCallsEndWhenTheirMasterDies(t *testing.T) {
	for _, fanOut := range []bool{false, true} {
		t.Run(map[bool]string{false: "call", true: "fan-out"}[fanOut], func(t *testing.T) {
			tc := newCluster(t, codec.Msgpack, codec.Msgpack)
			_, slow := tc.worker("slow", codec.Msgpack, 0)
			tc.worker("quick", codec.Msgpack, 1)
			cl := tc.client(nil)
			waitWorkers(t, cl, map[string]string{"slow": "m0", "quick": "m1"}, 5*time.Second)

			done := make(chan error, 1)
			go func() {
				if !fanOut {
					done <- cl.Call(context.Background(), "slow", "Work.Wait", 0, nil)
					return
				}
				rs := cl.CallEach(context.Background(), []string{"slow"}, "Work.Wait", 0, nil)
				done <- rs[0].Err
			}()
			select {
			case <-slow.started:
			case <-time.After(5 * time.Second):
				t.Fatal("the call never reached the worker")
			}
			start := time.Now()
			tc.masters[0].stop(false) // a crash: no goodbye
			select {
			case err := <-done:
				if !errors.Is(err, peer.ErrClosed) || !strings.Contains(err.Error(), "m0") {
					t.Errorf("got %v, want an error that Is peer.ErrClosed and names m0", err)
				}
				// Forgotten after 3 heartbeats of 100 ms (swept every 50 ms),
				// probed, then failed after the 250 ms grace: about 0.7 s.
				if took := time.Since(start); took > 3*time.Second {
					t.Errorf("the call ended %v after its master died", took)
				}
			case <-time.After(10 * time.Second):
				t.Fatal("the call outlived its master by 10 s")
			}
		})
	}
}

// A master that falls silent but still answers over NATS is slow, not
// dead: its calls go on. Once its NATS connection is gone they end.
func TestCallsOutliveASilentMaster(t *testing.T) {
	tc := newCluster(t)
	fake := tc.connect()
	snapshot := fmt.Appendf(nil, `{"kind":"snapshot","master":"fake","epoch":"e1","version":1,"beat_ms":%d,`+
		`"workers":[{"name":"ghost","codec":"msgpack","since":"2026-01-01T00:00:00Z"}]}`, fastBeat.Milliseconds())
	answer := func(m *nats.Msg) {
		if m.Reply != "" {
			fake.Publish(m.Reply, snapshot)
		}
	}
	for _, subj := range []string{cluster.DefaultPrefix + ".snapshot.fake", cluster.DefaultPrefix + ".sync"} {
		if _, err := fake.Subscribe(subj, answer); err != nil {
			t.Fatal(err)
		}
	}
	taken := make(chan struct{}, 1)
	if _, err := fake.QueueSubscribe(cluster.DefaultPrefix+".call.ghost", "duplex", func(*nats.Msg) { taken <- struct{}{} }); err != nil {
		t.Fatal(err) // takes the call and never answers it
	}
	if err := fake.Publish(cluster.DefaultPrefix+".presence", snapshot); err != nil {
		t.Fatal(err)
	}
	fake.Flush()
	cl := tc.client(nil)
	waitWorkers(t, cl, map[string]string{"ghost": "fake"}, 5*time.Second)

	done := make(chan error, 1)
	go func() { done <- cl.Call(context.Background(), "ghost", "Work.Wait", 0, nil) }()
	<-taken
	// It never beats: the roster forgets it within 300 ms and probes it,
	// and it answers. The call must still be waiting after ten heartbeats.
	select {
	case err := <-done:
		t.Fatalf("the call of a silent but live master ended: %v", err)
	case <-time.After(10 * fastBeat):
	}
	fake.Close()
	select {
	case err := <-done:
		if !errors.Is(err, peer.ErrClosed) || !strings.Contains(err.Error(), "fake") {
			t.Errorf("got %v, want an error that Is peer.ErrClosed and names the master", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the call outlived its master's NATS connection by 10 s")
	}
}
