package benchmarks

import (
	"fmt"
	"strings"
)

// The methods every stack serves. Each stack maps them onto its own naming.
const (
	MethodMultiply = "Arith.Multiply" // *Args → int
	MethodRecord   = "Echo.Record"    // *Record → Record, echoed
)

// Args are the operands of Arith.Multiply: the seed's tiny call.
type Args struct{ A, B int }

// Record is the struct that Echo.Record sends back unchanged. It has the
// shapes most payloads have: an integer, a string, a list of strings, a list
// of numbers and opaque bytes.
type Record struct {
	ID     int64
	Name   string
	Tags   []string
	Values []float64
	Data   []byte
}

// Arith is net/rpc's example service.
type Arith int

// Multiply sets reply to A*B.
func (*Arith) Multiply(args *Args, reply *int) error {
	*reply = args.A * args.B
	return nil
}

// Echo sends back what it is given.
type Echo int

// Record echoes a Record.
func (*Echo) Record(r *Record, reply *Record) error {
	*reply = *r
	return nil
}

// A Payload is one kind of call: its method, the argument it sends, a fresh
// reply value, and a check that a reply is the right answer to the argument.
type Payload struct {
	Name   string // tiny, 1k, 64k
	Method string
	Args   any
	// NewReply returns a fresh pointer to decode a reply into.
	NewReply func() any
	// Check reports whether reply (as NewReply made it) answers Args.
	Check func(reply any) error
}

// Payloads are the calls every stack is measured with: the tiny Arith call,
// a Record of about 1 KiB and one of about 64 KiB (as msgpack; other wires
// are larger or smaller around that).
func Payloads() []Payload {
	return []Payload{TinyPayload(7, 8), RecordPayload("1k", 1), RecordPayload("64k", 64)}
}

// TinyPayload is Arith.Multiply(a, b).
func TinyPayload(a, b int) Payload {
	return Payload{
		Name:     "tiny",
		Method:   MethodMultiply,
		Args:     &Args{A: a, B: b},
		NewReply: func() any { return new(int) },
		Check: func(reply any) error {
			if got, want := *reply.(*int), a*b; got != want {
				return fmt.Errorf("Multiply(%d, %d) = %d, want %d", a, b, got, want)
			}
			return nil
		},
	}
}

// RecordPayload is Echo.Record with a Record of about kib KiB; id tells
// records apart.
func RecordPayload(name string, kib int) Payload {
	return RecordPayloadID(name, kib, 42)
}

// RecordPayloadID is RecordPayload with a given record ID, whose content
// depends on the ID, so that concurrent calls carry different values.
func RecordPayloadID(name string, kib int, id int64) Payload {
	r := NewRecord(kib, id)
	return Payload{
		Name:     name,
		Method:   MethodRecord,
		Args:     r,
		NewReply: func() any { return new(Record) },
		Check: func(reply any) error {
			return sameRecord(reply.(*Record), r)
		},
	}
}

// NewRecord returns a Record of about kib KiB as msgpack: an eighth of it in
// tags (8·√kib of them), an eighth in float64s and the rest in bytes.
func NewRecord(kib int, id int64) *Record {
	size := kib << 10
	r := &Record{ID: id, Name: fmt.Sprintf("record-%06d-%s", id, strings.Repeat("x", 10))}
	tags := 8
	for (tags/8)*(tags/8) < kib {
		tags += 8
	}
	for i := range tags {
		tag := fmt.Sprintf("tag-%03d-%06d-", i, id)
		r.Tags = append(r.Tags, tag+strings.Repeat("t", max(0, size/8/tags-2-len(tag))))
	}
	for i := range size / 8 / 9 {
		r.Values = append(r.Values, float64(i)*0.25+float64(id))
	}
	r.Data = make([]byte, size*3/4-64)
	for i := range r.Data {
		r.Data[i] = byte(i*7 + int(id))
	}
	return r
}

func sameRecord(got, want *Record) error {
	switch {
	case got.ID != want.ID:
		return fmt.Errorf("record ID %d, want %d", got.ID, want.ID)
	case got.Name != want.Name:
		return fmt.Errorf("record %d: Name %q, want %q", want.ID, got.Name, want.Name)
	case len(got.Tags) != len(want.Tags):
		return fmt.Errorf("record %d: %d tags, want %d", want.ID, len(got.Tags), len(want.Tags))
	case len(got.Values) != len(want.Values):
		return fmt.Errorf("record %d: %d values, want %d", want.ID, len(got.Values), len(want.Values))
	case string(got.Data) != string(want.Data):
		return fmt.Errorf("record %d: Data differs (%d bytes, want %d)", want.ID, len(got.Data), len(want.Data))
	}
	for i := range want.Tags {
		if got.Tags[i] != want.Tags[i] {
			return fmt.Errorf("record %d: Tags[%d] %q, want %q", want.ID, i, got.Tags[i], want.Tags[i])
		}
	}
	for i := range want.Values {
		if got.Values[i] != want.Values[i] {
			return fmt.Errorf("record %d: Values[%d] %v, want %v", want.ID, i, got.Values[i], want.Values[i])
		}
	}
	return nil
}

// LargePayloads are the large echoes: a Record that is one string field,
// and one that is one []byte field, of 64 KiB and of 1 MiB. One large
// field is what a file chunk or a document is; it measures the copies a
// stack makes of a body, where the Record of Payloads measures its
// per-value work.
func LargePayloads() []Payload {
	return []Payload{
		FieldPayload("str64k", 64, false), FieldPayload("bin64k", 64, true),
		FieldPayload("str1m", 1024, false), FieldPayload("bin1m", 1024, true),
	}
}

// FieldPayload is Echo.Record with a Record of one field of kib KiB: Data
// when bytes is set, else Name.
func FieldPayload(name string, kib int, bytes bool) Payload {
	r := &Record{ID: int64(kib)}
	body := make([]byte, kib<<10)
	for i := range body {
		body[i] = 'a' + byte(i%26)
	}
	if bytes {
		r.Data = body
	} else {
		r.Name = string(body)
	}
	return Payload{
		Name:     name,
		Method:   MethodRecord,
		Args:     r,
		NewReply: func() any { return new(Record) },
		Check:    func(reply any) error { return sameRecord(reply.(*Record), r) },
	}
}
