package codec

import (
	"fmt"
	"reflect"
	"sync"
)

// A gob message is charged by what it carries: gobLimitReader hands each
// message to a walk of gob's wire (gob_walk.go) before gob decodes it, and
// the walk charges each value what encoding/gob allocates for it, as its
// decoder does it (Go 1.26): a slice or a []byte of up to 10 MB exactly,
// and a larger one from a first 10 MB in steps of append's growth (gob's
// saferio), which is 5 times the slice; a map by the count it is sized with,
// though its keys may repeat; a string its bytes; an interface its value
// twice over, as gob allocates it and copies it in. On top, the message's
// buffers: gob's own, and for a message over 10 MB the walk's copy.

// gobChunk is encoding/gob's (internal/saferio's) chunk: what it allocates
// at once for a buffer or a slice before growing it as it fills.
const gobChunk = 10 << 20

// gobIfaceCost is what decoding an interface value allocates beyond its
// value, measured: reflection's scratch value.
const gobIfaceCost = 16

// gobDefCost and gobFieldCost are what a type definition allocates, in
// gob's table of the stream's types and in the decoder it compiles for the
// type: per type, and per field beyond its name (which is kept twice, once
// in an error for the field's overflow).
const (
	gobDefCost   = 1024
	gobFieldCost = 192
)

// gobAlloc is what the runtime allocates for n bytes: rounded up to its
// size classes, at most 1/8 more, and to pages for large objects.
func gobAlloc(n int64) int64 {
	switch {
	case n <= 0:
		return 0
	case n <= 16:
		return 16
	case n <= 128:
		return (n + 15) &^ 15
	case n <= 32<<10:
		return n + n/8 + 16
	}
	return (n + 8191) &^ 8191
}

// gobSliceAlloc is what gob allocates for a slice of n elements of size
// bytes: all of it, up to gobChunk; past it, a gobChunk's worth, grown by
// append until it holds n.
func gobSliceAlloc(n, size int64) int64 {
	if n == 0 || size == 0 {
		return 0
	}
	if n > (1<<50)/size {
		return 1 << 50 // more than any budget
	}
	if n*size <= gobChunk {
		return gobAlloc(n * size)
	}
	c := max(gobChunk/size, 1)
	total := gobAlloc(c * size)
	for c < n {
		c = gobGrow(c)
		total += gobAlloc(c * size)
	}
	return total
}

// gobGrow is the capacity append grows a full slice of c elements to, for
// one more (runtime.nextslicecap).
func gobGrow(c int64) int64 {
	if c < 256 {
		return 2*c + 1
	}
	return c + (c+3*256)/4
}

// gobMapAlloc is what a map made for n entries allocates: groups of eight
// slots of key, value and a control byte, at a load of 7/8 rounded up to a
// power of two, at most twice that; a key or value over 128 bytes is held
// by a pointer, and allocated for each entry.
func gobMapAlloc(n, key, elem int64) int64 {
	var each int64
	if key > 128 {
		each, key = each+gobAlloc(key), 8
	}
	if elem > 128 {
		each, elem = each+gobAlloc(elem), 8
	}
	if n > 1<<40 {
		return 1 << 50
	}
	slots := 2*(n*8/7+1) + 8
	return mapSize + slots*(key+elem+1) + (slots/1024+1)*64 + n*each
}

// gobReadCost is what reading a message of size bytes allocates: gob's
// buffer for it (for one over gobChunk, a chunk and the buffer grown by
// appending chunks), and the walk's copy of one over gobChunk.
func gobReadCost(size int64) int64 {
	if size < gobChunk {
		return gobAlloc(size)
	}
	total := gobChunk + gobAlloc(size) // gob's chunk, and the walk's copy
	var c int64
	for have := int64(0); have < size; have += min(gobChunk, size-have) {
		need := have + min(gobChunk, size-have)
		if need > c {
			if c == 0 {
				c = need
			}
			for c < need {
				c = gobGrow(c)
			}
			total += gobAlloc(c)
		}
	}
	return total
}

// gobRegistered are the types encoding/gob registers itself, by the name
// it sends them under: the only concrete types of an interface value that
// a program that registered none accepts. Others are charged the widest
// their wire allows.
var gobRegistered = func() map[string]reflect.Type {
	m := map[string]reflect.Type{}
	for _, v := range []any{
		int(0), int8(0), int16(0), int32(0), int64(0), uint(0), uint8(0), uint16(0), uint32(0), uint64(0),
		float32(0), float64(0), complex64(0), complex128(0), uintptr(0), false, "",
		[]byte(nil), []int(nil), []int8(nil), []int16(nil), []int32(nil), []int64(nil),
		[]uint(nil), []uint16(nil), []uint32(nil), []uint64(nil), []float32(nil), []float64(nil),
		[]complex64(nil), []complex128(nil), []uintptr(nil), []bool(nil), []string(nil),
	} {
		t := reflect.TypeOf(v)
		m[t.String()] = t
	}
	return m
}()

// widest is the largest Go value a value of wire type id can decode into.
func (g *gobTypes) widest(id int64, depth int) int64 {
	const unknown = 1 << 40 // past any budget
	switch id {
	case gobBool:
		return 1
	case gobInt, gobUint, gobFloat:
		return 8
	case gobComplex, gobString, gobInterface:
		return 16
	case gobBytes:
		return sliceSize
	}
	d := g.def(id)
	if d == nil || depth > MaxDepth {
		return unknown
	}
	if d.widest > 0 {
		return d.widest
	}
	var w int64
	switch d.kind {
	case gobSliceDef, gobOpaqueDef:
		w = sliceSize
	case gobMapDef:
		w = 8
	case gobArrayDef:
		w = min(d.len*g.widest(d.elem, depth+1), unknown)
	case gobStructDef:
		for _, f := range d.fields {
			w = min(w+g.widest(f.id, depth+1), unknown)
		}
	}
	w = max(w, 1)
	d.widest = w
	return w
}

// define reads the wireType of type id and stages it.
func (w *gobWalk) define(id int64) {
	if id < gobFirstUser || w.types.def(id) != nil {
		w.fail(fmt.Errorf("%w: gob type %d defined again", ErrMalformed, id))
		return
	}
	d := &gobDef{}
	w.add(gobDefCost)
	w.structOf(func(kind int) {
		switch kind {
		case 1, 2, 3, 4:
			d.kind = []uint8{gobArrayDef, gobSliceDef, gobStructDef, gobMapDef}[kind-1]
		case 5, 6, 7:
			d.kind = gobOpaqueDef
		default:
			w.fail(fmt.Errorf("%w: gob type definition with field %d", ErrMalformed, kind))
			return
		}
		w.structOf(func(f int) {
			switch {
			case f == 1: // CommonType: Name, Id
				w.structOf(func(f int) {
					if f == 1 {
						n := w.count(1) // the name
						w.skip(n)
						w.add(2 * gobAlloc(n))
					} else {
						w.int()
					}
				})
			case d.kind == gobStructDef && f == 2:
				n := w.count(1)
				w.add(gobSliceAlloc(n, 24) + n*gobFieldCost)
				for i := int64(0); i < n && w.err == nil; i++ {
					var fd gobDefField
					w.structOf(func(f int) {
						if f == 1 {
							fd.name = w.str()
							w.add(2 * gobAlloc(int64(len(fd.name))))
						} else {
							fd.id = w.int()
						}
					})
					d.fields = append(d.fields, fd)
				}
			case d.kind == gobArrayDef && f == 2, d.kind == gobSliceDef && f == 2, d.kind == gobMapDef && f == 3:
				d.elem = w.int()
			case d.kind == gobMapDef && f == 2:
				d.key = w.int()
			case d.kind == gobArrayDef && f == 3:
				d.len = w.int()
			default:
				w.fail(fmt.Errorf("%w: gob type definition with an unknown field", ErrMalformed))
			}
		})
	})
	if w.err == nil && d.kind != 0 {
		if w.types.staged == nil {
			w.types.staged = map[int64]*gobDef{}
		}
		w.types.staged[id] = d
	}
}

// structOf reads a struct of gob's own types, calling field with each
// field's number from 1, until the struct ends.
func (w *gobWalk) structOf(field func(int)) {
	if w.depth++; w.depth > MaxDepth {
		w.fail(fmt.Errorf("%w: a gob value nested more than %d levels", ErrTooDeep, MaxDepth))
	}
	f := 0
	for w.err == nil {
		delta := w.uint()
		if delta == 0 || w.err != nil {
			break
		}
		if delta > 8 {
			w.fail(fmt.Errorf("%w: gob type definition with field %d", ErrMalformed, uint64(f)+delta))
			return
		}
		f += int(delta)
		field(f)
	}
	w.depth--
}

// str reads a string.
func (w *gobWalk) str() string {
	n := w.count(1)
	if w.err != nil {
		return ""
	}
	s := string(w.b[w.pos : w.pos+int(n)])
	w.pos += int(n)
	return s
}

// gobAmpCache and gobAmp are the per-type model gob was charged by before
// its wire was walked. The JSON and msgpack walks still use it, in
// decodeBudget.cheap, as part of a bound on what a byte can cost.
var gobAmpCache sync.Map // reflect.Type → int64

// gobIfaceAmp is what one byte of an interface value takes, at most, in
// that model.
const gobIfaceAmp = 6

// gobAmp is the most a byte of t's gob encoding can allocate, in bytes.
func gobAmp(t reflect.Type) int64 {
	if t == nil {
		return gobIfaceAmp
	}
	if a, ok := gobAmpCache.Load(t); ok {
		return a.(int64)
	}
	a := gobAmpOf(t, map[reflect.Type]bool{})
	gobAmpCache.Store(t, a)
	return a
}

func gobAmpOf(t reflect.Type, seen map[reflect.Type]bool) int64 {
	if seen[t] {
		return 0 // a recursive type: its own cost is counted where it started
	}
	seen[t] = true
	defer delete(seen, t)
	switch t.Kind() {
	case reflect.Interface:
		return gobIfaceAmp
	case reflect.String:
		return 1
	case reflect.Pointer:
		return max(gobPlace(t.Elem()), gobAmpOf(t.Elem(), seen))
	case reflect.Slice, reflect.Array:
		if t.Elem().Kind() == reflect.Uint8 {
			return 1
		}
		return max(gobPlace(t.Elem()), gobAmpOf(t.Elem(), seen))
	case reflect.Map:
		kv := int64(t.Key().Size() + t.Elem().Size())
		return max(mapEntry(1, kv)/2, gobAmpOf(t.Key(), seen), gobAmpOf(t.Elem(), seen))
	case reflect.Struct:
		var a int64
		for i := range t.NumField() {
			a = max(a, gobAmpOf(t.Field(i).Type, seen))
		}
		return a
	}
	return 0 // numbers and bools decode in place
}

// gobPlace is what one value of t takes when decoded from one byte.
func gobPlace(t reflect.Type) int64 {
	switch t.Kind() {
	case reflect.Map:
		return int64(t.Size()) + mapSize
	case reflect.Pointer:
		return int64(t.Size()) + gobPlace(t.Elem())
	}
	return int64(t.Size())
}

// gobBudgetError is a message refused for its budget. It was read whole,
// and gob never saw it, so the stream goes on with the next message.
func gobBudgetError(size int, cost int64, ratio int) error {
	return fmt.Errorf("%w: a gob message of %d bytes would allocate %d bytes or more decoding, more than %d times its size (Options.MaxDecodeRatio)", ErrDecodeBudget, size, cost, ratio)
}
