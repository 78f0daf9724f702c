package codec

import (
	"errors"
	"fmt"
	"reflect"
)

// This file walks gob's wire (encoding/gob's "Encoding Details") to charge
// each message what decoding it allocates, before gob decodes it. A walk
// keeps the stream's type table from the definitions it has seen, as the
// decoder does, and lays each value out by it: what a value costs comes
// from the counts and lengths on the wire and the Go type it is decoded
// into (gobCost, budget_gob.go).

// gob's predefined type ids.
const (
	gobBool      = 1
	gobInt       = 2
	gobUint      = 3
	gobFloat     = 4
	gobBytes     = 5
	gobString    = 6
	gobComplex   = 7
	gobInterface = 8
	gobFirstUser = 64 // ids below are gob's own types, not sent as values
)

// What a type defined on the stream is.
const (
	gobArrayDef uint8 = iota + 1
	gobSliceDef
	gobStructDef
	gobMapDef
	gobOpaqueDef // GobEncoder, BinaryMarshaler, TextMarshaler: a byte count and bytes
)

// gobDef is a type the stream defined: a wireType, as far as the walk needs.
type gobDef struct {
	kind       uint8
	elem, key  int64 // the element's (array, slice, map) and the key's type ids
	len        int64 // an array's
	fields     []gobDefField
	widest     int64                       // the largest Go value it can decode into; 0 not yet known
	goFields   map[reflect.Type][]gobField // the Go fields a struct's wire fields go into
	lastGo     reflect.Type                // the last of goFields looked up
	lastFields []gobField
}

type gobDefField struct {
	name string
	id   int64
}

// gobField is where a wire field of a struct goes: a Go field of type t,
// or none (the field is skipped).
type gobField struct {
	t       reflect.Type
	skipped bool
}

// gobTypes is the type table of one gob stream.
type gobTypes struct {
	defs   map[int64]*gobDef
	staged map[int64]*gobDef // defined by the message under walk: kept if it is accepted
}

func (g *gobTypes) def(id int64) *gobDef {
	if d, ok := g.staged[id]; ok {
		return d
	}
	return g.defs[id]
}

// commit keeps the definitions of a message gob is given.
func (g *gobTypes) commit() {
	if g.defs == nil {
		g.defs = map[int64]*gobDef{}
	}
	for id, d := range g.staged {
		g.defs[id] = d
		delete(g.staged, id)
	}
}

// drop forgets the definitions of a message that is refused: gob never
// sees them.
func (g *gobTypes) drop() { clear(g.staged) }

var (
	errGobShort = fmt.Errorf("%w: gob value runs past the end of its message", ErrMalformed)
	// errGobOver stops a walk whose charge passed its limit.
	errGobOver = errors.New("over budget")
)

// gobWalk walks one message.
type gobWalk struct {
	types *gobTypes
	b     []byte
	pos   int
	cost  int64
	limit int64
	depth int
	err   error
	// in reads the next message of the stream, for a value that goes on
	// in it, and raises limit by that message's budget.
	in *gobLimitReader
}

// more goes on with the next message, as gob does when the type of an
// interface's value, after a definition, starts one.
func (w *gobWalk) more() bool {
	if w.in == nil {
		w.fail(errGobShort)
		return false
	}
	b, err := w.in.readAhead(w)
	if err != nil {
		w.fail(err)
		return false
	}
	w.b, w.pos = b, 0
	return true
}

func (w *gobWalk) fail(err error) {
	if w.err == nil {
		w.err = err
	}
}

// add charges n bytes, and stops the walk once the charge passes its limit.
func (w *gobWalk) add(n int64) {
	w.cost += n
	if w.cost > w.limit {
		w.fail(errGobOver)
	}
}

func (w *gobWalk) left() int { return len(w.b) - w.pos }

// uint reads a gob unsigned integer.
func (w *gobWalk) uint() uint64 {
	if w.pos >= len(w.b) {
		w.fail(errGobShort)
		return 0
	}
	c := w.b[w.pos]
	if c < 0x80 {
		w.pos++
		return uint64(c)
	}
	n := int(-int8(c))
	if n < 1 || n > 8 || w.pos+1+n > len(w.b) {
		w.fail(errGobShort)
		w.pos = len(w.b)
		return 0
	}
	var x uint64
	for _, b := range w.b[w.pos+1 : w.pos+1+n] {
		x = x<<8 | uint64(b)
	}
	w.pos += 1 + n
	return x
}

func (w *gobWalk) int() int64 {
	u := w.uint()
	if u&1 != 0 {
		return ^int64(u >> 1)
	}
	return int64(u >> 1)
}

// count reads a count of things of at least min bytes each that follow in
// the message: a count they cannot fill is a malformed value, which gob
// would fail on, but only after sizing a slice or a map by it.
func (w *gobWalk) count(min int) int64 {
	n := w.uint()
	if w.err == nil && n > uint64(w.left()/min) {
		w.fail(fmt.Errorf("%w: gob count of %d in a message with %d bytes left", ErrMalformed, n, w.left()))
		return 0
	}
	return int64(n)
}

// skip steps over n bytes.
func (w *gobWalk) skip(n int64) {
	if n > int64(w.left()) {
		w.fail(errGobShort)
		w.pos = len(w.b)
		return
	}
	w.pos += int(n)
}

// message walks a whole message: a type definition, or a value decoded
// into a value of type t (nil: unknown, charged the widest) or into nothing
// (discard).
func (w *gobWalk) message(t reflect.Type, discard bool) {
	id := w.int()
	if w.err != nil {
		return
	}
	if id < 0 {
		w.define(-id)
		return
	}
	w.top(id, t, discard)
}

// top walks a value sent on its own: a struct's fields, or any other
// value after a zero field delta.
func (w *gobWalk) top(id int64, t reflect.Type, skipped bool) {
	if d := w.types.def(id); d == nil || d.kind != gobStructDef {
		if w.uint() != 0 && w.err == nil {
			w.fail(fmt.Errorf("%w: gob value of type %d without its leading zero", ErrMalformed, id))
		}
	}
	w.value(id, t, skipped)
}

// value walks the value of wire type id decoded into a value of Go type t
// (nil: unknown), whose own place is already paid for; skipped: gob drops
// it, allocating nothing for it.
func (w *gobWalk) value(id int64, t reflect.Type, skipped bool) {
	if w.err != nil {
		return
	}
	if w.depth++; w.depth > MaxDepth {
		w.fail(fmt.Errorf("%w: a gob value nested more than %d levels", ErrTooDeep, MaxDepth))
		return
	}
	w.decode(id, t, skipped)
	w.depth--
}

func (w *gobWalk) decode(id int64, t reflect.Type, skipped bool) {
	if skipped {
		t = nil
	}
	for t != nil && t.Kind() == reflect.Pointer {
		// gob allocates what a pointer points to.
		t = t.Elem()
		w.add(gobAlloc(int64(t.Size())))
	}
	switch id {
	case gobBool, gobInt, gobUint, gobFloat:
		w.uint()
		return
	case gobComplex:
		w.uint()
		w.uint()
		return
	case gobBytes, gobString:
		n := w.count(1)
		w.skip(n)
		if !skipped {
			if t != nil && t.Kind() == reflect.String {
				w.add(gobAlloc(n))
			} else {
				w.add(gobSliceAlloc(n, 1))
			}
		}
		return
	case gobInterface:
		w.iface(t, skipped)
		return
	}
	d := w.types.def(id)
	if d == nil || id < gobFirstUser {
		w.fail(fmt.Errorf("%w: gob type id %d is not defined on this stream", ErrMalformed, id))
		return
	}
	switch d.kind {
	case gobSliceDef:
		n := w.count(1)
		elem := gobGoElem(t, reflect.Slice)
		if !skipped {
			w.add(gobSliceAlloc(n, w.size(elem, d.elem)))
		}
		w.elems(n, d.elem, elem, skipped)
	case gobArrayDef:
		n := w.count(1)
		w.elems(n, d.elem, gobGoElem(t, reflect.Array), skipped) // in place
	case gobMapDef:
		n := w.count(2)
		var key, elem reflect.Type
		if t != nil && t.Kind() == reflect.Map {
			key, elem = t.Key(), t.Elem()
		}
		if !skipped {
			w.add(gobMapAlloc(n, w.size(key, d.key), w.size(elem, d.elem)))
		}
		for i := int64(0); i < n && w.err == nil; i++ {
			w.value(d.key, key, skipped)
			w.value(d.elem, elem, skipped)
		}
	case gobStructDef:
		w.fields(d, t, skipped)
	case gobOpaqueDef:
		n := w.count(1)
		w.skip(n)
		if !skipped {
			w.add(gobAlloc(n)) // what its decoding method keeps, about its bytes
		}
	}
}

// elems walks n elements of wire type id into Go type t.
func (w *gobWalk) elems(n, id int64, t reflect.Type, skipped bool) {
	if id >= gobBool && id <= gobFloat && (t == nil || t.Kind() != reflect.Pointer) {
		for i := int64(0); i < n && w.err == nil; i++ { // numbers decode in place
			w.uint()
		}
		return
	}
	for i := int64(0); i < n && w.err == nil; i++ {
		w.value(id, t, skipped)
	}
}

// gobGoElem is the element type of t if it is of kind k, and nil (unknown)
// if not: gob then fails, and the walk charges the widest.
func gobGoElem(t reflect.Type, k reflect.Kind) reflect.Type {
	if t != nil && t.Kind() == k {
		return t.Elem()
	}
	return nil
}

// size is the place a value of wire type id takes in Go: t's size, or the
// largest it can be when t is unknown.
func (w *gobWalk) size(t reflect.Type, id int64) int64 {
	if t != nil {
		return int64(t.Size())
	}
	return w.types.widest(id, 0)
}

// fields walks a struct's fields: deltas of field numbers, ended by 0.
func (w *gobWalk) fields(d *gobDef, t reflect.Type, skipped bool) {
	var goFields []gobField
	if !skipped && t != nil {
		if t.Kind() == reflect.Struct {
			goFields = d.goFieldsOf(t)
		} else {
			t = nil // a mismatch, which gob fails on: charge the widest
		}
	}
	field := int64(-1)
	for w.err == nil {
		delta := w.uint()
		if delta == 0 {
			return
		}
		if field += int64(delta); field < 0 || field >= int64(len(d.fields)) {
			w.fail(fmt.Errorf("%w: gob field %d of a struct of %d fields", ErrMalformed, field, len(d.fields)))
			return
		}
		var ft reflect.Type
		skip := skipped
		if goFields != nil {
			ft, skip = goFields[field].t, goFields[field].skipped
		}
		w.value(d.fields[field].id, ft, skip)
	}
}

// goFieldsOf maps d's wire fields to the fields of the Go struct t, by
// name, as gob does.
func (d *gobDef) goFieldsOf(t reflect.Type) []gobField {
	if t == d.lastGo {
		return d.lastFields // most structs go into one Go type
	}
	if f, ok := d.goFields[t]; ok {
		d.lastGo, d.lastFields = t, f
		return f
	}
	f := make([]gobField, len(d.fields))
	for i, wf := range d.fields {
		sf, ok := t.FieldByName(wf.name)
		if !ok || !sf.IsExported() {
			f[i].skipped = true
			continue
		}
		f[i].t = sf.Type
	}
	if d.goFields == nil {
		d.goFields = map[reflect.Type][]gobField{}
	}
	d.goFields[t] = f
	d.lastGo, d.lastFields = t, f
	return f
}

// iface walks an interface value: the concrete type's name, its id (after
// any definitions it needs), the value's length and the value.
func (w *gobWalk) iface(t reflect.Type, skipped bool) {
	n := w.count(1)
	if w.err != nil || n == 0 {
		return // a nil interface
	}
	name := w.b[w.pos : w.pos+int(n)]
	w.skip(n)
	var id int64
	for w.err == nil {
		if w.left() == 0 && !w.more() {
			return // gob reads the next message here, and so does the walk
		}
		if id = w.int(); id >= 0 {
			break
		}
		w.define(-id) // definitions needed inside an interface travel with it
		if w.left() > 0 {
			w.uint() // the count of what follows, which gob skips too
		}
	}
	length := w.count(1)
	if w.err != nil {
		return
	}
	if skipped {
		w.skip(length)
		return
	}
	concrete := gobRegistered[string(name)] // nil: registered by the program, or not at all
	size := w.size(concrete, id)
	// gob allocates the value, then copies it into the interface.
	w.add(gobIfaceCost + 2*gobAlloc(size))
	w.top(id, concrete, false)
}
