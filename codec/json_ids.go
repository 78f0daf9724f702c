package codec

import (
	"encoding/json"
	"math"
	"strconv"
)

// jsonIDKey is an incoming request's id as a cancel is matched against it.
// A foreign client writes the id of its cancel with its own encoder, not
// by copying our bytes, so ids are compared by value: a string by what it
// holds, whatever its escapes ("a" and "\u0061" match); a number by its
// value (5, 5.0 and 5e0 match); never a string with a number ("5" and 5
// differ, as they do to the client).
type jsonIDKey struct {
	kind byte   // 'i' an integer n; 'n' another number, s its canonical text; 's' a string s
	n    int64  // kind 'i'
	s    string // kind 'n' and 's'
}

// jsonIDKeyOf returns id's key. ok is false for null and for the ids no
// cancel can name (the arrays, objects and booleans JSON-RPC 1.0 lets
// through); such a request is not indexed. id is valid JSON. The integer
// ids that clients use in practice make a key without allocating.
func jsonIDKeyOf(id []byte) (k jsonIDKey, ok bool) {
	if len(id) == 0 {
		return k, false
	}
	switch c := id[0]; {
	case c == '"':
		s, ok := jsonUnquote(id)
		if !ok {
			return k, false
		}
		return jsonIDKey{kind: 's', s: string(s)}, true
	case c == '-' || c >= '0' && c <= '9':
		return numberKey(id), true
	}
	return k, false
}

// maxIntDigits is how many decimal digits always fit an int64.
const maxIntDigits = 18

// numberKey returns the key of a valid JSON number: its value as digits d
// without leading or trailing zeros times 10^e, as an int64 when it is an
// integer that surely fits one, else as the text "[-]d e e". An exponent
// too long to read keeps the number's own text, which then matches only
// itself.
func numberKey(num []byte) jsonIDKey {
	raw := num
	neg := num[0] == '-'
	if neg {
		num = num[1:]
	}
	// num is int [. frac] [e|E [sign] exp]; the digits are int then frac.
	end := len(num)
	exp := 0
	for i, c := range num {
		if c != 'e' && c != 'E' {
			continue
		}
		end = i
		x, err := strconv.Atoi(string(num[i+1:]))
		if err != nil || x > math.MaxInt32 || x < math.MinInt32 {
			return jsonIDKey{kind: 'n', s: string(raw)}
		}
		exp = x
		break
	}
	intPart, frac := num[:end], []byte(nil)
	for i, c := range intPart {
		if c == '.' {
			intPart, frac = num[:i], num[i+1:end]
			break
		}
	}
	digit := func(k int) byte {
		if k < len(intPart) {
			return intPart[k]
		}
		return frac[k-len(intPart)]
	}
	first, last := 0, len(intPart)+len(frac) // the significant digits are [first, last)
	for first < last && digit(first) == '0' {
		first++
	}
	for last > first && digit(last-1) == '0' {
		last--
	}
	if first == last {
		return jsonIDKey{kind: 'i'} // zero, -0 and 0.0e5 alike
	}
	// The value is digits [first, last) times 10^(exp - len(frac)), times
	// 10 for each trailing zero dropped.
	exp += len(intPart) - last
	if exp >= 0 && last-first+exp <= maxIntDigits {
		var n int64
		for k := first; k < last; k++ {
			n = n*10 + int64(digit(k)-'0')
		}
		for range exp {
			n *= 10
		}
		if neg {
			n = -n
		}
		return jsonIDKey{kind: 'i', n: n}
	}
	b := make([]byte, 0, last-first+16)
	if neg {
		b = append(b, '-')
	}
	for k := first; k < last; k++ {
		b = append(b, digit(k))
	}
	b = append(b, 'e')
	b = strconv.AppendInt(b, int64(exp), 10)
	return jsonIDKey{kind: 'n', s: string(b)}
}

// parseSeq reads an id we sent: a number, or a string of digits from a peer
// that turned it into one.
func parseSeq(id []byte) (uint64, bool) {
	if len(id) >= 2 && id[0] == '"' && id[len(id)-1] == '"' {
		id = id[1 : len(id)-1]
	}
	if len(id) == 0 || len(id) > 20 {
		return 0, false
	}
	var seq uint64
	for _, c := range id {
		if c < '0' || c > '9' {
			return 0, false
		}
		d := uint64(c - '0')
		if seq > (math.MaxUint64-d)/10 {
			return 0, false
		}
		seq = seq*10 + d
	}
	return seq, true
}

// validJSONID: JSON-RPC 2.0 ids are strings, numbers or null, if present.
func validJSONID(id json.RawMessage) bool {
	if len(id) == 0 {
		return true
	}
	switch id[0] {
	case '{', '[', 't', 'f':
		return false
	}
	return true
}
