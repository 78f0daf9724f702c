package peer_test

import (
	"bufio"
	"context"
	"encoding/json"
	"net"
	"sync"
	"testing"
	"time"

	"github.com/duplexrpc/duplex/codec"
	"github.com/duplexrpc/duplex/peer"
)

// Doc is a document that notifications change and requests read, as an
// LSP server's textDocument/didChange and textDocument/hover do.
//
// Set waits, before it stores, until a Get has read the value or hold
// has passed: a Get that may overtake the Set ahead of it does so, for
// sure, and reads the old value. A Get that waits its turn starts only
// after the Set, which then has waited hold for nothing.
type Doc struct {
	hold time.Duration // 0: wait for a Get however long it takes

	mu         sync.Mutex
	value      int
	getStarted chan struct{} // closed by the first Get
	once       sync.Once
}

func newDoc(hold time.Duration) *Doc {
	return &Doc{hold: hold, getStarted: make(chan struct{})}
}

func (d *Doc) Set(ctx context.Context, n int) error {
	var timeout <-chan time.Time
	if d.hold > 0 {
		t := time.NewTimer(d.hold)
		defer t.Stop()
		timeout = t.C
	}
	select {
	case <-d.getStarted:
	case <-timeout:
	case <-ctx.Done():
	}
	d.mu.Lock()
	d.value = n
	d.mu.Unlock()
	return nil
}

// Get reads the value, and then lets a Set that waits for it go on.
func (d *Doc) Get(_ int, reply *int) error {
	d.mu.Lock()
	*reply = d.value
	d.mu.Unlock()
	d.once.Do(func() { close(d.getStarted) })
	return nil
}

// With RequestsAfterNotifications, a request read after a notification
// sees what the notification did, on every codec.
func TestRequestsAfterNotifications(t *testing.T) {
	for _, c := range codec.All() {
		t.Run(c.Name(), func(t *testing.T) {
			doc := newDoc(20 * time.Millisecond)
			a, _ := peerPair(t, c, nil, bindTestServices(doc), nil,
				&peer.Options{OrderedNotifications: true, RequestsAfterNotifications: true})
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			for i := 1; i <= 3; i++ {
				if err := a.Notify(ctx, "Doc.Set", i); err != nil {
					t.Fatal(err)
				}
				var got int
				if err := a.Call(ctx, "Doc.Get", 0, &got); err != nil {
					t.Fatal(err)
				}
				if got != i {
					t.Fatalf("Doc.Get after Doc.Set(%d) = %d; want %d: the request overtook the notification", i, got, i)
				}
			}
		})
	}
}

// Without RequestsAfterNotifications a request starts at once, even while
// an ordered notification read before it is being served: this is what
// the option changes.
func TestRequestsOvertakeOrderedNotificationsByDefault(t *testing.T) {
	doc := newDoc(0) // Set waits for Get, for as long as it takes
	a, _ := peerPair(t, codec.JSONRPC2, nil, bindTestServices(doc), nil,
		&peer.Options{OrderedNotifications: true})
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := a.Notify(ctx, "Doc.Set", 1); err != nil {
		t.Fatal(err)
	}
	var got int
	if err := a.Call(ctx, "Doc.Get", 0, &got); err != nil {
		t.Fatal(err)
	}
	if got != 0 {
		t.Fatalf("Doc.Get = %d; want 0, the value before the Doc.Set it overtook", got)
	}
}

// Barrier holds a request until a notification read after it has been
// served.
type Barrier struct{ passed chan struct{} }

func (b *Barrier) Wait(ctx context.Context, _ int, reply *string) error {
	select {
	case <-b.passed:
		*reply = "passed"
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

func (b *Barrier) Pass(context.Context, int) error {
	close(b.passed)
	return nil
}

// A request that waited its turn runs on a goroutine of its own: the
// notifications read after it are served while it runs.
func TestRequestsAfterNotificationsDoNotHoldUpLaterOnes(t *testing.T) {
	doc := newDoc(20 * time.Millisecond) // holds the queue while Wait is read
	barrier := &Barrier{passed: make(chan struct{})}
	a, _ := peerPair(t, codec.JSONRPC2, nil, bindTestServices(doc, barrier), nil,
		&peer.Options{OrderedNotifications: true, RequestsAfterNotifications: true})
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := a.Notify(ctx, "Doc.Set", 1); err != nil {
		t.Fatal(err)
	}
	var reply string
	wait := a.Go("Barrier.Wait", 0, &reply, nil) // queued when Go returns: before Pass
	if err := a.Notify(ctx, "Barrier.Pass", 0); err != nil {
		t.Fatal(err)
	}
	select {
	case <-wait.Done:
		if wait.Error != nil || reply != "passed" {
			t.Fatalf("Barrier.Wait = %q, %v; want passed", reply, wait.Error)
		}
	case <-ctx.Done():
		t.Fatal("Barrier.Wait never answered: the notification after it was held up")
	}
}

// A request waiting its turn when the other end closes its side is still
// answered, as any request taken is.
func TestRequestsAfterNotificationsAnsweredAfterHalfClose(t *testing.T) {
	client, server := tcpPair(t)
	defer client.Close()
	doc := newDoc(50 * time.Millisecond)
	p, err := peer.NewWithOptions(server, codec.JSONRPC2, bindTestServices(doc),
		&peer.Options{OrderedNotifications: true, RequestsAfterNotifications: true})
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	frames := `{"jsonrpc":"2.0","method":"Doc.Set","params":[7]}` + "\n" +
		`{"jsonrpc":"2.0","method":"Doc.Get","params":[0],"id":1}` + "\n"
	if _, err := client.Write([]byte(frames)); err != nil {
		t.Fatal(err)
	}
	if err := client.(*net.TCPConn).CloseWrite(); err != nil {
		t.Fatal(err)
	}
	client.SetReadDeadline(time.Now().Add(10 * time.Second))
	var answer struct {
		ID     int             `json:"id"`
		Result json.RawMessage `json:"result"`
		Error  json.RawMessage `json:"error"`
	}
	if err := json.NewDecoder(bufio.NewReader(client)).Decode(&answer); err != nil {
		t.Fatalf("no answer to the request that waited behind the notification: %v", err)
	}
	if answer.ID != 1 || answer.Error != nil || len(answer.Result) == 0 {
		t.Fatalf("answer = %+v; want id 1 with a result", answer)
	}
	select {
	case <-p.Done():
	case <-time.After(10 * time.Second):
		t.Fatal("the peer did not end after the other end's half-close")
	}
}

// Turnstile's Hold holds the ordered queue until the other end answers a call
// back, Latch.Open; Wait reports how its context looked when it started.
type Turnstile struct{ started chan error }

func (g *Turnstile) Hold(ctx context.Context, _ int) error {
	caller, _ := peer.FromContext(ctx)
	return caller.Call(ctx, "Latch.Open", 0, new(int))
}

func (g *Turnstile) Wait(ctx context.Context, _ int, _ *int) error {
	g.started <- ctx.Err()
	return ctx.Err()
}

// Latch answers Open once it is opened.
type Latch struct{ open chan struct{} }

func (l *Latch) Open(ctx context.Context, _ int, reply *int) error {
	select {
	case <-l.open:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// A request cancelled while it waits its turn starts with its context
// ended: the cancel is read, and acted on, while the queue holds it.
func TestRequestsAfterNotificationsCancelledWhileWaiting(t *testing.T) {
	turnstile := &Turnstile{started: make(chan error, 1)}
	latch := &Latch{open: make(chan struct{})}
	a, _ := peerPair(t, codec.LSP, bindTestServices(latch), bindTestServices(turnstile), nil,
		&peer.Options{OrderedNotifications: true, RequestsAfterNotifications: true})
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := a.Notify(ctx, "Turnstile.Hold", 0); err != nil {
		t.Fatal(err)
	}
	callCtx, cancelCall := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- a.Call(callCtx, "Turnstile.Wait", 0, new(int)) }()
	waitFor(t, "Turnstile.Wait called", func() bool { _, out := a.InFlight(); return out == 1 })
	cancelCall()
	if err := <-done; err != context.Canceled {
		t.Fatalf("the cancelled Call = %v; want context.Canceled", err)
	}
	// Our cancel is queued ahead of Latch.Open's answer, which lets
	// Turnstile.Hold return, and Turnstile.Wait start.
	close(latch.open)
	select {
	case err := <-turnstile.started:
		if err != context.Canceled {
			t.Fatalf("Turnstile.Wait started with its context's error %v; want context.Canceled", err)
		}
	case <-ctx.Done():
		t.Fatal("Turnstile.Wait never started")
	}
}
