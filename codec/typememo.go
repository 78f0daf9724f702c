package codec

import "reflect"

// typeMemo remembers what a lookup found for the last type a Conn's reader
// asked about. The bodies a connection reads are mostly of the one or two
// types its methods take, and comparing a type costs less than a lookup in
// a process-wide cache (a sync.Map, which hashes the interface). Only the
// reader uses it, so it needs no lock.
type typeMemo[V any] struct {
	t reflect.Type
	v V
}

// get returns lookup(t), from memory when t is the type asked about last.
func (m *typeMemo[V]) get(t reflect.Type, lookup func(reflect.Type) V) V {
	if m.t != t || t == nil {
		m.t, m.v = t, lookup(t)
	}
	return m.v
}
