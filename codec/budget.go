package codec

import (
	"encoding"
	"encoding/json"
	"fmt"
	"reflect"
	"strings"
	"sync"
)

// This file bounds what decoding one frame may allocate. MaxFrameSize bounds
// the bytes on the wire, but a small value on the wire can stand for a large
// one in memory: a msgpack array of a million 1-byte zeros decoded into an
// []any is 16 MB of interface slots, plus the decoder's slice growth. Before
// a body is decoded, a walk over its encoding charges each value what its
// Go value will take, given the type it is decoded into (budgetWalk); the
// codec's own overhead on top of that is a measured factor (see the
// engines). A frame whose charge passes its budget is refused before
// anything is allocated.

// DefaultMaxDecodeRatio is the budget of one frame when
// [Options.MaxDecodeRatio] is zero: decoding it may allocate 8 times its
// size on the wire.
const DefaultMaxDecodeRatio = 8

// minDecodeBudget is the budget of a frame too small for the ratio to give
// it this much (one under 128 KiB at the default ratio). The walk's charge
// is an upper bound, up to 2-3x over what encoding/json and ugorji really
// allocate for lists of structs; the floor keeps ordinary requests of a
// few hundred structs from being refused, while no frame can make a
// decoder allocate more than this beyond its ratio.
const minDecodeBudget = 1 << 20

// decodeRatio is opts' MaxDecodeRatio; a negative one, no budget, is 0.
func (o *Options) decodeRatio() int {
	switch {
	case o == nil || o.MaxDecodeRatio == 0:
		return DefaultMaxDecodeRatio
	case o.MaxDecodeRatio < 0:
		return 0
	}
	return o.MaxDecodeRatio
}

// decodeBudget is what the bodies of the frame just read may still allocate.
// A frame's bodies (one, or the messages of a JSON-RPC 2.0 batch) share it.
type decodeBudget struct {
	ratio int   // of the Conn; 0: unbounded
	left  int64 // of the current frame
	amp   typeMemo[int64]
}

// reset gives a new frame of size bytes its budget.
func (b *decodeBudget) reset(size int) {
	b.left = max(int64(b.ratio)*int64(size), minDecodeBudget)
}

// walkMaxPerByte bounds what the walk charges a byte of any body, beyond
// what the type it decodes into can take per byte (gobAmp), overheads
// included: 1-byte maps in an interface are the worst, at under 300.
const walkMaxPerByte = 1024

// cheap reports whether a body of size bytes decoded into a value of type
// t surely fits what is left, and if so charges that bound: the walk is
// skipped for the small bodies that most calls have. A Raw, copied rather
// than decoded, is charged its size.
func (b *decodeBudget) cheap(size int, t reflect.Type) bool {
	if t == rawType && int64(size) <= b.left { // copied, never decoded
		b.left -= int64(size)
		return true
	}
	bound := int64(size) * (walkMaxPerByte + b.amp.get(t, gobAmp))
	if bound > b.left {
		return false
	}
	b.left -= bound
	return true
}

// limit is the most a walk may count before its cost, scaled by an
// engine's overhead in percent, passes what is left.
func (b *decodeBudget) limit(overhead int64) int64 { return b.left * 100 / overhead }

// spend charges a walk's cost, scaled by the engine's overhead in percent,
// and fails with ErrDecodeBudget when the frame's budget cannot pay it.
func (b *decodeBudget) spend(cost int64, overhead int64) error {
	if b.ratio == 0 {
		return nil
	}
	cost = (cost*overhead + 99) / 100
	if cost > b.left {
		return fmt.Errorf("%w: decoding it would allocate about %d bytes, more than %d times the frame's size (Options.MaxDecodeRatio)", ErrDecodeBudget, cost, b.ratio)
	}
	b.left -= cost
	return nil
}

// What a value on the wire is, as far as its cost in memory goes.
type wireKind uint8

const (
	wireNil    wireKind = iota
	wireScalar          // a bool, or a number that fits in the interface word (no allocation)
	wireNumber          // a number that an interface boxes
	wireString          // n bytes of text
	wireBinary          // n bytes
	wireArray           // children follow: elements
	wireMap             // children follow: key, value, key, value...
	wireOther           // an ext, or anything whose cost is only its bytes (n)
)

// wireValue is the head of one value read by a wireCursor. key is the bytes
// of a string, for matching map keys with struct fields.
type wireValue struct {
	kind wireKind
	n    int
	key  []byte
}

// wireCursor walks one encoded value, depth first. next reads the head of
// the next value; after an array or a map, more reports whether another
// child follows (and false once, when the container ends), and skip steps
// over the rest of the innermost container, closing it, and returns how
// many children it had left.
type wireCursor interface {
	next() (wireValue, error)
	more() bool
	skip() int
}

// Go's sizes of what decoding makes, in bytes.
const (
	ifaceSize  = 16 // an interface slot
	sliceSize  = 24 // a slice header
	stringSize = 16 // a string header
	boxSize    = 8  // a boxed number
	mapSize    = 48 // a map's header
	// growth: decoders grow a slice by appending, and a map by doubling,
	// so what they allocate for n elements is about twice n elements.
	growth = 2
)

// mapEntry is the charge for the i-th entry of a map whose key and value
// take kv bytes: the first brings a group of eight slots, each later one
// its slot, twice over for the growth.
func mapEntry(i int, kv int64) int64 {
	if i == 0 {
		return 8*kv + 8
	}
	return growth * (kv + 1)
}

// engineCost is what a decoder allocates beyond the Go values it makes, as
// measured in TestDecodeBudget's shapes: reflection's scratch values, and
// per element of a list or map and per list or map it decodes.
type engineCost struct {
	overhead     int64 // percent of the values' own bytes
	perElem      int64 // bytes per element of a list or entry of a map
	perContainer int64 // bytes per list or map
	perStruct    int64 // bytes per struct decoded from a list or map
}

// budgetWalk charges the values under a cursor the bytes their Go values
// take, and the engine's own costs. It stops charging once the charge
// passes limit: the frame is then refused anyway.
type budgetWalk struct {
	cur    wireCursor
	engine engineCost
	cost   int64
	limit  int64
	err    error
}

// value charges the next value, decoded into a value of type t (nil for an
// interface, which holds whatever the wire says).
func (w *budgetWalk) value(t reflect.Type) {
	if w.err != nil {
		return
	}
	v, err := w.cur.next()
	if err != nil {
		w.err = err
		return
	}
	if v.kind == wireArray || v.kind == wireMap {
		w.add(w.engine.perContainer)
	}
	w.charge(v, t)
}

// elem charges an element of a list or an entry of a map beyond its value.
func (w *budgetWalk) elem(n int64) { w.add(n + w.engine.perElem) }

func (w *budgetWalk) add(n int64) {
	w.cost += n
	if w.cost > w.limit && w.err == nil {
		w.err = errOverBudget
	}
}

// errOverBudget stops a walk whose charge passed its limit.
var errOverBudget = fmt.Errorf("%w: over budget", ErrDecodeBudget)

// charge charges v decoded into a value of type t, which costType has
// resolved: every type the walk passes on is resolved once, outside the
// loops over elements.
func (w *budgetWalk) charge(v wireValue, t reflect.Type) {
	if t == nil {
		w.dynamic(v)
		return
	}
	switch t.Kind() {
	case reflect.Pointer:
		if v.kind != wireNil {
			w.add(int64(t.Elem().Size()))
			w.charge(v, costType(t.Elem()))
		}
		return
	case reflect.String:
		if v.kind != wireArray && v.kind != wireMap {
			w.add(int64(v.n))
			return
		}
	case reflect.Slice:
		switch v.kind {
		case wireString, wireBinary, wireOther:
			w.add(int64(v.n))
			return
		case wireArray:
			size, elem := growth*int64(t.Elem().Size()), costType(t.Elem())
			if fixedSize(elem) {
				// Numbers and bools take their place and nothing more:
				// step over them without a walk. (A list among them fails
				// the decoder there, with nothing more allocated.)
				w.add(int64(w.cur.skip()) * (size + w.engine.perElem))
				return
			}
			for w.cur.more() && w.err == nil {
				w.elem(size)
				w.value(elem)
			}
			return
		}
	case reflect.Array:
		if v.kind == wireArray {
			elem := costType(t.Elem())
			if fixedSize(elem) {
				w.add(int64(w.cur.skip()) * w.engine.perElem)
				return
			}
			for w.cur.more() && w.err == nil {
				w.elem(0)
				w.value(elem) // in place; extra elements are dropped
			}
			return
		}
	case reflect.Map:
		if v.kind == wireMap {
			w.add(mapSize)
			kv := int64(t.Key().Size() + t.Elem().Size())
			key, elem := costType(t.Key()), costType(t.Elem())
			for i := 0; w.cur.more() && w.err == nil; i++ {
				w.elem(mapEntry(i, kv))
				w.value(key)
				if w.cur.more() {
					w.value(elem)
				}
			}
			return
		}
	case reflect.Struct:
		if v.kind == wireArray || v.kind == wireMap {
			w.add(w.engine.perStruct)
		}
		switch v.kind {
		case wireMap:
			fields := fieldsOf(t)
			for w.cur.more() && w.err == nil {
				k, err := w.cur.next()
				if err != nil {
					w.err = err
					return
				}
				if k.kind == wireString {
					w.add(int64(k.n)) // compared in place, by most decoders
				} else {
					w.charge(k, nil)
				}
				if !w.cur.more() {
					break
				}
				ft, ok := fields.lookup(k.key)
				if !ok {
					ft = nil // skipped by the decoder, but charged as a dynamic value
				}
				w.value(ft)
			}
			return
		case wireArray:
			fields := fieldsOf(t)
			for i := 0; w.cur.more() && w.err == nil; i++ {
				var ft reflect.Type
				if i < len(fields.list) {
					ft = fields.list[i]
				}
				w.value(ft)
			}
			return
		}
	default:
		if v.kind != wireArray && v.kind != wireMap {
			return // a scalar into its place
		}
	}
	// A value that does not fit t: the decoder fails, after doing who knows
	// what; charge it as if it went into an interface.
	w.dynamic(v)
}

// dynamic charges a value decoded into an interface.
func (w *budgetWalk) dynamic(v wireValue) {
	switch v.kind {
	case wireNumber:
		w.add(boxSize)
	case wireString:
		w.add(stringSize + int64(v.n))
	case wireBinary, wireOther:
		w.add(sliceSize + int64(v.n))
	case wireArray:
		w.add(sliceSize)
		for w.cur.more() && w.err == nil {
			w.elem(growth * ifaceSize)
			w.value(nil)
		}
	case wireMap:
		w.add(mapSize)
		for i := 0; w.cur.more() && w.err == nil; i++ {
			if i%2 == 0 { // a key; its value follows
				w.elem(mapEntry(i/2, 2*ifaceSize))
			}
			w.value(nil)
		}
	}
}

var (
	jsonUnmarshalerType = reflect.TypeFor[json.Unmarshaler]()
	textUnmarshalerType = reflect.TypeFor[encoding.TextUnmarshaler]()
	binUnmarshalerType  = reflect.TypeFor[encoding.BinaryUnmarshaler]()
)

// fixedSize reports whether a value of the resolved type t takes its place
// and nothing more: a bool or a number.
func fixedSize(t reflect.Type) bool {
	if t == nil {
		return false
	}
	switch t.Kind() {
	case reflect.Bool, reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr,
		reflect.Float32, reflect.Float64, reflect.Complex64, reflect.Complex128:
		return true
	}
	return false
}

// targetType is the type a body decoded into v takes: what v points to.
func targetType(v any) reflect.Type {
	t := reflect.TypeOf(v)
	if t == nil || t.Kind() != reflect.Pointer {
		return nil
	}
	return t.Elem()
}

// costType is the type whose layout the walk follows: nil for an interface,
// and for a type that decodes itself, whose cost only the wire can tell.
func costType(t reflect.Type) reflect.Type {
	if t == nil || t.Kind() == reflect.Interface {
		return nil
	}
	if r, ok := costTypes.Load(t); ok {
		return r.(resolved).t
	}
	r := resolveCostType(t)
	costTypes.Store(t, resolved{r})
	return r
}

// costTypes caches costType: the Implements checks cost more than the
// rest of a value's walk.
var costTypes sync.Map // reflect.Type → resolved

type resolved struct{ t reflect.Type }

func resolveCostType(t reflect.Type) reflect.Type {
	pt := reflect.PointerTo(t)
	if pt.Implements(jsonUnmarshalerType) || pt.Implements(textUnmarshalerType) || pt.Implements(binUnmarshalerType) || decodesItself(pt) {
		return nil
	}
	return t
}

// structFields are the types of a struct's fields, resolved by costType,
// in order and by name.
type structFields struct {
	list   []reflect.Type
	byName map[string]reflect.Type // by lower-case name: JSON matches without case
}

func (f *structFields) lookup(key []byte) (reflect.Type, bool) {
	t, ok := f.byName[string(key)]
	if !ok {
		t, ok = f.byName[strings.ToLower(string(key))]
	}
	return t, ok
}

var fieldCache sync.Map // reflect.Type → *structFields

// fieldsOf lists t's exported fields under every name a decoder of this
// package matches them by: the json tag (which the msgpack engines are set
// to read), the field's name, and the fields promoted from embedded structs.
func fieldsOf(t reflect.Type) *structFields {
	if f, ok := fieldCache.Load(t); ok {
		return f.(*structFields)
	}
	f := &structFields{byName: map[string]reflect.Type{}}
	for _, sf := range reflect.VisibleFields(t) {
		if !sf.IsExported() || sf.Anonymous && sf.Type.Kind() == reflect.Struct {
			continue
		}
		ft := costType(sf.Type)
		if len(sf.Index) == 1 {
			f.list = append(f.list, ft)
		}
		name := sf.Name
		for _, tag := range []string{sf.Tag.Get("json"), sf.Tag.Get("msgpack"), sf.Tag.Get("codec")} {
			if n, _, _ := strings.Cut(tag, ","); n != "" && n != "-" {
				f.byName[n] = ft
				f.byName[strings.ToLower(n)] = ft
			}
		}
		f.byName[name] = ft
		f.byName[strings.ToLower(name)] = ft
	}
	fieldCache.Store(t, f)
	return f
}
