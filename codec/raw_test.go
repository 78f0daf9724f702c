package codec_test

import (
	"bytes"
	"errors"
	"reflect"
	"strings"
	"testing"

	"github.com/duplexrpc/duplex/codec"
	"github.com/duplexrpc/duplex/internal/rpctest"
)

// rawCodecs are the codecs with a raw form.
var rawCodecs = []codec.Codec{codec.Msgpack, codec.MsgpackUgorji, codec.JSONRPC, codec.JSONRPC2}

// RawEcho serves its argument back without decoding it: the request's
// param is read into a Raw, and the same bytes are the reply.
type RawEcho struct{}

func (RawEcho) Echo(arg codec.Raw, reply *codec.Raw) error {
	*reply = arg
	return nil
}

// Broken answers with a Raw that is not one value of any wire.
func (RawEcho) Broken(arg int, reply *codec.Raw) error {
	*reply = codec.Raw{0x92, 0x01} // msgpack: an array of 2 holding 1; JSON: garbage
	return nil
}

var rawSample = rpctest.Nested{
	Name:   "raw",
	Tags:   []string{"a", "b"},
	Counts: map[string]int{"x": 1},
	Inner:  &rpctest.Inner{X: 2.5, Bytes: []byte{1, 2, 3}},
	List:   []rpctest.Inner{{X: 1}},
}

// A client that holds only encoded bytes calls a typed service, and a
// typed client calls a service that holds only encoded bytes: each end
// decodes what the other encoded, through Raw, on every wire with a raw
// form.
func TestRawPassesThrough(t *testing.T) {
	for _, c := range rawCodecs {
		t.Run(c.Name(), func(t *testing.T) {
			client, _ := servePair(t, c, RawEcho{})

			arg, err := codec.EncodeRaw(c, rawSample)
			if err != nil {
				t.Fatal(err)
			}
			var reply codec.Raw
			if err := client.Call("Echo.Nested", arg, &reply); err != nil {
				t.Fatalf("raw call of a typed method: %v", err)
			}
			var got rpctest.Nested
			if err := codec.DecodeRaw(c, reply, &got); err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, rawSample) {
				t.Errorf("raw call: got %+v, want %+v", got, rawSample)
			}

			var typed rpctest.Nested
			if err := client.Call("RawEcho.Echo", rawSample, &typed); err != nil {
				t.Fatalf("typed call of a raw method: %v", err)
			}
			if !reflect.DeepEqual(typed, rawSample) {
				t.Errorf("typed call: got %+v, want %+v", typed, rawSample)
			}
		})
	}
}

// A Raw that is not exactly one value fails its own frame with ErrEncode,
// and the connection goes on.
func TestRawMustBeOneValue(t *testing.T) {
	for _, c := range rawCodecs {
		t.Run(c.Name(), func(t *testing.T) {
			client, _ := servePair(t, c, RawEcho{})
			var reply codec.Raw
			err := client.Call("Echo.String", codec.Raw{0x92, 0x01}, &reply)
			if !errors.Is(err, codec.ErrEncode) {
				t.Errorf("writing a broken Raw: got %v, want ErrEncode", err)
			}
			err = client.Call("RawEcho.Broken", 1, &reply)
			if err == nil || !strings.Contains(err.Error(), "exactly one value") {
				t.Errorf("answering with a broken Raw: got %v, want the encoder's error", err)
			}
			var s string
			if err := client.Call("Echo.String", "still there", &s); err != nil || s != "still there" {
				t.Errorf("after broken Raws: got %q, %v", s, err)
			}
		})
	}
}

// An empty Raw is the wire's nil, and nil reads back as a Raw that
// decodes to a zero value.
func TestRawEmptyIsNil(t *testing.T) {
	for _, c := range rawCodecs {
		t.Run(c.Name(), func(t *testing.T) {
			client, _ := servePair(t, c, RawEcho{})
			var reply codec.Raw
			if err := client.Call("RawEcho.Echo", codec.Raw(nil), &reply); err != nil {
				t.Fatal(err)
			}
			p := &rpctest.Inner{X: 1}
			if err := codec.DecodeRaw(c, reply, &p); err != nil || p != nil {
				t.Errorf("nil through Raw: got %+v, %v; want nil", p, err)
			}
		})
	}
}

// EncodeRaw writes what a Conn of the codec writes for the same value,
// so that DecodeRaw reads it back.
func TestEncodeRawRoundTrip(t *testing.T) {
	for _, c := range rawCodecs {
		raw, err := codec.EncodeRaw(c, rawSample)
		if err != nil {
			t.Fatalf("%s: %v", c.Name(), err)
		}
		var got rpctest.Nested
		if err := codec.DecodeRaw(c, raw, &got); err != nil || !reflect.DeepEqual(got, rawSample) {
			t.Errorf("%s: got %+v, %v; want %+v", c.Name(), got, err, rawSample)
		}
	}
	if _, err := codec.EncodeRaw(codec.Gob, 1); !errors.Is(err, codec.ErrEncode) {
		t.Errorf("gob: got %v, want ErrEncode", err)
	}
	if err := codec.DecodeRaw(codec.Gob, codec.Raw{1}, new(int)); err == nil {
		t.Error("gob: DecodeRaw succeeded")
	}
}

// DecodeRaw refuses what a Conn would refuse: trailing bytes, nesting past
// the limit, bodies whose decoding would pass the budget.
func TestDecodeRawRefusesHostileBodies(t *testing.T) {
	deep := append(bytes.Repeat([]byte{0x91}, 300), 0x01)
	cases := []struct {
		name string
		c    codec.Codec
		raw  codec.Raw
		want error
	}{
		{"msgpack trailing", codec.Msgpack, codec.Raw{0x01, 0x02}, codec.ErrMalformed},
		{"msgpack cut", codec.Msgpack, codec.Raw{0x92, 0x01}, nil},
		{"msgpack deep", codec.Msgpack, deep, codec.ErrTooDeep},
		{"json invalid", codec.JSONRPC2, codec.Raw(`{"a":`), codec.ErrMalformed},
	}
	for _, tc := range cases {
		var v any
		err := codec.DecodeRaw(tc.c, tc.raw, &v)
		if err == nil || tc.want != nil && !errors.Is(err, tc.want) {
			t.Errorf("%s: got %v, want %v", tc.name, err, tc.want)
		}
	}

	// A million fixints: 1 MB on the wire, 32 MB as []any. The same
	// bytes into a Raw cost only themselves.
	big := append([]byte{0xdd, 0x00, 0x10, 0x00, 0x00}, make([]byte, 1<<20)...)
	var v []any
	if err := codec.DecodeRaw(codec.Msgpack, big, &v); !errors.Is(err, codec.ErrDecodeBudget) {
		t.Errorf("a million zeros into []any: got %v, want ErrDecodeBudget", err)
	}
	var raw codec.Raw
	if err := codec.DecodeRaw(codec.Msgpack, big, &raw); err != nil || !bytes.Equal(raw, big) {
		t.Errorf("a million zeros into a Raw: got %d bytes, %v; want them all", len(raw), err)
	}
}

// A reply read into a Raw on a Conn is charged its size, not what its
// values would take decoded: a body the budget refuses as []any passes as
// a Raw.
func TestRawReplyCostsItsSize(t *testing.T) {
	for _, c := range []codec.Codec{codec.Msgpack, codec.MsgpackUgorji, codec.JSONRPC2} {
		t.Run(c.Name(), func(t *testing.T) {
			client, _ := servePair(t, c, RawEcho{})
			zeros := make([]int8, 600_000)
			var raw codec.Raw
			if err := client.Call("RawEcho.Echo", zeros, &raw); err != nil {
				t.Fatalf("600k zeros into a Raw: %v", err)
			}
			want, err := codec.EncodeRaw(c, zeros)
			if err != nil || !bytes.Equal(raw, want) {
				t.Errorf("got %d bytes, want the %d that EncodeRaw makes (%v)", len(raw), len(want), err)
			}
			// Last: a reply that fails to decode ends a net/rpc client.
			var asAny []any
			err = client.Call("RawEcho.Echo", zeros, &asAny)
			if err == nil || !strings.Contains(err.Error(), "too large") {
				t.Fatalf("600k zeros into []any: got %v, want the budget's refusal", err)
			}
		})
	}
}
