package codec

import "strconv"

// What a param that came is, in words, for explainParams.

// mpWhat describes the msgpack value that b starts with.
func mpWhat(b []byte) string {
	if len(b) == 0 {
		return "nothing"
	}
	c := b[0]
	switch {
	case c <= 0x7f || c >= 0xe0 || c >= 0xcc && c <= 0xd3:
		return "an integer"
	case c >= 0xa0 && c <= 0xbf || c >= 0xd9 && c <= 0xdb:
		return "a string"
	case c >= 0x90 && c <= 0x9f || c == 0xdc || c == 0xdd:
		return "an array"
	case c >= 0x80 && c <= 0x8f || c == 0xde || c == 0xdf:
		return "a map"
	case c == 0xc0:
		return "nil"
	case c == 0xc2 || c == 0xc3:
		return "a boolean"
	case c == 0xca || c == 0xcb:
		return "a float"
	case c >= 0xc4 && c <= 0xc6:
		return "binary"
	}
	return "an extension value"
}

// jsonWhat describes the JSON value that b is.
func jsonWhat(b []byte) string {
	if len(b) == 0 {
		return "nothing"
	}
	switch c := b[0]; {
	case c == '"':
		return "a string"
	case c == '-' || c >= '0' && c <= '9':
		return "a number"
	case c == 't' || c == 'f':
		return "a boolean"
	case c == 'n':
		return "null"
	case c == '[':
		return "an array"
	case c == '{':
		return "an object"
	}
	return "something else"
}

// mpElems splits the n elements of a msgpack array that start at off.
func mpElems(b []byte, off, n int) [][]byte {
	elems := make([][]byte, 0, min(n, 64))
	for range n {
		end, err := mpSkip(b, off)
		if err != nil {
			return nil
		}
		elems = append(elems, b[off:end])
		off = end
	}
	return elems
}

// jsonElems splits the elements of a JSON array.
func jsonElems(arr []byte) [][]byte {
	elems := make([][]byte, 0, jsonEach(arr, nil))
	jsonEach(arr, func(e []byte) { elems = append(elems, e) })
	return elems
}

// jsonEach calls f, if not nil, with each element of the valid JSON array
// arr, in place, and returns how many there are.
func jsonEach(arr []byte, f func([]byte)) int {
	n := 0
	i := skipJSONSpace(arr, 1)
	for i < len(arr) && arr[i] != ']' {
		end := skipJSONValue(arr, i)
		if end <= i {
			return n
		}
		if f != nil {
			f(arr[i:end])
		}
		n++
		i = skipJSONSpace(arr, end)
		if i < len(arr) && arr[i] == ',' {
			i = skipJSONSpace(arr, i+1)
		}
	}
	return n
}

// mpDescribe renders a msgpack value for an error, as describeJSON does a
// JSON one: string "7", integer 7, a map.
func mpDescribe(b []byte) string {
	if s, _, ok := mpStringBytes(b, 0); ok && len(b) > 0 && (b[0] >= 0xa0 && b[0] <= 0xbf || b[0] >= 0xd9 && b[0] <= 0xdb) {
		return "string " + clip(strconv.Quote(string(s)))
	}
	if n, _, ok := mpUint(b, 0); ok {
		return "integer " + strconv.FormatUint(n, 10)
	}
	if n, ok := mpNegative(b); ok {
		return "integer " + strconv.FormatInt(n, 10)
	}
	switch {
	case len(b) == 1 && b[0] == 0xc2:
		return "boolean false"
	case len(b) == 1 && b[0] == 0xc3:
		return "boolean true"
	}
	return mpWhat(b)
}
