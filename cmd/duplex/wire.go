package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"math"
	"slices"
	"strconv"
	"strings"

	"github.com/duplexrpc/duplex/codec"
	"github.com/duplexrpc/duplex/peer"
	ugorji "github.com/ugorji/go/codec"
	"github.com/vmihailenco/msgpack/v5"
)

// A wire carries JSON values over one codec, without Go types: it turns the
// user's JSON into what the codec sends as that JSON, and what the codec
// received back into JSON.
//
// The JSON codecs carry json.RawMessage as it is. The msgpack codec reads
// into msgpack.RawMessage, shown through msgpackToJSON; msgpack-ugorji,
// whose engine does not know that type, reads into any. Both send Go
// values made from the JSON.
type wire interface {
	codec() codec.Codec
	// args is what a call sends for p: its one param, or codec.Params.
	args(p params) (any, error)
	// newValue returns a pointer to decode a reply into.
	newValue() any
	// toJSON returns the JSON of a value decoded into newValue.
	toJSON(v any) (json.RawMessage, error)
	// serve makes h answer every method r lacks.
	serve(r *peer.Registry, h handler)
}

// handler answers a call that a worker or master receives. arg is the
// call's argument as JSON: its one param, or the params array when it has
// several.
type handler func(ctx context.Context, method string, arg json.RawMessage) (answer, error)

// answer is a handler's reply: the call's own argument (an echo, sent back
// exactly as it came), or a JSON value.
type answer struct {
	echo  bool
	value json.RawMessage
}

// params is one call's params, as the user gave them: one JSON value
// (the argument), or with list a JSON array of the positional params.
type params struct {
	value json.RawMessage
	list  bool
	none  bool // no params given at all: an empty list is sent
}

// wireFor returns the wire of the codec named name, or a usage error.
func wireFor(name string) (wire, error) {
	c, err := codec.ByName(name)
	switch {
	case err != nil:
		return nil, usageError("-codec %q: want one of %s", name, strings.Join(codecNames(), ", "))
	case c == codec.Gob:
		return nil, usageError("-codec gob: gob carries Go types, which a command line does not have; use one of %s (the remote must speak it too)", strings.Join(codecNames(), ", "))
	case c == codec.JSONRPC || c == codec.JSONRPC2:
		return jsonWire{c}, nil
	case c == codec.MsgpackUgorji:
		return ugorjiWire{}, nil
	}
	return msgpackWire{}, nil
}

// codecNames are the codecs the command takes: all but gob.
func codecNames() []string {
	var names []string
	for _, n := range codec.Names() {
		if n != codec.Gob.Name() {
			names = append(names, n)
		}
	}
	return names
}

// elements splits a JSON array into its elements.
func elements(list json.RawMessage) ([]json.RawMessage, error) {
	var elems []json.RawMessage
	if err := json.Unmarshal(list, &elems); err != nil {
		return nil, usageError("the params must be a JSON array: %v", err)
	}
	return elems, nil
}

// argsWith builds a call's argument from p, turning each JSON value with
// conv.
func argsWith(p params, conv func(json.RawMessage) (any, error)) (any, error) {
	if p.none {
		return codec.Params{}, nil
	}
	if !p.list {
		return conv(p.value)
	}
	elems, err := elements(p.value)
	if err != nil {
		return nil, err
	}
	list := make(codec.Params, len(elems))
	for i, e := range elems {
		if list[i], err = conv(e); err != nil {
			return nil, err
		}
	}
	return list, nil
}

// jsonWire is JSON-RPC 1.0 or 2.0: JSON as it is.
type jsonWire struct{ c codec.Codec }

func (w jsonWire) codec() codec.Codec { return w.c }

func (jsonWire) args(p params) (any, error) {
	return argsWith(p, func(v json.RawMessage) (any, error) { return v, nil })
}

func (jsonWire) newValue() any { return new(json.RawMessage) }

func (jsonWire) toJSON(v any) (json.RawMessage, error) {
	return orNull(*v.(*json.RawMessage)), nil
}

func (jsonWire) serve(r *peer.Registry, h handler) {
	peer.SetFallback(r, func(ctx context.Context, method string, arg json.RawMessage, reply *json.RawMessage) error {
		arg = orNull(arg)
		a, err := h(ctx, method, arg)
		if err != nil {
			return err
		}
		*reply = a.value
		if a.echo {
			*reply = arg
		}
		return nil
	})
}

// orNull is raw, or null when it is empty: no params, no result.
func orNull(raw json.RawMessage) json.RawMessage {
	if len(raw) == 0 {
		return json.RawMessage("null")
	}
	return raw
}

// msgpackWire is msgpack-rpc with vmihailenco bodies: values are read raw
// and shown through msgpackToJSON.
type msgpackWire struct{}

func (msgpackWire) codec() codec.Codec                    { return codec.Msgpack }
func (msgpackWire) args(p params) (any, error)            { return argsWith(p, sortedMsgpack) }
func (msgpackWire) newValue() any                         { return new(msgpack.RawMessage) }
func (msgpackWire) toJSON(v any) (json.RawMessage, error) { return rawToJSON(*v.(*msgpack.RawMessage)) }

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

// goValue turns JSON into the Go values a msgpack engine encodes as that
// JSON: integers stay integers (int64, or uint64 past its range), other
// numbers are float64, objects map[string]any.
func goValue(text json.RawMessage) (any, error) {
	dec := json.NewDecoder(bytes.NewReader(text))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, usageError("invalid JSON: %v", err)
	}
	return numbers(v), nil
}

// numbers replaces every json.Number in v by an int64, a uint64 or a
// float64.
func numbers(v any) any {
	switch x := v.(type) {
	case json.Number:
		if i, err := strconv.ParseInt(string(x), 10, 64); err == nil {
			return i
		}
		if u, err := strconv.ParseUint(string(x), 10, 64); err == nil {
			return u
		}
		f, _ := strconv.ParseFloat(string(x), 64)
		return f
	case []any:
		for i := range x {
			x[i] = numbers(x[i])
		}
	case map[string]any:
		for k := range x {
			x[k] = numbers(x[k])
		}
	}
	return v
}

// jsonable makes a value decoded by a msgpack engine fit for
// encoding/json: maps with keys of any type get string keys, and NaN and
// the infinities become strings, as msgpackToJSON writes them.
func jsonable(v any) any {
	switch x := v.(type) {
	case map[any]any:
		m := make(map[string]any, len(x))
		for k, e := range x {
			ks, ok := k.(string)
			if !ok {
				b, _ := marshalJSON(jsonable(k))
				ks = string(b)
			}
			m[ks] = jsonable(e)
		}
		return m
	case map[string]any:
		for k, e := range x {
			x[k] = jsonable(e)
		}
	case []any:
		for i, e := range x {
			x[i] = jsonable(e)
		}
	case float64:
		return floatOrString(x)
	case float32:
		return floatOrString(float64(x))
	}
	return v
}

func floatOrString(f float64) any {
	switch {
	case math.IsNaN(f):
		return "NaN"
	case math.IsInf(f, 1):
		return "+Inf"
	case math.IsInf(f, -1):
		return "-Inf"
	}
	return f
}

// marshalJSON is json.Marshal without escaping HTML.
func marshalJSON(v any) (json.RawMessage, error) {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return bytes.TrimRight(b.Bytes(), "\n"), nil
}
