package main

import (
	"context"
	"encoding/json"
	"strings"

	"github.com/duplexrpc/duplex/codec"
	"github.com/duplexrpc/duplex/peer"
)

// A wire carries JSON values over one codec, without Go types: it turns the
// user's JSON into what the codec sends as that JSON, and what the codec
// received back into JSON.
//
// The JSON codecs carry json.RawMessage as it is. The msgpack wires are in
// wire_msgpack.go.
type wire interface {
	codec() codec.Codec
	// args is what a call sends for p: its one param, or codec.Params.
	args(p params) (any, error)
	// newValue returns a pointer to decode a reply into.
	newValue() any
	// toJSON returns the JSON of a value decoded into newValue.
	toJSON(v any) (json.RawMessage, error)
	// rawJSON returns the JSON of a value the peer kept in the wire's own
	// encoding: an error's data, a progress value.
	rawJSON(raw codec.Raw) (json.RawMessage, error)
	// serve makes h answer every method r lacks.
	serve(r *peer.Registry, h handler)
	// stream calls method as a stream, and hands each item to each, as
	// JSON, as it comes (stream.go).
	stream(ctx context.Context, p *peer.Peer, method string, arg any, each func(json.RawMessage) error) error
	// serveStream makes h answer every method r lacks as a stream.
	serveStream(r *peer.Registry, h streamHandler)
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
		return nil, usageError("-codec gob: gob needs the Go types of the values on both ends, and a command line has only JSON; use one of %s (the remote must speak it too)", strings.Join(codecNames(), ", "))
	case c == codec.Msgpack:
		return msgpackWire{}, nil
	case c == codec.MsgpackUgorji:
		return ugorjiWire{}, nil
	}
	return jsonWire{c}, nil // the JSON-RPC family, whatever its framing
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

func (jsonWire) rawJSON(raw codec.Raw) (json.RawMessage, error) { return compactJSON(raw) }

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
