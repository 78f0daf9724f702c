package main

// msgpack carries JSON as the msgpack it maps to. The msgpack codec sends
// the JSON encoded by this command, with the keys of every map sorted, and
// reads into msgpack.RawMessage, shown through msgpackToJSON;
// msgpack-ugorji, whose engine cannot take raw msgpack, sends Go values
// whose maps are sorted too, and reads into any. So the same JSON is
// always the same bytes on the wire.

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"slices"

	"github.com/duplexrpc/duplex/codec"
	"github.com/duplexrpc/duplex/peer"
	ugorji "github.com/ugorji/go/codec"
	"github.com/vmihailenco/msgpack/v5"
)

// msgpackWire is msgpack-rpc with vmihailenco bodies: values are read raw
// and shown through msgpackToJSON.
type msgpackWire struct{}

func (msgpackWire) codec() codec.Codec                             { return codec.Msgpack }
func (msgpackWire) args(p params) (any, error)                     { return argsWith(p, sortedMsgpack) }
func (msgpackWire) newValue() any                                  { return new(msgpack.RawMessage) }
func (msgpackWire) toJSON(v any) (json.RawMessage, error)          { return rawToJSON(*v.(*msgpack.RawMessage)) }
func (msgpackWire) rawJSON(raw codec.Raw) (json.RawMessage, error) { return rawToJSON(raw) }

func (msgpackWire) serve(r *peer.Registry, h handler) {
	peer.SetFallback(r, func(ctx context.Context, method string, arg msgpack.RawMessage, reply *msgpack.RawMessage) error {
		if len(arg) == 0 {
			arg = msgpack.RawMessage{0xc0} // no params: nil
		}
		text, err := rawToJSON(arg)
		if err != nil {
			return err
		}
		a, err := h(ctx, method, text)
		if err != nil {
			return err
		}
		if a.echo {
			*reply = arg
			return nil
		}
		v, err := sortedMsgpack(a.value)
		if err == nil {
			*reply = v.(msgpack.RawMessage)
		}
		return err
	})
}

// sortedMsgpack encodes JSON as msgpack, with the keys of every map
// sorted, so that the same JSON is always the same bytes (and the same
// wire dump).
func sortedMsgpack(text json.RawMessage) (any, error) {
	v, err := goValue(text)
	if err != nil {
		return nil, err
	}
	var b bytes.Buffer
	enc := msgpack.NewEncoder(&b)
	enc.SetSortMapKeys(true)
	enc.UseCompactInts(true)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return msgpack.RawMessage(b.Bytes()), nil
}

// rawToJSON is the JSON of one whole msgpack value.
func rawToJSON(raw []byte) (json.RawMessage, error) {
	if len(raw) == 0 {
		return json.RawMessage("null"), nil
	}
	text, n, err := msgpackToJSON(nil, raw)
	if err == nil && n != len(raw) {
		err = fmt.Errorf("%w: %d bytes after the value", errMsgpack, len(raw)-n)
	}
	return text, err
}

// ugorjiWire is msgpack-rpc with ugorji bodies: values are read into any.
type ugorjiWire struct{}

func (ugorjiWire) codec() codec.Codec         { return codec.MsgpackUgorji }
func (ugorjiWire) args(p params) (any, error) { return argsWith(p, ugorjiValue) }
func (ugorjiWire) newValue() any              { return new(any) }
func (ugorjiWire) toJSON(v any) (json.RawMessage, error) {
	return marshalJSON(jsonable(*v.(*any)))
}

// rawJSON reads raw as msgpack does: a Raw holds msgpack bytes whichever
// engine read it.
func (ugorjiWire) rawJSON(raw codec.Raw) (json.RawMessage, error) { return rawToJSON(raw) }

func (ugorjiWire) serve(r *peer.Registry, h handler) {
	peer.SetFallback(r, func(ctx context.Context, method string, arg any, reply *any) error {
		text, err := marshalJSON(jsonable(arg))
		if err != nil {
			return err
		}
		a, err := h(ctx, method, text)
		if err != nil {
			return err
		}
		if a.echo {
			*reply = arg
			return nil
		}
		*reply, err = ugorjiValue(a.value)
		return err
	})
}

// ugorjiValue is goValue with every map a sortedMap, so that the same JSON
// is always the same bytes, as over msgpack.
func ugorjiValue(text json.RawMessage) (any, error) {
	v, err := goValue(text)
	return sortMaps(v), err
}

// sortedMap is a map's keys and values in turn, sorted by key, which
// ugorji encodes as a map (it is a ugorji.MapBySlice).
type sortedMap []any

func (sortedMap) MapBySlice() {}

var _ ugorji.MapBySlice = sortedMap(nil)

func sortMaps(v any) any {
	switch x := v.(type) {
	case map[string]any:
		keys := slices.Sorted(maps.Keys(x))
		m := make(sortedMap, 0, 2*len(keys))
		for _, k := range keys {
			m = append(m, k, sortMaps(x[k]))
		}
		return m
	case []any:
		for i := range x {
			x[i] = sortMaps(x[i])
		}
	}
	return v
}
