package codec

import (
	"fmt"
	"reflect"
	"sort"
	"strings"
)

// takesWholeList reports whether the argument v receives a whole positional
// parameter list rather than one parameter: a slice, an array, a struct
// (which takes the parameters as its fields, in order) or an interface.
func takesWholeList(v any) bool {
	switch argKind(v) {
	case reflect.Slice, reflect.Array, reflect.Struct, reflect.Interface:
		return true
	}
	return false
}

// takesEmptyList reports whether [] is a value of the argument v, rather
// than no params: a slice, an array or an interface.
func takesEmptyList(v any) bool {
	switch argKind(v) {
	case reflect.Slice, reflect.Array, reflect.Interface:
		return true
	}
	return false
}

// wantsListFromOne reports whether a single parameter that is a scalar
// (not a list, map, string, binary or nil) is better read as a list of one
// for v: a slice or array argument given [5] means the list [5].
func wantsListFromOne(v any) bool {
	k := argKind(v)
	return k == reflect.Slice || k == reflect.Array
}

func argKind(v any) reflect.Kind {
	t := reflect.TypeOf(v)
	if t == nil || t.Kind() != reflect.Pointer {
		return reflect.Invalid
	}
	return t.Elem().Kind()
}

// remoteErrorText renders an error value sent by a foreign peer — a string,
// a [code, message] pair, a map with a message, anything — as one line.
func remoteErrorText(v any) string {
	switch e := v.(type) {
	case string:
		if e == "" {
			return "remote error (empty message)"
		}
		return e
	case []byte:
		return remoteErrorText(string(e))
	case []any:
		if len(e) == 2 {
			if msg, ok := e[1].(string); ok && isNumber(e[0]) {
				return fmt.Sprintf("%s (code %v)", msg, e[0])
			}
		}
	case map[string]any:
		msg, _ := e["message"].(string)
		if msg == "" {
			msg, _ = e["msg"].(string)
		}
		if msg != "" {
			if code, ok := e["code"]; ok {
				return fmt.Sprintf("%s (code %v)", msg, code)
			}
			return msg
		}
		keys := make([]string, 0, len(e))
		for k := range e {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		var sb strings.Builder
		sb.WriteString("remote error {")
		for i, k := range keys {
			if i > 0 {
				sb.WriteString(", ")
			}
			fmt.Fprintf(&sb, "%s: %v", k, e[k])
		}
		sb.WriteString("}")
		return sb.String()
	case nil:
		return "remote error (nil)"
	}
	return fmt.Sprintf("remote error %v", v)
}

func isNumber(v any) bool {
	switch v.(type) {
	case int, int8, int16, int32, int64, uint, uint8, uint16, uint32, uint64, float32, float64:
		return true
	}
	return false
}

// explainParams says which positional parameter does not fit the argument
// v, and why, for an error a caller can act on: for a struct that takes
// the params as its fields, how many it wants against how many came, or
// the first that does not decode into its field; for any other argument,
// its one param's type against what came. elems are the params as the
// wire encodes them; describe renders one (`string "7"`). It returns nil
// when it has nothing better to say than the decoder.
func explainParams(v any, elems [][]byte, decode func([]byte, any) error, describe func([]byte) string) error {
	t := targetType(v)
	if t == nil {
		return nil
	}
	if t.Kind() == reflect.Struct && len(elems) != 1 {
		fields := positionalFields(t)
		if len(elems) != len(fields) {
			names := make([]string, len(fields))
			for i, f := range fields {
				names[i] = t.Field(f).Name + " " + t.Field(f).Type.String()
			}
			return fmt.Errorf("%w: got %d params, want %d (%s)", ErrInvalidParams, len(elems), len(fields), strings.Join(names, ", "))
		}
		for i, fi := range fields {
			f := t.Field(fi)
			if decode(elems[i], reflect.New(f.Type).Interface()) != nil {
				return fmt.Errorf("%w: param %d (%s.%s): want %s, got %s", ErrInvalidParams, i+1, typeName(t), f.Name, f.Type, describe(elems[i]))
			}
		}
		return nil
	}
	if len(elems) == 1 && decode(elems[0], reflect.New(t).Interface()) != nil {
		return fmt.Errorf("%w: param 1: want %s, got %s", ErrInvalidParams, t, describe(elems[0]))
	}
	return nil
}
