package main

// JSON as Go values, both ways: what a msgpack engine encodes as a JSON
// value, and what encoding/json can write of what a msgpack engine decoded.

import (
	"bytes"
	"encoding/json"
	"math"
	"strconv"
)

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
