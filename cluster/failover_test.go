package cluster_test

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/duplexrpc/duplex/codec"
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
