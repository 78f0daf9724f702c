package benchmarks_test

import (
	"bufio"
	"context"
	"encoding/binary"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"runtime"
	"testing"
	"time"

	"github.com/duplexrpc/duplex/benchmarks"
	"github.com/duplexrpc/duplex/codec"
	"github.com/duplexrpc/duplex/peer"
)

// scaleKinds are what the master runs over its many connections: the hub of
// package peer with two codecs, and raw connections as the floor.
var scaleKinds = []string{"duplex-msgpack", "duplex-gob", "raw"}

// BenchmarkScale measures the master's side of 1,000 and 5,000 idle
// connected workers that live in another process: what each connection
// costs the master in heap, stack and goroutines, fresh and after one call
// each way, and the time to call every worker once (Hub.CallAll), next to a
// raw TCP fan-out of the same bytes.
//
// The last fixture is closed when BenchmarkScale ends: thousands of live
// connections and goroutines left behind would tax every benchmark that
// runs after it in the same process (the scheduler, the poller, the
// garbage collector's stack scans).
func BenchmarkScale(b *testing.B) {
	b.Cleanup(closeScaleFixture)
	for _, n := range []int{1000, 5000} {
		for _, kind := range scaleKinds {
			b.Run(fmt.Sprintf("workers=%d/impl=%s", n, kind), func(b *testing.B) {
				f, err := scaleFixtureFor(kind, n)
				if err != nil {
					b.Fatal(err)
				}
				b.ReportAllocs()
				for b.Loop() {
					if err := f.fanOut(); err != nil {
						b.Fatal(err)
					}
				}
				calls := float64(b.N) * float64(n)
				b.ReportMetric(float64(b.Elapsed().Nanoseconds())/calls, "ns/worker")
				b.ReportMetric(calls/b.Elapsed().Seconds(), "calls/s")
				b.ReportMetric(f.fresh.bytes, "fresh-B/peer")
				b.ReportMetric(f.warm.bytes, "warm-B/peer")
				b.ReportMetric(f.warm.heap, "warm-heap-B/peer")
				b.ReportMetric(f.warm.stack, "warm-stack-B/peer")
				b.ReportMetric(f.warm.goroutines, "goroutines/peer")
			})
		}
	}
}

// TestScale runs the scale fixture small, to check that its fan-outs get
// the right answers both ways.
func TestScale(t *testing.T) {
	for _, kind := range scaleKinds {
		f, err := scaleFixtureFor(kind, 50)
		if err != nil {
			t.Fatalf("%s: %v", kind, err)
		}
		for range 3 {
			if err := f.fanOut(); err != nil {
				t.Fatalf("%s: %v", kind, err)
			}
		}
		t.Logf("%s: %.0f B/peer fresh, %.0f warm, %.2f goroutines/peer", kind, f.fresh.bytes, f.warm.bytes, f.warm.goroutines)
	}
	closeScaleFixture()
}

// cost is what the master spends per connected worker.
type cost struct {
	heap, stack, bytes, goroutines float64
}

type usage struct {
	heap, stack uint64
	goroutines  int
}

// measure returns the master's live heap, stack and goroutines.
func measure() usage {
	runtime.GC()
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return usage{heap: ms.HeapAlloc, stack: ms.StackInuse, goroutines: runtime.NumGoroutine()}
}

func perPeer(now, base usage, n int) cost {
	c := cost{
		heap:       (float64(now.heap) - float64(base.heap)) / float64(n),
		stack:      (float64(now.stack) - float64(base.stack)) / float64(n),
		goroutines: float64(now.goroutines-base.goroutines) / float64(n),
	}
	c.bytes = c.heap + c.stack
	return c
}

// scaleFixture is a master with n connected workers of one kind. It is kept
// from one benchmark run to the next (the -cpu values, the b.Loop ramp),
// and closed when another one is needed.
type scaleFixture struct {
	kind string
	n    int

	worker  *exec.Cmd
	toW     io.WriteCloser
	fromW   *bufio.Scanner
	exited  chan error
	fresh   cost
	warm    cost
	fanOut  func() error
	closeFn func()
}

var current *scaleFixture

func scaleFixtureFor(kind string, n int) (*scaleFixture, error) {
	if current != nil && current.kind == kind && current.n == n {
		return current, nil
	}
	closeScaleFixture()
	f, err := newScaleFixture(kind, n)
	if err != nil {
		return nil, err
	}
	current = f
	return f, nil
}

// closeScaleFixture ends the current fixture, its connections and its
// worker process.
func closeScaleFixture() {
	if current == nil {
		return
	}
	current.close()
	current = nil
}

func newScaleFixture(kind string, n int) (*scaleFixture, error) {
	c, err := benchmarks.ScaleCodec(kind)
	if err != nil {
		return nil, err
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	ln = lingerListener{ln.(*net.TCPListener)}
	f := &scaleFixture{kind: kind, n: n}
	if c != nil {
		err = f.startHub(c, ln)
	} else {
		err = f.startRaw(ln)
	}
	if err != nil {
		f.close()
		return nil, err
	}
	return f, nil
}

// startWorker starts the worker process and waits for its first line.
func (f *scaleFixture) startWorker(addr string) error {
	cmd := exec.Command(os.Args[0], "-test.run=^$", "-test.bench=^$")
	cmd.Env = append(os.Environ(), benchmarks.WorkerConfig{Kind: f.kind, Addr: addr, N: f.n}.Env())
	cmd.Stderr = os.Stderr
	var err error
	if f.toW, err = cmd.StdinPipe(); err != nil {
		return err
	}
	out, err := cmd.StdoutPipe()
	if err != nil {
		return err
	}
	if err := cmd.Start(); err != nil {
		return err
	}
	f.worker, f.fromW, f.exited = cmd, bufio.NewScanner(out), make(chan error, 1)
	return nil
}

// expect waits for the worker's next line to be want.
func (f *scaleFixture) expect(want string, timeout time.Duration) error {
	got := make(chan string, 1)
	go func() {
		if f.fromW.Scan() {
			got <- f.fromW.Text()
		} else {
			got <- fmt.Sprintf("(worker output ended: %v)", f.fromW.Err())
		}
	}()
	select {
	case line := <-got:
		if line != want {
			return fmt.Errorf("worker said %q, want %q", line, want)
		}
		return nil
	case <-time.After(timeout):
		f.worker.Process.Kill()
		return fmt.Errorf("worker did not say %q within %v", want, timeout)
	}
}

func (f *scaleFixture) close() {
	if f.closeFn != nil {
		f.closeFn()
	}
	if f.worker != nil {
		f.toW.Close() // the worker exits when its stdin ends
		done := make(chan error, 1)
		go func() { done <- f.worker.Wait() }()
		select {
		case <-done:
		case <-time.After(30 * time.Second):
			f.worker.Process.Kill()
			<-done
		}
	}
}

func (f *scaleFixture) startHub(c codec.Codec, ln net.Listener) error {
	hub := peer.NewHub(c, benchmarks.BindArith, nil)
	served := make(chan struct{})
	go func() {
		defer close(served)
		hub.Serve(ln)
	}()
	f.closeFn = func() {
		hub.Close()
		<-served
	}
	base := measure()
	if err := f.startWorker(ln.Addr().String()); err != nil {
		return err
	}
	if err := f.expect("ready", 2*time.Minute); err != nil {
		return err
	}
	for deadline := time.Now().Add(time.Minute); hub.Len() < f.n; time.Sleep(10 * time.Millisecond) {
		if time.Now().After(deadline) {
			return fmt.Errorf("%d of %d workers connected", hub.Len(), f.n)
		}
	}
	f.fresh = perPeer(measure(), base, f.n)

	args := &benchmarks.Args{A: 7, B: 8}
	newReply := func() any { return new(int) }
	f.fanOut = func() error {
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		results := hub.CallAll(ctx, benchmarks.MethodMultiply, args, newReply)
		if len(results) != f.n {
			return fmt.Errorf("CallAll called %d workers, want %d", len(results), f.n)
		}
		for _, r := range results {
			if r.Err != nil {
				return r.Err
			}
			if got := *r.Reply.(*int); got != 56 {
				return fmt.Errorf("a worker's Multiply(7, 8) = %d", got)
			}
		}
		return nil
	}
	// One call each way: the master calls every worker, every worker calls
	// the master.
	if err := f.fanOut(); err != nil {
		return err
	}
	if _, err := io.WriteString(f.toW, "call\n"); err != nil {
		return err
	}
	if err := f.expect("called", 2*time.Minute); err != nil {
		return err
	}
	// Idle: past the one to two seconds after which the goroutine that
	// served the worker's call, the spare reader, ends.
	time.Sleep(2500 * time.Millisecond)
	f.warm = perPeer(measure(), base, f.n)
	return nil
}

// startRaw is the floor: the master accepts n connections and keeps them,
// with no goroutine per connection. A fan-out writes the tiny call's raw
// request to every connection, then reads every response in turn.
func (f *scaleFixture) startRaw(ln net.Listener) error {
	base := measure()
	if err := f.startWorker(ln.Addr().String()); err != nil {
		ln.Close()
		return err
	}
	conns := make([]net.Conn, 0, f.n)
	f.closeFn = func() {
		for _, c := range conns {
			c.Close()
		}
	}
	accepted := make(chan error, 1)
	go func() {
		defer ln.Close()
		for len(conns) < f.n {
			c, err := ln.Accept()
			if err != nil {
				accepted <- err
				return
			}
			conns = append(conns, c)
		}
		accepted <- nil
	}()
	if err := f.expect("ready", 2*time.Minute); err != nil {
		ln.Close()
		<-accepted
		return err
	}
	select {
	case err := <-accepted:
		if err != nil {
			return err
		}
	case <-time.After(time.Minute):
		ln.Close()
		<-accepted
		return fmt.Errorf("%d of %d workers connected", len(conns), f.n)
	}
	f.fresh = perPeer(measure(), base, f.n)

	frames, err := benchmarks.RawFrames()
	if err != nil {
		return err
	}
	frame := frames["tiny"]
	req := benchmarks.AppendRawRequest(nil, frame, 1)
	resp := make([]byte, 8+len(frame.Resp))
	f.fanOut = func() error {
		deadline := time.Now().Add(time.Minute)
		for _, c := range conns {
			c.SetDeadline(deadline)
			if _, err := c.Write(req); err != nil {
				return err
			}
		}
		for _, c := range conns {
			if _, err := io.ReadFull(c, resp); err != nil {
				return err
			}
			if n := binary.LittleEndian.Uint32(resp); int(n) != len(frame.Resp) {
				return fmt.Errorf("raw response of %d bytes, want %d", n, len(frame.Resp))
			}
			if err := benchmarks.CheckRawResponse(frame, resp[8:]); err != nil {
				return err
			}
		}
		return nil
	}
	if err := f.fanOut(); err != nil {
		return err
	}
	f.warm = perPeer(measure(), base, f.n)
	return nil
}

// lingerListener makes every accepted connection close with a reset, so
// that thousands of closed connections leave no TIME_WAIT behind.
type lingerListener struct{ *net.TCPListener }

func (l lingerListener) Accept() (net.Conn, error) {
	c, err := l.TCPListener.AcceptTCP()
	if err != nil {
		return nil, err
	}
	c.SetLinger(0)
	return c, nil
}
