package peer_test

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"net/rpc"
	"reflect"
	"sync"
	"testing"
	"time"

	"github.com/duplexrpc/duplex/codec"
	"github.com/duplexrpc/duplex/peer"
)

// This file checks what a call carries beside its argument and reply,
// end to end between two peers on every codec and in every dialect:
// metadata, error codes and data, progress, the dialect's cancel, request
// ids, and handlers of a notification's shape.

// Proto is the service of these tests.
type Proto struct {
	notes   chan Note
	started chan struct{}
	ended   chan time.Time
}

// Note is what Proto.Note saw.
type Note struct {
	Arg  string
	Meta peer.Metadata
}

// Step is a progress value; an object, as MCP's progress must be.
type Step struct {
	Progress int `json:"progress"`
	Total    int `json:"total"`
}

func newProto() *Proto {
	return &Proto{notes: make(chan Note, 16), started: make(chan struct{}, 16), ended: make(chan time.Time, 16)}
}

// Meta answers the metadata its request came with.
func (p *Proto) Meta(ctx context.Context, _ string, reply *map[string]string) error {
	*reply = maps.Clone(peer.IncomingMetadata(ctx))
	return nil
}

// Echo calls the caller back with metadata of its own, and answers what
// that call's handler saw and whether its own metadata went on: a nested
// call must not send on what its handler's request came with.
func (p *Proto) Echo(ctx context.Context, _ string, reply *map[string]string) error {
	caller, _ := peer.FromContext(ctx)
	return caller.Call(peer.WithMetadata(ctx, peer.Metadata{"from": "handler"}), "Proto.Meta", "", reply)
}

// Note serves a notification, which has no reply.
func (p *Proto) Note(ctx context.Context, arg string) error {
	p.notes <- Note{arg, peer.IncomingMetadata(ctx)}
	return nil
}

// Fail fails with the code it is given, and data.
func (p *Proto) Fail(code int, _ *string) error {
	return fmt.Errorf("wrapped: %w", &peer.Error{Code: code, Message: "failed", Data: map[string]string{"why": "asked"}})
}

// Panic panics.
func (p *Proto) Panic(string, *string) error { panic("boom") }

// Steps reports n steps of progress, then answers n.
func (p *Proto) Steps(ctx context.Context, n int, reply *int) error {
	for i := 1; i <= n; i++ {
		if err := peer.ReportProgress(ctx, Step{i, n}); err != nil {
			return err
		}
	}
	*reply = n
	return nil
}

// Report reports one step of progress on a request of any params.
func (p *Proto) Report(ctx context.Context, _ any, reply *string) error {
	if err := peer.ReportProgress(ctx, Step{1, 1}); err != nil {
		return err
	}
	*reply = "done"
	return nil
}

// Flood reports progress until its context ends.
func (p *Proto) Flood(ctx context.Context, _ int, _ *int) error {
	for i := 1; ctx.Err() == nil; i++ {
		if err := peer.ReportProgress(ctx, Step{i, 0}); err != nil {
			return err
		}
		time.Sleep(100 * time.Microsecond)
	}
	return ctx.Err()
}

// Wait waits for its context to end, and says when it did.
func (p *Proto) Wait(ctx context.Context, _ string, _ *string) error {
	p.started <- struct{}{}
	<-ctx.Done()
	p.ended <- time.Now()
	return ctx.Err()
}

// ID answers its request's id.
func (p *Proto) ID(ctx context.Context, _ string, reply *string) error {
	id, ok := peer.RequestID(ctx)
	if !ok {
		return errors.New("no id")
	}
	*reply = id.String()
	return nil
}

// dialectPair connects two peers of codec c in dialect d, each serving
// its own Proto.
func dialectPair(t testing.TB, c codec.Codec, d *codec.Dialect) (a, b *peer.Peer, pa, pb *Proto) {
	t.Helper()
	pa, pb = newProto(), newProto()
	bind := func(p *Proto) peer.Binder {
		return func(_ *peer.Peer, r *peer.Registry) error { return r.Register(p) }
	}
	opts := &peer.Options{Dialect: d, Logger: slog.New(slog.DiscardHandler)} // Proto.Panic's stack
	a, b = peerPair(t, c, bind(pa), bind(pb), opts, opts)
	return a, b, pa, pb
}

// eachWire runs f for every codec in every dialect.
func eachWire(t *testing.T, f func(t *testing.T, c codec.Codec, d *codec.Dialect)) {
	for _, c := range codec.All() {
		for _, d := range codec.Dialects() {
			t.Run(c.Name()+"/"+d.Name, func(t *testing.T) { f(t, c, d) })
		}
	}
}

func TestMetadataEndToEnd(t *testing.T) {
	md := peer.Metadata{"traceparent": "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01", "ünï": "a\"b\nc"}
	eachWire(t, func(t *testing.T, c codec.Codec, d *codec.Dialect) {
		a, _, _, pb := dialectPair(t, c, d)
		ctx := peer.WithMetadata(context.Background(), md)
		var got, none, nested map[string]string
		if err := a.Call(ctx, "Proto.Meta", "", &got); err != nil || !reflect.DeepEqual(peer.Metadata(got), md) {
			t.Errorf("Meta: got %v, %v; want %v", got, err, md)
		}
		if err := a.Call(context.Background(), "Proto.Meta", "", &none); err != nil || len(none) != 0 {
			t.Errorf("Meta without metadata: got %v, %v; want none", none, err)
		}
		// Nested: the handler's own call carries its metadata, not ours.
		if err := a.Call(ctx, "Proto.Echo", "", &nested); err != nil || !reflect.DeepEqual(nested, map[string]string{"from": "handler"}) {
			t.Errorf("Echo: got %v, %v; want only the handler's metadata", nested, err)
		}
		if err := a.Notify(ctx, "Proto.Note", "n"); err != nil {
			t.Fatal(err)
		}
		select {
		case n := <-pb.notes:
			if n.Arg != "n" || !reflect.DeepEqual(n.Meta, md) {
				t.Errorf("notification: got %+v; want n with %v", n, md)
			}
		case <-time.After(5 * time.Second):
			t.Fatal("the notification did not arrive")
		}
	})
}

func TestErrorCodesEndToEnd(t *testing.T) {
	eachWire(t, func(t *testing.T, c codec.Codec, d *codec.Dialect) {
		a, _, _, _ := dialectPair(t, c, d)
		ctx := context.Background()
		carriesCodes := c != codec.JSONRPC && c != codec.Gob
		err := a.Call(ctx, "Proto.Fail", -32602, new(string))
		var e *peer.Error
		if !errors.As(err, &e) || e.Message != "wrapped: failed" {
			t.Fatalf("Fail: got %#v; want a *peer.Error \"wrapped: failed\"", err)
		}
		var s rpc.ServerError
		if !errors.As(err, &s) || s != "wrapped: failed" || !errors.Is(err, rpc.ServerError("wrapped: failed")) {
			t.Errorf("Fail: %v is not rpc.ServerError(\"wrapped: failed\") to errors.As and errors.Is", err)
		}
		if carriesCodes {
			var data map[string]string
			if e.Code != -32602 || e.DecodeData(&data) != nil || data["why"] != "asked" {
				t.Errorf("Fail: code %d data %v (%v); want -32602 and why: asked", e.Code, data, e.DecodeData(&data))
			}
		} else if e.Code != 0 || e.Data != nil {
			t.Errorf("Fail: code %d data %v; %s carries neither", e.Code, e.Data, c.Name())
		}
		for _, tc := range []struct {
			method string
			args   any
			code   int
		}{
			{"Proto.Nope", "", codec.CodeMethodNotFound},
			{"Nope.Nope", "", codec.CodeMethodNotFound},
			{"Proto.Panic", "", codec.CodeInternalError},
		} {
			err := a.Call(ctx, tc.method, tc.args, new(string))
			if !errors.As(err, &e) || e.Code != tc.code {
				t.Errorf("%s: got %#v; want code %d", tc.method, err, tc.code)
			}
		}
		err = a.Call(ctx, "Proto.Steps", "not a number", new(int))
		if want := codec.CodeInvalidParams; !errors.As(err, &e) || (c != codec.JSONRPC && c != codec.Gob) && e.Code != want {
			t.Errorf("bad params: got %#v; want code %d", err, want)
		}
	})
}

func TestProgressBeforeCallReturns(t *testing.T) {
	const n = 20
	eachWire(t, func(t *testing.T, c codec.Codec, d *codec.Dialect) {
		a, _, _, _ := dialectPair(t, c, d)
		var mu sync.Mutex
		var got []Step
		ctx := peer.WithProgress(context.Background(), func(s Step) {
			if s.Progress == 1 {
				time.Sleep(2 * time.Millisecond) // a slow callback: the rest queue up
			}
			mu.Lock()
			got = append(got, s)
			mu.Unlock()
		})
		var reply int
		if err := a.Call(ctx, "Proto.Steps", n, &reply); err != nil || reply != n {
			t.Fatalf("Steps: %d, %v", reply, err)
		}
		mu.Lock()
		defer mu.Unlock()
		if len(got) != n {
			t.Fatalf("Call returned after %d progress values; want all %d: %v", len(got), n, got)
		}
		for i, s := range got {
			if s != (Step{i + 1, n}) {
				t.Fatalf("progress %d was %+v; want %+v", i, s, Step{i + 1, n})
			}
		}
		// Without a callback, the handler's reports go nowhere.
		if err := a.Call(context.Background(), "Proto.Steps", n, &reply); err != nil || reply != n {
			t.Fatalf("Steps without progress: %d, %v", reply, err)
		}
	})
}

func TestProgressNotAfterReturn(t *testing.T) {
	for _, c := range codec.All() {
		t.Run(c.Name(), func(t *testing.T) {
			a, _, _, pb := dialectPair(t, c, nil)
			var mu sync.Mutex
			count, returned := 0, false
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			ctx = peer.WithProgress(ctx, func(Step) {
				mu.Lock()
				defer mu.Unlock()
				if returned {
					t.Error("a progress value was delivered after Call returned")
				}
				if count++; count == 3 {
					cancel()
				}
			})
			err := a.Call(ctx, "Proto.Flood", 0, new(int))
			mu.Lock()
			returned = true
			mu.Unlock()
			if !errors.Is(err, context.Canceled) {
				t.Fatalf("Flood: %v; want context.Canceled", err)
			}
			_ = pb
			time.Sleep(20 * time.Millisecond) // values still arriving would be delivered now
		})
	}
}

// ProgressClient serves $/progress for tokens it made itself, as an LSP
// client serves a server's window/workDoneProgress tokens.
type ProgressClient struct{ got chan any }

func (p *ProgressClient) Progress(ctx context.Context, params map[string]any) error {
	p.got <- params["token"]
	return nil
}

func TestProgressOfAnUnknownTokenIsANotification(t *testing.T) {
	for _, c := range codec.All() {
		if c == codec.Gob {
			continue // gob's progress frame carries the value alone: no token to serve
		}
		t.Run(c.Name(), func(t *testing.T) {
			pc := &ProgressClient{got: make(chan any, 1)}
			bind := func(_ *peer.Peer, r *peer.Registry) error {
				if err := r.Register(pc); err != nil {
					return err
				}
				return r.MapName("$/progress", "ProgressClient.Progress")
			}
			a, b := peerPair(t, c, bind, nil)
			_ = a
			if err := b.Notify(context.Background(), "$/progress", map[string]any{"token": "srv-1", "value": 1}); err != nil {
				t.Fatal(err)
			}
			select {
			case tok := <-pc.got:
				if tok != "srv-1" {
					t.Errorf("token %v; want srv-1", tok)
				}
			case <-time.After(5 * time.Second):
				t.Fatal("$/progress of an unknown token was not served")
			}
		})
	}
}

func TestDialectCancelEndsHandler(t *testing.T) {
	eachWire(t, func(t *testing.T, c codec.Codec, d *codec.Dialect) {
		a, b, _, pb := dialectPair(t, c, d)
		ctx, cancel := context.WithCancel(context.Background())
		errc := make(chan error, 1)
		go func() { errc <- a.Call(ctx, "Proto.Wait", "", new(string)) }()
		<-pb.started
		cancelled := time.Now()
		cancel()
		if err := <-errc; !errors.Is(err, context.Canceled) {
			t.Fatalf("Call: %v; want context.Canceled", err)
		}
		select {
		case ended := <-pb.ended:
			if took := ended.Sub(cancelled); took > 100*time.Millisecond {
				t.Errorf("the handler's context ended %v after the cancel; want under 100ms", took)
			}
		case <-time.After(5 * time.Second):
			t.Fatal("the handler's context did not end")
		}
		waitIdle(t, b)
	})
}

// waitIdle waits until p has no request in flight.
func waitIdle(t *testing.T, p *peer.Peer) {
	t.Helper()
	for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(time.Millisecond) {
		if in, _ := p.InFlight(); in == 0 {
			return
		}
		if time.Now().After(deadline) {
			in, _ := p.InFlight()
			t.Fatalf("%d requests still in flight", in)
		}
	}
}

func TestNotificationShapedMethod(t *testing.T) {
	for _, c := range codec.All() {
		t.Run(c.Name(), func(t *testing.T) {
			a, _, _, pb := dialectPair(t, c, nil)
			// As a request, it answers nothing: no error, and a null
			// result (on gob, the stand-in body every empty answer has).
			if err := a.Call(context.Background(), "Proto.Note", "r", nil); err != nil {
				t.Errorf("Note as a request: %v; want nil", err)
			}
			if c != codec.Gob {
				reply := map[string]int{"untouched": 1}
				if err := a.Call(context.Background(), "Proto.Note", "r", &reply); err != nil || reply != nil {
					t.Errorf("Note as a request: %v, %v; want a null result", reply, err)
				}
				<-pb.notes
			}
			if n := <-pb.notes; n.Arg != "r" {
				t.Errorf("Note saw %q; want r", n.Arg)
			}
		})
	}
}

func TestRequestIDInHandler(t *testing.T) {
	for _, c := range codec.All() {
		t.Run(c.Name(), func(t *testing.T) {
			a, _, _, _ := dialectPair(t, c, nil)
			for want := range 3 {
				var id string
				if err := a.Call(context.Background(), "Proto.ID", "", &id); err != nil || id != fmt.Sprint(want+1) {
					t.Errorf("call %d: id %q, %v; want %d (the caller's sequence number, from 1)", want, id, err, want+1)
				}
			}
		})
	}
}

// TestCallInterceptor checks that InterceptCall sees every call and
// notification, adds metadata the other end reads, learns the outcome, and
// can refuse a call without sending it.
func TestCallInterceptor(t *testing.T) {
	refused := errors.New("refused by the interceptor")
	var mu sync.Mutex
	var seen []string
	opts := &peer.Options{InterceptCall: func(ctx context.Context, call peer.Outgoing, invoke func(context.Context) error) error {
		if call.Method == "Proto.Forbidden" {
			return refused
		}
		err := invoke(peer.WithMetadata(ctx, peer.Metadata{"traceparent": "00-trace-" + call.Method}))
		mu.Lock()
		seen = append(seen, fmt.Sprintf("%s notify=%v err=%v peer=%v", call.Method, call.Notify, err != nil, call.Peer != nil))
		mu.Unlock()
		return err
	}}
	pb := newProto()
	a, _ := peerPair(t, codec.Msgpack, nil, func(_ *peer.Peer, r *peer.Registry) error { return r.Register(pb) }, opts)
	ctx := context.Background()
	var got map[string]string
	if err := a.Call(ctx, "Proto.Meta", "", &got); err != nil || got["traceparent"] != "00-trace-Proto.Meta" {
		t.Errorf("Meta: %v, %v; want the interceptor's traceparent", got, err)
	}
	if err := a.Call(ctx, "Proto.Nope", "", nil); err == nil {
		t.Error("Proto.Nope: no error")
	}
	if err := a.Call(ctx, "Proto.Forbidden", "", nil); !errors.Is(err, refused) {
		t.Errorf("Proto.Forbidden: %v; want the interceptor's refusal", err)
	}
	if err := a.Notify(ctx, "Proto.Note", "n"); err != nil {
		t.Fatal(err)
	}
	if n := <-pb.notes; n.Meta["traceparent"] != "00-trace-Proto.Note" {
		t.Errorf("Note saw %v; want the interceptor's traceparent", n.Meta)
	}
	mu.Lock()
	defer mu.Unlock()
	want := []string{
		"Proto.Meta notify=false err=false peer=true",
		"Proto.Nope notify=false err=true peer=true",
		"Proto.Note notify=true err=false peer=true",
	}
	if !reflect.DeepEqual(seen, want) {
		t.Errorf("the interceptor saw\n%q\nwant\n%q", seen, want)
	}
}

// ctxMark is a context key an interceptor sets, for TestLogsCarryTheHandlersContext.
type ctxMark struct{}

// markHandler records the mark of the context of each record it handles.
type markHandler struct {
	slog.Handler
	marks chan any
}

func (h markHandler) Enabled(context.Context, slog.Level) bool { return true }

func (h markHandler) Handle(ctx context.Context, r slog.Record) error {
	h.marks <- ctx.Value(ctxMark{})
	return nil
}

// TestLogsCarryTheHandlersContext checks that the engine's log line about
// a handler is written with the context the handler ran with, as an
// interceptor made it, so that a log handler (otel's) finds the trace.
func TestLogsCarryTheHandlersContext(t *testing.T) {
	h := markHandler{slog.DiscardHandler, make(chan any, 8)}
	opts := &peer.Options{
		Logger: slog.New(h),
		Intercept: func(ctx context.Context, _ string, serve func(context.Context) error) error {
			return serve(context.WithValue(ctx, ctxMark{}, "span-1"))
		},
	}
	a, _ := peerPair(t, codec.Msgpack, nil, func(_ *peer.Peer, r *peer.Registry) error { return r.Register(newProto()) }, nil, opts)
	if err := a.Call(context.Background(), "Proto.Panic", "", new(string)); err == nil {
		t.Fatal("Proto.Panic: no error")
	}
	select {
	case mark := <-h.marks:
		if mark != "span-1" {
			t.Errorf("the panic was logged with mark %v; want the interceptor's span-1", mark)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("the panic was not logged")
	}
}
