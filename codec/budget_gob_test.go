package codec_test

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"net/rpc"
	"runtime"
	"strings"
	"testing"

	"github.com/duplexrpc/duplex/codec"
)

// This file sends the gob server frames of 16 MiB, as a hostile peer
// crafts them: a request header and a body of one element repeated, each
// element as few bytes as gob allows. Every one must be refused for its
// budget or decode within 8 times the frame.

// appendGobUint appends x as gob writes an unsigned integer.
func appendGobUint(b []byte, x uint64) []byte {
	if x < 0x80 {
		return append(b, byte(x))
	}
	be := binary.BigEndian.AppendUint64(nil, x)
	for len(be) > 1 && be[0] == 0 {
		be = be[1:]
	}
	return append(append(b, byte(-int8(len(be)))), be...)
}

// appendGobInt appends x as gob writes a signed integer: its sign in the
// lowest bit.
func appendGobInt(b []byte, x int64) []byte {
	if x < 0 {
		return appendGobUint(b, uint64(^x)<<1|1)
	}
	return appendGobUint(b, uint64(x)<<1)
}

// gobRequest is the stream the gob codec writes for a request of S.M with
// body.
func gobRequest(t testing.TB, body any) []byte {
	t.Helper()
	rw := &bufferConn{Reader: strings.NewReader("")}
	conn := codec.Gob.NewConn(rw, &codec.Options{MaxFrameSize: 64 << 20})
	if err := conn.Write(&codec.Header{Kind: codec.Request, Seq: 1, ServiceMethod: "S.M"}, body); err != nil {
		t.Fatal(err)
	}
	return rw.out.Bytes()
}

// repeatedFrame is the stream of a request whose body is sample, a slice
// or map of one element (or a struct whose only field is one), with that
// element repeated until the body's message is size bytes: the definitions
// and the header are gob's own, the body is crafted. Duplicate map keys
// are how a hostile peer makes a map's count large for its bytes.
func repeatedFrame(t testing.TB, sample any, inStruct bool, size int) []byte {
	t.Helper()
	msgs, err := gobMessages(gobRequest(t, sample))
	if err != nil {
		t.Fatal(err)
	}
	if last := msgs[len(msgs)-1].payload; !inStruct && len(last) > 0 && last[0] != 0 {
		msgs = splitInterface(t, msgs)
	}
	body := msgs[len(msgs)-1]
	lead := byte(0) // a singleton's field delta
	if inStruct {
		lead = 1 // the struct's first field
	}
	p := body.payload
	if len(p) < 2 || p[0] != lead || p[1] != 1 {
		t.Fatalf("body % x is not one element of %T", p, sample)
	}
	elem := p[2:]
	if inStruct {
		elem = elem[:len(elem)-1] // the struct's end
	}
	n := (size - 16) / len(elem)
	crafted := appendGobUint(appendGobInt(nil, body.id), uint64(lead))
	crafted = appendGobUint(crafted, uint64(n))
	crafted = append(crafted, bytes.Repeat(elem, n)...)
	if inStruct {
		crafted = append(crafted, 0)
	}
	var out []byte
	for _, m := range msgs[:len(msgs)-1] {
		head := appendGobInt(nil, m.id)
		out = appendGobUint(out, uint64(len(head)+len(m.payload)))
		out = append(append(out, head...), m.payload...)
	}
	out = appendGobUint(out, uint64(len(crafted)))
	return append(out, crafted...)
}

// splitInterface mends the stream of a slice of one interface value whose
// type gob defined inside it, where the value goes on in the next message:
// the definition is made a message of its own, and the value is put whole
// in the body, after it.
func splitInterface(t testing.TB, msgs []gobMessage) []gobMessage {
	t.Helper()
	a, b := msgs[len(msgs)-2], msgs[len(msgs)-1]
	p := a.payload
	if len(p) < 3 || p[0] != 0 || p[1] != 1 {
		t.Fatalf("body % x is not a slice of one interface value", p)
	}
	name := 3 + int(p[2])
	def, _, err := gobUint(p[name:])
	if err != nil || def&1 == 0 {
		t.Fatalf("body % x does not define a type after the name", p)
	}
	_, w, _ := gobUint(p[name:])
	defined := gobMessage{^int64(def >> 1), p[name+w:]}
	elem := append(append([]byte{}, p[2:name]...), appendGobInt(nil, b.id)...)
	elem = append(elem, b.payload...)
	body := gobMessage{a.id, append([]byte{0, 1}, elem...)}
	return append(msgs[:len(msgs)-2:len(msgs)-2], defined, body)
}

// gobReadAllocs reads frame's request with a net/rpc server codec, the body
// into target, and returns what reading it allocated and the error.
func gobReadAllocs(t testing.TB, frame []byte, target any, opts *codec.Options) (uint64, error) {
	t.Helper()
	sc := codec.NewServerCodec(codec.Gob.NewConn(&bufferConn{Reader: bytes.NewReader(frame)}, opts))
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	var r rpc.Request
	err := sc.ReadRequestHeader(&r)
	if err == nil {
		err = sc.ReadRequestBody(target)
	}
	runtime.ReadMemStats(&after)
	return after.TotalAlloc - before.TotalAlloc, err
}

// gobHostile is a 16 MiB body a stranger can send to a gob server.
type gobHostile struct {
	name     string
	sample   any // one element, repeated
	inStruct bool
	target   func() any
}

type gobInts struct{ Ints []int }
type gobStrings struct{ Strs []string }
type gobMap struct{ M map[string]int }
type gobText struct{ S string }

func gobHostiles() []gobHostile {
	return []gobHostile{
		{"zeros into []int", []int{0}, false, func() any { return new([]int) }},
		{"empty strings into []string", []string{""}, false, func() any { return new([]string) }},
		{"bytes into []byte", []byte{'x'}, false, func() any { return new([]byte) }},
		{"one key into map[string]int", map[string]int{"": 0}, false, func() any { return new(map[string]int) }},
		{"one key into map[string]string", map[string]string{"": ""}, false, func() any { return new(map[string]string) }},
		{"one key into map[int]bool", map[int]bool{0: false}, false, func() any { return new(map[int]bool) }},
		{"empty slices into [][]int", [][]int{{}}, false, func() any { return new([][]int) }},
		{"empty maps into []map[string]int", []map[string]int{{}}, false, func() any { return new([]map[string]int) }},
		{"empty structs into []person", []person{{}}, false, func() any { return new([]person) }},
		{"persons of one tag into []person", []person{{Tags: []string{""}}}, false, func() any { return new([]person) }},
		{"a string into a struct's string", gobText{"x"}, true, func() any { return new(gobText) }},
		{"zeros into a struct's []int", gobInts{[]int{0}}, true, func() any { return new(gobInts) }},
		{"empty strings into a struct's []string", gobStrings{[]string{""}}, true, func() any { return new(gobStrings) }},
		{"one key into a struct's map", gobMap{map[string]int{"": 0}}, true, func() any { return new(gobMap) }},
		{"ints into []any", []any{0}, false, func() any { return new([]any) }},
		{"strings into []any", []any{""}, false, func() any { return new([]any) }},
		{"[]int into []any", []any{[]int{0}}, false, func() any { return new([]any) }},
		{"[]string into []any", []any{[]string{""}}, false, func() any { return new([]any) }},
		{"[]byte into []any", []any{[]byte{}}, false, func() any { return new([]any) }},
	}
}

// gobHostileSize is the body of each hostile frame: the largest the default
// MaxFrameSize lets through.
const gobHostileSize = codec.DefaultMaxFrameSize - 64

// TestGobBudgetHostile16MiB sends every hostile body at 16 MiB and checks
// that each is refused with ErrDecodeBudget, naming MaxDecodeRatio, or
// decodes within 8 times the frame's size. It does not run in parallel,
// so that the allocations counted are its own.
func TestGobBudgetHostile16MiB(t *testing.T) {
	refused := 0
	for _, h := range gobHostiles() {
		t.Run(h.name, func(t *testing.T) {
			frame := repeatedFrame(t, h.sample, h.inStruct, gobHostileSize)
			alloc, err := gobReadAllocs(t, frame, h.target(), nil)
			ratio := float64(alloc) / float64(len(frame))
			switch {
			case err == nil:
				if alloc > 8*uint64(len(frame)) {
					t.Errorf("decoding a %d-byte frame allocated %d bytes (%.1fx); want refused, or at most 8x", len(frame), alloc, ratio)
				}
				t.Logf("%d-byte frame decoded, allocating %.2fx", len(frame), ratio)
			case errors.Is(err, codec.ErrDecodeBudget):
				refused++
				if !strings.Contains(err.Error(), "MaxDecodeRatio") {
					t.Errorf("error %q does not name the limit, MaxDecodeRatio", err)
				}
				if alloc > 8*uint64(len(frame)) {
					t.Errorf("refusing a %d-byte frame allocated %d bytes (%.1fx); want at most 8x", len(frame), alloc, ratio)
				}
				t.Logf("%d-byte frame refused, allocating %.2fx: %v", len(frame), ratio, err)
			default:
				t.Fatalf("reading a %d-byte frame: %v; want it decoded or refused for its budget", len(frame), err)
			}
		})
	}
	if refused == 0 {
		t.Error("no frame was refused: the budget never acted")
	}
}

// TestGobBudgetMediumDecodes checks that legitimate bodies of about 1 MiB,
// as gob's own encoder writes them, decode under the default budget and
// within it.
func TestGobBudgetMediumDecodes(t *testing.T) {
	ints := make([]int, 300_000)
	for i := range ints {
		ints[i] = i * 7919
	}
	words := make([]string, 80_000)
	for i := range words {
		words[i] = fmt.Sprintf("word-%07d", i)
	}
	index := make(map[string]int, 40_000)
	for i := range 40_000 {
		index[fmt.Sprintf("key-%06d", i)] = i
	}
	for _, c := range []struct {
		name   string
		body   any
		target func() any
		check  func(v any) bool
	}{
		{"ints into []int", ints, func() any { return new([]int) }, func(v any) bool { return len(*v.(*[]int)) == len(ints) }},
		{"words into []string", words, func() any { return new([]string) }, func(v any) bool { return len(*v.(*[]string)) == len(words) }},
		{"an index into map[string]int", index, func() any { return new(map[string]int) }, func(v any) bool { return len(*v.(*map[string]int)) == len(index) }},
	} {
		t.Run(c.name, func(t *testing.T) {
			frame := gobRequest(t, c.body)
			target := c.target()
			alloc, err := gobReadAllocs(t, frame, target, nil)
			if err != nil {
				t.Fatalf("decoding a %d-byte frame: %v; want it decoded", len(frame), err)
			}
			if !c.check(target) {
				t.Errorf("decoded %T is not what was sent", target)
			}
			if alloc > 8*uint64(len(frame)) {
				t.Errorf("decoding a %d-byte frame allocated %d bytes (%.1fx); want at most 8x", len(frame), alloc, float64(alloc)/float64(len(frame)))
			}
			t.Logf("%d-byte frame decoded, allocating %.2fx", len(frame), float64(alloc)/float64(len(frame)))
		})
	}
}
