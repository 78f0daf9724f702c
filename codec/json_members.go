package codec

import (
	"bytes"
	"encoding/json"
)

// This file reads a JSON-RPC message's members in place: the frame is
// checked once with json.Valid, and then each member is a slice of the
// frame, with no copy and no reflection. Slices stay valid until the next
// frame is read.

// jsonMembers are the raw members of one message; a member that is absent
// is nil, one that is null holds "null".
type jsonMembers struct {
	version, method, id, params, result, err []byte
	meta                                     []byte // a top-level "_meta" (json_meta.go)
}

// readMembers fills m from obj, which json.Valid accepted and which starts
// with '{'. A key written with escapes is compared after unescaping.
func readMembers(obj []byte, m *jsonMembers) {
	*m = jsonMembers{}
	eachMember(obj, func(key, value []byte) {
		switch string(key) {
		case "jsonrpc":
			m.version = value
		case "method":
			m.method = value
		case "id":
			m.id = value
		case "params":
			m.params = value
		case "result":
			m.result = value
		case "error":
			m.err = value
		case "_meta":
			m.meta = value
		}
	})
}

func skipJSONSpace(b []byte, i int) int {
	for i < len(b) && isJSONSpace(b[i]) {
		i++
	}
	return i
}

// skipJSONString returns the index just past the string starting at b[i].
func skipJSONString(b []byte, i int) int {
	for i++; i < len(b); i++ {
		switch b[i] {
		case '\\':
			i++
		case '"':
			return i + 1
		}
	}
	return len(b)
}

// skipJSONValue returns the index just past the valid JSON value at b[i].
func skipJSONValue(b []byte, i int) int {
	if i >= len(b) {
		return i
	}
	switch b[i] {
	case '"':
		return skipJSONString(b, i)
	case '{', '[':
		depth := 0
		for ; i < len(b); i++ {
			switch b[i] {
			case '"':
				i = skipJSONString(b, i) - 1
			case '{', '[':
				depth++
			case '}', ']':
				if depth--; depth == 0 {
					return i + 1
				}
			}
		}
		return len(b)
	}
	for ; i < len(b); i++ { // number, true, false, null
		switch b[i] {
		case ',', '}', ']', ' ', '\t', '\n', '\r':
			return i
		}
	}
	return i
}

// jsonArrayFirst returns the number of elements of the valid JSON array
// arr, counting at most two, and its first element.
func jsonArrayFirst(arr []byte) (n int, first []byte) {
	i := skipJSONSpace(arr, 1)
	if i >= len(arr) || arr[i] == ']' {
		return 0, nil
	}
	end := skipJSONValue(arr, i)
	first = arr[i:end]
	if j := skipJSONSpace(arr, end); j < len(arr) && arr[j] == ',' {
		return 2, first
	}
	return 1, first
}

// jsonString returns the string a JSON string value holds, without a copy
// of the bytes when it has no escapes.
func jsonUnquote(v []byte) (s []byte, ok bool) {
	if len(v) < 2 || v[0] != '"' {
		return nil, false
	}
	inner := v[1 : len(v)-1]
	if bytes.IndexByte(inner, '\\') < 0 {
		return inner, true
	}
	var str string
	if json.Unmarshal(v, &str) != nil {
		return nil, false
	}
	return []byte(str), true
}

// objectMember returns the value of the member key of the valid JSON object
// obj, or nil when it has none (the last, if it has several).
func objectMember(obj []byte, key string) []byte {
	var found []byte
	eachMember(obj, func(k, v []byte) {
		if string(k) == key {
			found = v
		}
	})
	return found
}

// eachMember calls fn with each member of the valid JSON object obj: its
// key, unescaped, and its value as it is.
func eachMember(obj []byte, fn func(key, value []byte)) {
	if len(obj) == 0 || obj[0] != '{' {
		return
	}
	i := skipJSONSpace(obj, 1)
	for i < len(obj) && obj[i] == '"' {
		keyEnd := skipJSONString(obj, i)
		key := obj[i+1 : keyEnd-1]
		if bytes.IndexByte(key, '\\') >= 0 {
			var s string
			json.Unmarshal(obj[i:keyEnd], &s)
			key = []byte(s)
		}
		i = skipJSONSpace(obj, keyEnd)
		i = skipJSONSpace(obj, i+1) // past ':'
		end := skipJSONValue(obj, i)
		fn(key, obj[i:end])
		i = skipJSONSpace(obj, end)
		if i < len(obj) && obj[i] == ',' {
			i = skipJSONSpace(obj, i+1)
		}
	}
}
