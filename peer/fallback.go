package peer

import (
	"context"
	"reflect"
)

// FallbackFunc serves a request or notification for a method that a
// [Registry] does not have. method is the name as the caller sent it, which
// need not be of net/rpc's "Service.Method" form; args is decoded from the
// call's params and reply is encoded as the answer, exactly as for a
// registered method. Its ctx is a handler's: it ends when the caller
// cancels the call or the connection ends, and [FromContext] gives the
// calling peer.
type FallbackFunc[A, R any] func(ctx context.Context, method string, args A, reply *R) error

// SetFallback makes fn serve every request and notification for a method
// that r does not have, in place of net/rpc's "rpc: can't find …" errors:
// a catch-all, for programs that answer method names they cannot know in
// advance (a proxy, a test double, a shell tool). Registered methods still
// come first. [HeartbeatMethod] and malformed cancel messages never reach
// fn; the Interceptor, if any, runs around it as around any handler.
//
// The argument is decoded by the codec's usual rules for params: an A that
// takes a whole list (a slice such as json.RawMessage, or an interface
// such as any) gets the single param when the call has one, and the whole
// params array when it has several or none. So json.RawMessage over the
// JSON codecs, and msgpack.RawMessage or any over msgpack, take any params
// without Go types.
//
// R may be a Stream[T]: fn then streams its results, as a handler that
// takes a *Stream[T] does, with reply as its stream.
//
// SetFallback replaces any fallback set before; a nil fn removes it. It is
// safe to call while the peer serves, though a Binder is the usual place.
// [Registry.Methods] does not list the fallback.
func SetFallback[A, R any](r *Registry, fn FallbackFunc[A, R]) {
	if fn == nil {
		r.fallback.Store(nil)
		return
	}
	// The method is called with the name in place of a receiver: lookup
	// makes a service per call whose receiver is the name.
	call := func(name string, ctx context.Context, args A, reply *R) error {
		return fn(ctx, name, args, reply)
	}
	replyType := reflect.TypeFor[*R]()
	r.fallback.Store(&method{
		fn:        reflect.ValueOf(call),
		argType:   reflect.TypeFor[A](),
		replyType: replyType,
		withCtx:   true,
		stream:    replyType.Implements(typeOfStreamBinder),
	})
}
