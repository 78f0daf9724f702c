package peer

import (
	"context"
	"errors"
	"go/token"
	"reflect"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
)

// Registry holds the services a peer serves, registered the net/rpc way:
// Register and RegisterName take the same receivers, keep the same
// methods and fail with the same messages as (*rpc.Server).Register, and a
// request for a method it does not have gets net/rpc's "rpc: can't find"
// errors. A method qualifies when it is exported and has one of the shapes
//
//	func (t *T) Name(args A, reply *R) error
//	func (t *T) Name(ctx context.Context, args A, reply *R) error
//
//	func (t *T) Name(ctx context.Context, args A) error
//	func (t *T) Name(ctx context.Context, args A, out *Stream[R]) error
//
// where A and R are exported or builtin types. The second and third shapes
// are this package's additions: ctx ends when the caller cancels the call,
// when the peer's connection ends, or when an interceptor says so, and
// [FromContext] gives the calling peer; [IncomingMetadata], [RequestID]
// and [ReportProgress] read and answer what the request came with. The
// third shape has no reply: it serves a notification as it is meant to be
// served, and answers a request with a null result (nil on msgpack-rpc).
// The fourth streams its results, items sent with out.Send, to a caller
// that ranges over CallStream (a *Stream[R] may take the reply's place
// in the first shape too).
//
// A Registry is safe for concurrent use; services may be added while the
// peer serves, though they are usually all added by the [Binder].
type Registry struct {
	names atomic.Pointer[nameTable] // wire names (names.go); nil: none

	mu       sync.Mutex // serializes writers; readers load services
	services atomic.Pointer[map[string]*service]
	fallback atomic.Pointer[method] // serves the methods it lacks: SetFallback
}

// service is one registered receiver.
type service struct {
	name    string
	rcvr    reflect.Value
	methods map[string]*method
}

// method is one method that qualifies, with what a call needs to know.
type method struct {
	fn        reflect.Value // the method as a function of the receiver
	argType   reflect.Type  // as declared: a pointer or a value
	replyType reflect.Type  // a pointer; nil for a method without a reply
	withCtx   bool
	stream    bool // replyType is a *Stream[T]: the method streams its results
}

// MethodInfo describes one method a Registry serves.
type MethodInfo struct {
	Name    string       // "Service.Method", as callers name it
	Args    reflect.Type // the argument's type, as the method declares it
	Reply   reflect.Type // the reply's type, a pointer; nil for a method without one
	Context bool         // the method takes a context.Context first
	Stream  reflect.Type // for a method that streams, the type of its items; else nil
}

// NewRegistry returns an empty Registry.
func NewRegistry() *Registry {
	r := new(Registry)
	r.services.Store(&map[string]*service{})
	return r
}

var (
	typeOfError   = reflect.TypeFor[error]()
	typeOfContext = reflect.TypeFor[context.Context]()
)

// Register publishes the qualifying methods of rcvr under the name of its
// concrete type, as (*rpc.Server).Register does.
func (r *Registry) Register(rcvr any) error { return r.register(rcvr, "", false) }

// RegisterName is Register with the service name given.
func (r *Registry) RegisterName(name string, rcvr any) error { return r.register(rcvr, name, true) }

func (r *Registry) register(rcvr any, name string, useName bool) error {
	typ := reflect.TypeOf(rcvr)
	if typ == nil {
		return errors.New("rpc.Register: no service name for type <nil>")
	}
	val := reflect.ValueOf(rcvr)
	if !useName {
		name = reflect.Indirect(val).Type().Name()
	}
	if name == "" {
		return errors.New("rpc.Register: no service name for type " + typ.String())
	}
	if !useName && !token.IsExported(name) {
		return errors.New("rpc.Register: type " + name + " is not exported")
	}
	methods := methodsOf(typ)
	if len(methods) == 0 {
		msg := "rpc.Register: type " + name + " has no exported methods of suitable type"
		if typ.Kind() != reflect.Pointer && len(methodsOf(reflect.PointerTo(typ))) > 0 {
			msg += " (hint: pass a pointer to value of that type)"
		}
		return errors.New(msg)
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	old := *r.services.Load()
	if _, dup := old[name]; dup {
		return errors.New("rpc: service already defined: " + name)
	}
	next := make(map[string]*service, len(old)+1)
	for k, v := range old {
		next[k] = v
	}
	next[name] = &service{name: name, rcvr: val, methods: methods}
	r.services.Store(&next)
	return nil
}

// methodCache keeps the methods of each type registered so far: a Hub's
// Binder registers the same types on every connection.
var methodCache sync.Map // reflect.Type -> map[string]*method

// methodsOf returns the methods of typ that qualify, by name.
func methodsOf(typ reflect.Type) map[string]*method {
	if m, ok := methodCache.Load(typ); ok {
		return m.(map[string]*method)
	}
	methods := make(map[string]*method)
	for i := range typ.NumMethod() {
		m := typ.Method(i)
		if !m.IsExported() {
			continue
		}
		mt := m.Type
		if mt.NumOut() != 1 || mt.Out(0) != typeOfError {
			continue
		}
		withCtx := mt.NumIn() >= 3 && mt.In(1) == typeOfContext
		var argType, replyType reflect.Type
		switch {
		case withCtx && mt.NumIn() == 3: // (ctx, args): no reply
			argType = mt.In(2)
		case withCtx && mt.NumIn() == 4:
			argType, replyType = mt.In(2), mt.In(3)
		case !withCtx && mt.NumIn() == 3:
			argType, replyType = mt.In(1), mt.In(2)
		default:
			continue
		}
		if !exportedOrBuiltin(argType) || replyType != nil && (replyType.Kind() != reflect.Pointer || !exportedOrBuiltin(replyType)) {
			continue
		}
		methods[m.Name] = &method{fn: m.Func, argType: argType, replyType: replyType, withCtx: withCtx,
			stream: replyType != nil && replyType.Implements(typeOfStreamBinder)}
	}
	methodCache.Store(typ, methods)
	return methods
}

func exportedOrBuiltin(t reflect.Type) bool {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	return token.IsExported(t.Name()) || t.PkgPath() == ""
}

// find finds the registered method a request names, with net/rpc's
// errors for one it cannot find.
func (r *Registry) find(serviceMethod string) (*service, *method, error) {
	dot := strings.LastIndexByte(serviceMethod, '.')
	if dot < 0 {
		return nil, nil, errors.New("rpc: service/method request ill-formed: " + serviceMethod)
	}
	svc := (*r.services.Load())[serviceMethod[:dot]]
	if svc == nil {
		return nil, nil, errors.New("rpc: can't find service " + serviceMethod)
	}
	m := svc.methods[serviceMethod[dot+1:]]
	if m == nil {
		return nil, nil, errors.New("rpc: can't find method " + serviceMethod)
	}
	return svc, m, nil
}

// lookup finds the method a request names: a registered one, or else the
// fallback, or else net/rpc's error for one it cannot find. cancelMethod
// is the connection's dialect's, which reaches a registry only as a
// malformed cancel, and is never the fallback's.
func (r *Registry) lookup(serviceMethod, cancelMethod string) (*service, *method, error) {
	svc, m, err := r.find(serviceMethod)
	if err == nil {
		return svc, m, nil
	}
	fb := r.fallback.Load()
	if fb == nil || serviceMethod == HeartbeatMethod || serviceMethod == cancelMethod {
		return nil, nil, err
	}
	return &service{name: serviceMethod, rcvr: reflect.ValueOf(serviceMethod)}, fb, nil
}

// Methods lists the methods the Registry serves, sorted by name. The
// Registry sends it to nobody unless RegisterIntrospection asks it to.
func (r *Registry) Methods() []MethodInfo {
	var list []MethodInfo
	for _, svc := range *r.services.Load() {
		for name, m := range svc.methods {
			info := MethodInfo{Name: svc.name + "." + name, Args: m.argType, Reply: m.replyType, Context: m.withCtx}
			if m.stream {
				info.Stream = reflect.New(m.replyType.Elem()).Interface().(streamBinder).streamItem()
			}
			list = append(list, info)
		}
	}
	sort.Slice(list, func(i, j int) bool { return list[i].Name < list[j].Name })
	return list
}

// newArg returns a pointer to a fresh argument, and the value the method
// is called with (the pointer itself, or what it points to).
func (m *method) newArg() (ptr any, arg reflect.Value) {
	if m.argType.Kind() == reflect.Pointer {
		v := reflect.New(m.argType.Elem())
		return v.Interface(), v
	}
	v := reflect.New(m.argType)
	return v.Interface(), v.Elem()
}

// newReply returns a fresh reply, with maps and slices made as net/rpc
// makes them so that an untouched reply encodes as empty, not null; the
// zero Value for a method without a reply.
func (m *method) newReply() reflect.Value {
	if m.replyType == nil {
		return reflect.Value{}
	}
	v := reflect.New(m.replyType.Elem())
	switch m.replyType.Elem().Kind() {
	case reflect.Map:
		v.Elem().Set(reflect.MakeMap(m.replyType.Elem()))
	case reflect.Slice:
		v.Elem().Set(reflect.MakeSlice(m.replyType.Elem(), 0, 0))
	}
	return v
}

// call runs the method.
func (m *method) call(ctx context.Context, rcvr, arg, reply reflect.Value) error {
	var out []reflect.Value
	if m.withCtx {
		c := reflect.New(typeOfContext).Elem()
		if ctx != nil {
			c.Set(reflect.ValueOf(ctx))
		}
		if m.replyType == nil {
			out = m.fn.Call([]reflect.Value{rcvr, c, arg})
		} else {
			out = m.fn.Call([]reflect.Value{rcvr, c, arg, reply})
		}
	} else {
		out = m.fn.Call([]reflect.Value{rcvr, arg, reply})
	}
	if err := out[0].Interface(); err != nil {
		return err.(error)
	}
	return nil
}
