package peer_test

// One test per invariant of the engine (peer/peer.go, docs/peer.md), each
// written to break if the invariant is broken.

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/duplexrpc/duplex/codec"
	"github.com/duplexrpc/duplex/internal/rpctest"
	"github.com/duplexrpc/duplex/peer"
)

// stuckWriter is a connection whose writes never complete until it is
// closed, and whose reads come from what the test feeds it.
type stuckWriter struct {
	in     *io.PipeReader
	feed   *io.PipeWriter
	closed chan struct{}
	once   sync.Once
}

func newStuckWriter() *stuckWriter {
	r, w := io.Pipe()
	return &stuckWriter{in: r, feed: w, closed: make(chan struct{})}
}

func (s *stuckWriter) Read(b []byte) (int, error) { return s.in.Read(b) }
func (s *stuckWriter) Write(b []byte) (int, error) {
	<-s.closed
	return 0, net.ErrClosed
}
func (s *stuckWriter) Close() error {
	s.once.Do(func() { close(s.closed); s.in.Close() })
	return nil
}

// Invariant 1: the reader never writes. Every write of this peer blocks for
// ever, yet it reads a request it must refuse (which queues an answer), and
// then the answer to its own call, and delivers it.
func TestInvariant1ReaderNeverWrites(t *testing.T) {
	conn := newStuckWriter()
	p, err := peer.NewWithOptions(conn, codec.Msgpack, nil, &peer.Options{WriteTimeout: time.Minute})
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	defer conn.Close() // first: Close would flush for a minute
	reply := make(chan error, 1)
	var got string
	ctx, cancel := context.WithCancel(context.Background()) // so the caller does not write itself
	defer cancel()
	go func() { reply <- p.Call(ctx, "Remote.Hello", "x", &got) }()
	// Wait until the call is registered (its Seq is 1), then feed a request
	// for a method nobody serves, and the answer to the call.
	waitFor(t, "the call", func() bool { _, out := p.InFlight(); return out == 1 })
	frames := []byte{0x94, 0x00, 0x07, 0xa7}
	frames = append(frames, "No.Such"...)
	frames = append(frames, 0x91, 0x01)                   // [0, 7, "No.Such", [1]]
	frames = append(frames, 0x94, 0x01, 0x01, 0xc0, 0xa2) // [1, 1, nil, "ok"]
	frames = append(frames, "ok"...)
	go conn.feed.Write(frames)
	select {
	case err := <-reply:
		if err != nil || got != "ok" {
			t.Fatalf("call = %q, %v; want ok, nil", got, err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the reader stopped reading while the stream could not be written")
	}
}

// Invariant 1, the deadlock it prevents: both ends of an unbuffered pipe
// have frames queued while both call each other. With a reader that
// writes, both readers block in writes and nothing moves.
func TestInvariant1NoDeadlockBothWays(t *testing.T) {
	payload := rpctest.BigBytes(16 << 10)
	for i := range 1000 {
		c := codec.All()[i%len(codec.All())]
		ca, cb := net.Pipe()
		a, err := peer.New(ca, c, bindTestServices())
		if err != nil {
			t.Fatal(err)
		}
		b, err := peer.New(cb, c, bindTestServices())
		if err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		var wg sync.WaitGroup
		for _, p := range []*peer.Peer{a, b, a, b} {
			wg.Add(1)
			go func() {
				defer wg.Done()
				var got []byte
				if err := p.Call(ctx, "Echo.Bytes", payload, &got); err != nil || len(got) != len(payload) {
					t.Errorf("round %d (%s): Echo(16 KiB) = %d bytes, %v", i, c.Name(), len(got), err)
				}
			}()
		}
		wg.Wait()
		cancel()
		a.Close()
		b.Close()
		if t.Failed() {
			return
		}
	}
}

// smallBufferPair is a loopback TCP pair whose socket buffers are 16 KiB,
// so that both fill with far less than one large frame. (Not 4 KiB: below
// the loopback MSS Linux's window opens only on its persist timer, and a
// plain 1 MiB write between two such sockets takes about 20 s.)
func smallBufferPair(t *testing.T) (net.Conn, net.Conn) {
	t.Helper()
	x, y := tcpPair(t)
	for _, c := range []net.Conn{x, y} {
		tc := c.(*net.TCPConn)
		tc.SetReadBuffer(16 << 10)
		tc.SetWriteBuffer(16 << 10)
	}
	return x, y
}

// Large payloads both ways at once over TCP with small socket buffers: the
// kernel's buffers fill on both sides, as on a pipe.
func TestInvariant1LargePayloadsBothWaysTCP(t *testing.T) {
	payload := rpctest.BigBytes(1 << 20)
	for _, c := range codec.All() {
		t.Run(c.Name(), func(t *testing.T) {
			x, y := smallBufferPair(t)
			a, _ := peer.New(x, c, bindTestServices())
			b, _ := peer.New(y, c, bindTestServices())
			defer a.Close()
			defer b.Close()
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			var wg sync.WaitGroup
			for range 3 {
				for _, p := range []*peer.Peer{a, b} {
					wg.Add(1)
					go func() {
						defer wg.Done()
						var got []byte
						if err := p.Call(ctx, "Echo.Bytes", payload, &got); err != nil || !bytes.Equal(got, payload) {
							t.Errorf("Echo(1 MiB) = %d bytes, %v", len(got), err)
						}
					}()
				}
			}
			wg.Wait()
		})
	}
}

// silentEnd returns a peer connected to an end that never reads or writes.
func silentEnd(t *testing.T, opts *peer.Options) *peer.Peer {
	t.Helper()
	x, y := smallBufferPair(t)
	p, err := peer.NewWithOptions(x, codec.Msgpack, nil, opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { p.Close() })
	t.Cleanup(func() { y.Close() }) // first: Close would flush until WriteTimeout
	return p
}

// Invariant 2: a call to a peer that never reads returns at its context,
// whether its frame is queued, waiting for room, or on the stream; and so
// does every call after it.
func TestInvariant2ContextBoundsCallToPeerThatNeverReads(t *testing.T) {
	p := silentEnd(t, nil)
	payload := rpctest.BigBytes(256 << 10)
	for i := range 20 {
		ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
		start := time.Now()
		err := p.Call(ctx, "Echo.Bytes", payload, new([]byte))
		took := time.Since(start)
		cancel()
		if !errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("call %d = %v; want DeadlineExceeded", i, err)
		}
		if took > 2*time.Second {
			t.Fatalf("call %d with a 300ms context took %v", i, took)
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	if err := p.Notify(ctx, "Any.Thing", payload); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Notify to a stuck peer = %v; want DeadlineExceeded", err)
	}
	if _, out := p.InFlight(); out != 0 {
		t.Fatalf("%d abandoned calls still pending", out)
	}
}

// Invariant 2: abandoning a call whose large frame cannot be written
// leaves the peer up: its cancel message is queued behind the frame, and
// only WriteTimeout decides when the stream is dead.
func TestInvariant2CancelOfLargeCallLeavesPeerUp(t *testing.T) {
	p := silentEnd(t, &peer.Options{WriteTimeout: 5 * time.Second})
	for range 3 {
		ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
		err := p.Call(ctx, "Echo.Bytes", rpctest.BigBytes(3<<20), new([]byte))
		cancel()
		if !errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("call = %v; want DeadlineExceeded", err)
		}
	}
	time.Sleep(300 * time.Millisecond)
	if err := p.Err(); err != nil {
		t.Fatalf("peer ended %v before its WriteTimeout: %v", 5*time.Second, err)
	}
}

// Invariant 2: a write that makes no progress ends that peer with
// ErrWriteTimeout, and only that peer.
func TestInvariant2WriteTimeoutEndsOnlyThatPeer(t *testing.T) {
	stuck := silentEnd(t, &peer.Options{WriteTimeout: 200 * time.Millisecond})
	healthy, _ := peerPair(t, codec.Msgpack, nil, bindTestServices())
	go stuck.Call(context.Background(), "Echo.Bytes", rpctest.BigBytes(4<<20), new([]byte))
	select {
	case <-stuck.Done():
		if !errors.Is(stuck.Err(), peer.ErrWriteTimeout) || !errors.Is(stuck.Err(), peer.ErrClosed) {
			t.Fatalf("Err() = %v; want ErrWriteTimeout and ErrClosed", stuck.Err())
		}
	case <-time.After(10 * time.Second):
		t.Fatal("a stalled write did not end the peer")
	}
	var got int
	if err := healthy.Call(context.Background(), "Arith.Multiply", &rpctest.Args{A: 6, B: 7}, &got); err != nil || got != 42 {
		t.Fatalf("other peer: %d, %v", got, err)
	}
}

// Invariant 2: the write watchdog stays armed across writes; it neither
// ends a peer whose writes each finish in time, however long they go on
// for, nor misses the stall that comes after them.
func TestInvariant2WatchdogOutlastsWritesAndCatchesTheStall(t *testing.T) {
	const timeout = 200 * time.Millisecond
	x, y := smallBufferPair(t)
	p, err := peer.NewWithOptions(x, codec.Msgpack, nil, &peer.Options{WriteTimeout: timeout})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { p.Close() })
	t.Cleanup(func() { y.Close() })
	stopReading := make(chan struct{})
	go func() {
		buf := make([]byte, 64<<10)
		for {
			select {
			case <-stopReading:
				return
			default:
			}
			y.SetReadDeadline(time.Now().Add(10 * time.Millisecond))
			if _, err := y.Read(buf); err != nil && !errors.Is(err, os.ErrDeadlineExceeded) {
				return
			}
		}
	}()
	ctx := context.Background()
	payload := rpctest.BigBytes(8 << 10)
	for end := time.Now().Add(4 * timeout); time.Now().Before(end); {
		if err := p.Notify(ctx, "Any.Thing", payload); err != nil {
			t.Fatalf("Notify while the other end reads: %v", err)
		}
		time.Sleep(time.Millisecond)
	}
	if err := p.Err(); err != nil {
		t.Fatalf("peer ended while every write finished in time: %v", err)
	}
	close(stopReading)
	stalled := time.Now()
	go p.Notify(ctx, "Any.Thing", rpctest.BigBytes(4<<20))
	select {
	case <-p.Done():
		if !errors.Is(p.Err(), peer.ErrWriteTimeout) {
			t.Fatalf("Err() = %v; want ErrWriteTimeout", p.Err())
		}
		if took := time.Since(stalled); took < timeout {
			t.Fatalf("peer ended %v after the stall, before its WriteTimeout %v", took, timeout)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("a stall after a run of writes did not end the peer")
	}
}

// Invariant 3: a client that floods requests and never reads the answers
// cannot make the peer hold more goroutines than MaxInFlight allows.
func TestInvariant3MaxInFlightBoundsAClientThatNeverReads(t *testing.T) {
	const maxInFlight = 64
	x, y := smallBufferPair(t)
	defer y.Close()
	p, err := peer.NewWithOptions(x, codec.Msgpack, bindTestServices(), &peer.Options{MaxInFlight: maxInFlight, WriteTimeout: 2 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	before := runtime.NumGoroutine()
	// 30,000 requests for Echo.Bytes with 1 KiB each, written and never read.
	req := []byte{0x94, 0x00, 0x00, 0xaa}
	req = append(req, "Echo.Bytes"...)
	req = append(req, 0x91, 0xc5, 0x04, 0x00)
	req = append(req, rpctest.BigBytes(1024)...)
	var flood []byte
	for range 1000 {
		flood = append(flood, req...)
	}
	peak := 0
	stop := make(chan struct{})
	sampled := make(chan struct{})
	go func() {
		defer close(sampled)
		for {
			select {
			case <-stop:
				return
			case <-time.After(time.Millisecond):
				peak = max(peak, runtime.NumGoroutine()-before)
			}
		}
	}()
	y.SetWriteDeadline(time.Now().Add(10 * time.Second))
	for range 30 {
		if _, err := y.Write(flood); err != nil {
			break // the peer gave up on us: fine
		}
	}
	close(stop)
	<-sampled
	if limit := maxInFlight + 16; peak > limit {
		t.Fatalf("flood raised goroutines by %d; want at most %d", peak, limit)
	}
	in, _ := p.InFlight()
	if in > maxInFlight {
		t.Fatalf("in flight = %d; want at most %d", in, maxInFlight)
	}
}

// Invariant 3 and 4: Shutdown lets a call being served finish, and its
// answer reaches the caller before the connection closes.
func TestInvariant4ShutdownWaitsForPromisedAnswers(t *testing.T) {
	for range 20 {
		blocker := rpctest.NewBlocker()
		hub, addr := startHub(t, codec.Msgpack, bindTestServices(blocker), nil)
		w := dialWorker(t, addr, codec.Msgpack, "w")
		got := make(chan error, 1)
		go func() {
			var n int
			err := w.Call(context.Background(), "Blocker.Wait", 9, &n)
			if err == nil && n != 9 {
				err = fmt.Errorf("Wait(9) = %d", n)
			}
			got <- err
		}()
		<-blocker.Started
		shut := make(chan error, 1)
		go func() { shut <- hub.Shutdown(context.Background()) }()
		time.Sleep(5 * time.Millisecond)
		close(blocker.Release)
		if err := <-got; err != nil {
			t.Fatalf("call served during Shutdown = %v; want its answer", err)
		}
		if err := <-shut; err != nil {
			t.Fatalf("Shutdown = %v", err)
		}
	}
}

// Invariant 4: Close flushes what is queued.
func TestInvariant4CloseFlushes(t *testing.T) {
	inbox := &Inbox{got: make(chan string, 100)}
	a, b := peerPair(t, codec.Msgpack, nil, bindTestServices(inbox))
	for i := range 100 {
		if err := a.Notify(context.Background(), "Inbox.Post", fmt.Sprint(i)); err != nil {
			t.Fatal(err)
		}
	}
	a.Close()
	<-b.Done()
	for i := range 100 {
		select {
		case <-inbox.got:
		case <-time.After(5 * time.Second):
			t.Fatalf("%d of 100 notifications arrived before Close", i)
		}
	}
}

// Close is prompt whatever the other end does: with a megabyte queued for
// a remote that never reads, it returns well within a second, not after
// WriteTimeout (10 s by default).
func TestCloseIsPromptAgainstARemoteThatNeverReads(t *testing.T) {
	x, y := smallBufferPair(t)
	defer y.Close()
	p, err := peer.New(x, codec.Msgpack, nil)
	if err != nil {
		t.Fatal(err)
	}
	big := strings.Repeat("x", 64<<10)
	ctx, cancel := context.WithCancel(context.Background()) // a caller that can leave leaves the writing to a flusher
	defer cancel()
	for range 12 { // far more than the socket buffers hold, less than SendQueue
		if err := p.Notify(ctx, "Inbox.Post", big); err != nil {
			t.Fatal(err)
		}
	}
	start := time.Now()
	p.Close()
	if took := time.Since(start); took > time.Second {
		t.Fatalf("Close took %v against a remote that never reads; want under 1s", took)
	}
	if !errors.Is(p.Err(), peer.ErrClosed) {
		t.Fatalf("Err() = %v; want ErrClosed", p.Err())
	}
}

// Invariant 5: CallAll returns at its context with one stuck worker among
// five, with the others' answers and a per-peer error for the stuck one.
func TestInvariant5CallAllNeverWaitsOnOnePeer(t *testing.T) {
	hub, addr := startHub(t, codec.Msgpack, nil, nil)
	for i := range 4 {
		dialWorker(t, addr, codec.Msgpack, fmt.Sprint("w", i))
	}
	stuck, err := net.Dial("tcp", addr) // connects, never reads or answers
	if err != nil {
		t.Fatal(err)
	}
	defer stuck.Close()
	stuck.(*net.TCPConn).SetReadBuffer(4 << 10)
	waitFor(t, "5 peers", func() bool { return hub.Len() == 5 })
	big := strings.Repeat("x", 256<<10)
	for round := range 4 {
		ctx, cancel := context.WithTimeout(context.Background(), 500*time.Millisecond)
		start := time.Now()
		results := hub.CallAll(ctx, "Name.Size", big, func() any { return new(int) })
		cancel()
		if took := time.Since(start); took > 3*time.Second {
			t.Fatalf("round %d: CallAll with a 500ms context took %v", round, took)
		}
		answered := 0
		for _, r := range results {
			if r.Err == nil {
				answered++
			}
		}
		if answered != 4 || len(results) != 5 {
			t.Fatalf("round %d: %d of %d answered; want 4 of 5: %+v", round, answered, len(results), results)
		}
	}
}

// Panicker panics.
type Panicker struct{}

func (Panicker) Boom(secret string, _ *int) error { panic("the secret is " + secret) }

// Invariant 6: a handler panic fails that call only, without the panic's
// text; the stack is logged; the peer goes on.
func TestInvariant6HandlerPanicFailsOneCall(t *testing.T) {
	for _, c := range codec.All() {
		t.Run(c.Name(), func(t *testing.T) {
			var logged syncBuffer
			log := slog.New(slog.NewTextHandler(&logged, nil))
			a, _ := peerPair(t, c, nil, bindTestServices(Panicker{}), nil, &peer.Options{Logger: log})
			err := a.Call(context.Background(), "Panicker.Boom", "hunter2", new(int))
			if err == nil || !strings.Contains(err.Error(), "panicked") || strings.Contains(err.Error(), "hunter2") {
				t.Fatalf("call to a panicking handler = %v; want a panic error without its text", err)
			}
			var got int
			if err := a.Call(context.Background(), "Arith.Multiply", &rpctest.Args{A: 2, B: 3}, &got); err != nil || got != 6 {
				t.Fatalf("call after the panic = %d, %v", got, err)
			}
			if s := logged.String(); !strings.Contains(s, "hunter2") || !strings.Contains(s, "invariants_test.go") {
				t.Fatalf("log lacks the panic and its stack:\n%s", s)
			}
		})
	}
}

// syncBuffer is a bytes.Buffer safe for concurrent use.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// Patient answers after a pause, watching its context.
type Patient struct{}

func (Patient) Echo(ctx context.Context, s string, reply *string) error {
	select {
	case <-time.After(50 * time.Millisecond):
		*reply = s
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// A client that sends its requests and then closes its side, as a shell
// pipe into a stdio server does, still gets every answer: the handlers'
// contexts stay live, and Shutdown after Done waits for the answers owed.
func TestHalfCloseStillAnswersAndShutdownWaits(t *testing.T) {
	ca, cb := tcpPair(t)
	p, err := peer.New(cb, codec.JSONRPC2, func(_ *peer.Peer, r *peer.Registry) error { return r.Register(Patient{}) })
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	for _, id := range []string{"1", "2"} {
		if _, err := ca.Write([]byte(`{"jsonrpc":"2.0","method":"Patient.Echo","params":["a` + id + `"],"id":` + id + `}` + "\n")); err != nil {
			t.Fatal(err)
		}
	}
	ca.(*net.TCPConn).CloseWrite()
	select {
	case <-p.Done():
	case <-time.After(5 * time.Second):
		t.Fatal("the peer did not see the end of its input")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := p.Shutdown(ctx); err != nil {
		t.Fatalf("Shutdown: %v", err)
	}
	ca.SetReadDeadline(time.Now().Add(5 * time.Second))
	got, _ := io.ReadAll(ca)
	for _, want := range []string{`"id":1,"result":"a1"`, `"id":2,"result":"a2"`} {
		if !strings.Contains(string(got), want) {
			t.Errorf("the client read %q; want %s in it", got, want)
		}
	}
}
