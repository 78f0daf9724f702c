package otelpeer

import (
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"
	semconv "go.opentelemetry.io/otel/semconv/v1.43.0"
)

// methodInfo is what every call of one method on one system shares: the
// span's name, the method's attributes, and the metric options of a call
// that succeeded, made once, since each costs allocations per call.
type methodInfo struct {
	name   string                // the span's
	attrs  []attribute.KeyValue  // rpc.method, and rpc.method_original for an unknown one
	base   []attribute.KeyValue  // the metrics': rpc.system.name, rpc.method
	active []metric.AddOption    // base, for the in-flight counts
	ok     []metric.RecordOption // base, for the duration of a call that succeeded
}

// maxMethods bounds the methods an Instrumentation keeps: past it, a
// method's info is made per call. A peer that serves any name
// (peer.SetFallback) without a KnownMethod could otherwise fill memory
// with names its callers invent.
const maxMethods = 4096

type methodKey struct{ system, method string }

// methodOf returns the info of method on wire w.
func (in *Instrumentation) methodOf(w wire, method string) *methodInfo {
	key := methodKey{w.system, method}
	if v, ok := in.methods.Load(key); ok {
		return v.(*methodInfo)
	}
	mi := in.newMethodInfo(w, method)
	if in.nmethods.Load() >= maxMethods {
		return mi
	}
	if v, loaded := in.methods.LoadOrStore(key, mi); loaded {
		return v.(*methodInfo)
	}
	in.nmethods.Add(1)
	return mi
}

// newMethodInfo names a method's span and makes its attributes: a method
// KnownMethod rejects is rpc.method "_OTHER", with rpc.method_original,
// in a span named after the system, as the conventions ask.
func (in *Instrumentation) newMethodInfo(w wire, method string) *methodInfo {
	mi := &methodInfo{name: method, attrs: []attribute.KeyValue{semconv.RPCMethod(method)}}
	if in.known != nil && !in.known(method) {
		mi.name = w.system
		mi.attrs = []attribute.KeyValue{semconv.RPCMethod(other), semconv.RPCMethodOriginal(method)}
	}
	mi.base = []attribute.KeyValue{semconv.RPCSystemNameKey.String(w.system), mi.attrs[0]}
	set := attribute.NewSet(mi.base...)
	// Slices made once: a variadic call with a new option allocates it.
	mi.active = []metric.AddOption{metric.WithAttributeSet(set)}
	mi.ok = []metric.RecordOption{metric.WithAttributeSet(set)}
	return mi
}
