package codec

import "reflect"

// jsonCursor walks a JSON value that json.Valid accepted.
type jsonCursor struct {
	b    []byte
	off  int
	open []bool // per open container: no child read yet
}

func (c *jsonCursor) next() (wireValue, error) {
	c.off = skipJSONSpace(c.b, c.off)
	if c.off >= len(c.b) {
		return wireValue{}, errOverBudget // cannot happen in valid JSON
	}
	start := c.off
	switch c.b[start] {
	case '{', '[':
		c.off++
		c.open = append(c.open, true)
		if c.b[start] == '{' {
			return wireValue{kind: wireMap}, nil
		}
		return wireValue{kind: wireArray}, nil
	case '"':
		c.off = skipJSONString(c.b, start)
		inner := c.b[start+1 : max(start+1, c.off-1)]
		return wireValue{kind: wireString, n: len(inner), key: inner}, nil
	case 't', 'f':
		c.off = skipJSONValue(c.b, start)
		return wireValue{kind: wireScalar}, nil
	case 'n':
		c.off = skipJSONValue(c.b, start)
		return wireValue{kind: wireNil}, nil
	}
	c.off = skipJSONValue(c.b, start)
	if c.off-start == 1 && c.b[start] == '0' {
		return wireValue{kind: wireScalar}, nil // 0 boxes without allocating
	}
	return wireValue{kind: wireNumber}, nil
}

func (c *jsonCursor) skip() int {
	n := 0
	for c.more() {
		c.off = skipJSONValue(c.b, skipJSONSpace(c.b, c.off))
		n++
	}
	return n
}

// more reports whether another child of the innermost open container
// follows, stepping over the ',' or ':' before it, or over the bracket
// that closes the container.
func (c *jsonCursor) more() bool {
	top := len(c.open) - 1
	if top < 0 {
		return false
	}
	c.off = skipJSONSpace(c.b, c.off)
	if c.off >= len(c.b) {
		return false
	}
	switch c.b[c.off] {
	case '}', ']':
		c.off++
		c.open = c.open[:top]
		return false
	case ',', ':':
		c.off++
		return true
	}
	if c.open[top] {
		c.open[top] = false
		return true
	}
	return false
}

// jsonEngineCost is what encoding/json allocates beyond the values it
// decodes.
var jsonEngineCost = engineCost{overhead: 125, perElem: 50, perContainer: 50, perStruct: 180}

// charge spends from the frame's budget what decoding the JSON value b into
// a value of type t takes.
func (c *jsonConn) charge(b []byte, t reflect.Type) error {
	if c.budget.ratio == 0 || c.budget.cheap(len(b), t) {
		return nil
	}
	c.cursor = jsonCursor{b: b, open: c.cursor.open[:0]}
	w := budgetWalk{cur: &c.cursor, engine: jsonEngineCost, limit: c.budget.limit(jsonEngineCost.overhead)}
	w.value(costType(t))
	if w.err != nil {
		w.cost = w.limit + 1
	}
	return c.budget.spend(w.cost, jsonEngineCost.overhead)
}
