package codec

import (
	"fmt"
	"reflect"
	"sync"
)

// Gob's wire cannot be walked before it is decoded: its values are laid out
// by type definitions the stream sent earlier. So a gob body is charged by
// its type alone: gobAmp is the most bytes decoding one byte of a gob
// encoding of the type can allocate, and a message that amp times its size
// would pass its budget is refused (gobLimitReader.begin). Gob is exact
// where the others guess: it sizes a slice from its count, with no growth.

// gobIfaceAmp is what one byte of an interface value takes: gob writes the
// concrete type's name with each one, so a value costs at least five
// bytes, and decoding the basic types gob registers itself (the only ones a
// stranger can send an argument that has not registered more) measured at
// most 5 bytes allocated per byte; registered maps and slices measured up to
// 9.
const gobIfaceAmp = 6

var gobAmpCache sync.Map // reflect.Type → int64

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
		return max(gobAlloc(t.Elem()), gobAmpOf(t.Elem(), seen))
	case reflect.Slice, reflect.Array:
		// An element can be one byte: a zero, an empty string or slice,
		// a struct with no field set.
		if t.Elem().Kind() == reflect.Uint8 {
			return 1
		}
		return max(gobAlloc(t.Elem()), gobAmpOf(t.Elem(), seen))
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

// gobAlloc is what one value of t takes when decoded from one byte: its
// place, and the map or the pointed-to value that gob makes for it.
func gobAlloc(t reflect.Type) int64 {
	switch t.Kind() {
	case reflect.Map:
		return int64(t.Size()) + mapSize
	case reflect.Pointer:
		return int64(t.Size()) + gobAlloc(t.Elem())
	}
	return int64(t.Size())
}

// gobMinBudget is the budget of a gob message too small for the ratio to
// give it this much. It is larger than the other codecs' because it
// applies to a message's type, not to what it holds: a slice of strings
// can take 16 bytes per byte, but real ones take 3 or 4, and refusing every
// one above 4 KiB would break what net/rpc users send.
const gobMinBudget = 4 << 20

// gobBudgetError is a message refused for its budget. It has been skipped
// whole, so the stream goes on with the next message.
func gobBudgetError(size int, amp int64, ratio int) error {
	return fmt.Errorf("%w: a gob message of %d bytes for a type that can take %d bytes per byte is more than %d times its size (Options.MaxDecodeRatio)", ErrDecodeBudget, size, amp, ratio)
}
