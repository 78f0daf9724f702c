package peer_test

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/rpc"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/duplexrpc/duplex/codec"
	"github.com/duplexrpc/duplex/internal/rpctest"
	"github.com/duplexrpc/duplex/peer"
)

type unexported int

func (*unexported) M(int, *int) error { return nil }

// NoMethods has no method that qualifies.
type NoMethods int

func (NoMethods) Two(a, b int) error             { return nil }
func (NoMethods) ReplyNotPointer(int, int) error { return nil }

// ValueOnly's methods have pointer receivers: registering a value fails
// with net/rpc's hint.
type ValueOnly int

func (*ValueOnly) M(int, *int) error { return nil }

// The registry takes what rpc.Server takes and refuses what it refuses,
// with the same messages.
func TestRegistryFollowsNetRPC(t *testing.T) {
	cases := []struct {
		name string
		rcvr any
	}{
		{"unexported type", new(unexported)},
		{"no suitable methods", NoMethods(0)},
		{"value of pointer methods", ValueOnly(0)},
		{"good", new(rpctest.Arith)},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			want := rpc.NewServer().Register(c.rcvr)
			got := peer.NewRegistry().Register(c.rcvr)
			if fmt.Sprint(got) != fmt.Sprint(want) {
				t.Fatalf("Register = %v; net/rpc says %v", got, want)
			}
		})
	}
	r := peer.NewRegistry()
	if err := r.RegisterName("Calc", new(rpctest.Arith)); err != nil {
		t.Fatal(err)
	}
	want := rpc.NewServer()
	want.RegisterName("Calc", new(rpctest.Arith))
	if got, want := fmt.Sprint(r.RegisterName("Calc", new(rpctest.Arith))), fmt.Sprint(want.RegisterName("Calc", new(rpctest.Arith))); got != want {
		t.Fatalf("duplicate RegisterName = %v; net/rpc says %v", got, want)
	}
}

// Ctx has a method of each shape.
type Ctx struct{}

func (Ctx) Plain(n int, reply *int) error { *reply = n; return nil }
func (Ctx) WithContext(ctx context.Context, n int, reply *string) error {
	p, ok := peer.FromContext(ctx)
	if !ok || p == nil {
		return errors.New("no peer in the handler's context")
	}
	*reply = fmt.Sprintf("%d from peer %d", n, p.ID())
	return nil
}

func TestRegistryMethodsAndContext(t *testing.T) {
	r := peer.NewRegistry()
	if err := r.Register(Ctx{}); err != nil {
		t.Fatal(err)
	}
	methods := r.Methods()
	if len(methods) != 2 || methods[0].Name != "Ctx.Plain" || methods[1].Name != "Ctx.WithContext" {
		t.Fatalf("Methods() = %+v", methods)
	}
	if m := methods[1]; !m.Context || m.Args != reflect.TypeFor[int]() || m.Reply != reflect.TypeFor[*string]() {
		t.Fatalf("Ctx.WithContext described as %+v", m)
	}

	a, b := peerPair(t, codec.Msgpack, nil, bindTestServices(Ctx{}))
	var got string
	if err := a.Call(context.Background(), "Ctx.WithContext", 4, &got); err != nil || got != fmt.Sprintf("4 from peer %d", b.ID()) {
		t.Fatalf("WithContext = %q, %v", got, err)
	}
	// Unknown services and methods fail as net/rpc's do.
	for method, want := range map[string]string{
		"Nope.Plain": "rpc: can't find service Nope.Plain",
		"Ctx.Nope":   "rpc: can't find method Ctx.Nope",
		"NoDot":      "rpc: service/method request ill-formed: NoDot",
	} {
		err := a.Call(context.Background(), method, 1, new(int))
		var remote rpc.ServerError
		if !errors.As(err, &remote) || string(remote) != want {
			t.Errorf("Call(%s) = %v; want rpc.ServerError %q", method, err, want)
		}
	}
}

// An interceptor sees every incoming call with its caller, and refuses
// what it must: only the master's own code may call Master.Drain.
func TestInterceptorAuthorizes(t *testing.T) {
	var mu sync.Mutex
	var seen []string
	intercept := func(ctx context.Context, method string, serve func(context.Context) error) error {
		caller, _ := peer.FromContext(ctx)
		mu.Lock()
		seen = append(seen, fmt.Sprintf("%s by %v", method, caller != nil))
		mu.Unlock()
		if strings.HasSuffix(method, ".Multiply") {
			return errors.New("not allowed")
		}
		return serve(ctx)
	}
	a, _ := peerPair(t, codec.JSONRPC2, nil, bindTestServices(), nil, &peer.Options{Intercept: intercept})
	var n int
	err := a.Call(context.Background(), "Arith.Multiply", &rpctest.Args{A: 2, B: 2}, &n)
	if err == nil || err.Error() != "not allowed" {
		t.Fatalf("refused call = %v; want the interceptor's error", err)
	}
	var s string
	if err := a.Call(context.Background(), "Echo.String", "hi", &s); err != nil || s != "hi" {
		t.Fatalf("allowed call = %q, %v", s, err)
	}
	mu.Lock()
	defer mu.Unlock()
	if want := []string{"Arith.Multiply by true", "Echo.String by true"}; fmt.Sprint(seen) != fmt.Sprint(want) {
		t.Fatalf("interceptor saw %v; want %v", seen, want)
	}
}

// Sequence records notifications in the order it serves them.
type Sequence struct {
	mu  sync.Mutex
	got []int
}

func (s *Sequence) Note(n int, _ *struct{}) error {
	s.mu.Lock()
	s.got = append(s.got, n)
	s.mu.Unlock()
	return nil
}

func (s *Sequence) Len() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.got)
}

func TestOrderedNotifications(t *testing.T) {
	for _, c := range codec.All() {
		t.Run(c.Name(), func(t *testing.T) {
			seq := &Sequence{}
			a, _ := peerPair(t, c, nil, bindTestServices(seq), nil, &peer.Options{OrderedNotifications: true})
			const n = 2000
			for i := range n {
				if err := a.Notify(context.Background(), "Sequence.Note", i); err != nil {
					t.Fatal(err)
				}
			}
			waitFor(t, "every notification", func() bool { return seq.Len() == n })
			for i, got := range seq.got {
				if got != i {
					t.Fatalf("notification %d served as number %d", got, i)
				}
			}
		})
	}
}

// Stall blocks every notification until released.
type Stall struct{ release chan struct{} }

func (s *Stall) Hold(int, *struct{}) error { <-s.release; return nil }

// A full ordered queue ends the connection rather than drop one.
func TestOrderedNotificationOverflowEndsConnection(t *testing.T) {
	stall := &Stall{release: make(chan struct{})}
	a, b := peerPair(t, codec.Msgpack, nil, bindTestServices(stall), nil,
		&peer.Options{OrderedNotifications: true, NotificationQueue: 8})
	defer close(stall.release)
	for i := range 20 {
		if err := a.Notify(context.Background(), "Stall.Hold", i); err != nil {
			break
		}
	}
	select {
	case <-b.Done():
		if !errors.Is(b.Err(), peer.ErrNotificationOverflow) {
			t.Fatalf("Err() = %v; want ErrNotificationOverflow", b.Err())
		}
	case <-time.After(10 * time.Second):
		t.Fatal("an overflowing ordered queue did not end the connection")
	}
}

// A panic in the interceptor's own code is recovered like a handler's.
func TestInterceptorPanicIsRecovered(t *testing.T) {
	var logged syncBuffer
	intercept := func(ctx context.Context, method string, serve func(context.Context) error) error {
		if method == "Echo.Upper" {
			panic("interceptor bug")
		}
		return serve(ctx)
	}
	a, _ := peerPair(t, codec.Msgpack, nil, bindTestServices(), nil,
		&peer.Options{Intercept: intercept, Logger: slog.New(slog.NewTextHandler(&logged, nil))})
	err := a.Call(context.Background(), "Echo.Upper", "x", new(string))
	if err == nil || !strings.Contains(err.Error(), "panicked") {
		t.Fatalf("call whose interceptor panicked = %v; want a panic error", err)
	}
	var s string
	if err := a.Call(context.Background(), "Echo.String", "up", &s); err != nil || s != "up" {
		t.Fatalf("next call = %q, %v", s, err)
	}
	if !strings.Contains(logged.String(), "interceptor bug") {
		t.Fatalf("the panic was not logged:\n%s", logged.String())
	}
}
