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
