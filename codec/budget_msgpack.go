package codec

import (
	"reflect"

	"github.com/duplexrpc/duplex/internal/mpwire"

	ugorji "github.com/ugorji/go/codec"
	"github.com/vmihailenco/msgpack/v5"
)

// mpCursor walks a msgpack value that scanMsgpack accepted, so every count
// it declares is backed by bytes.
type mpCursor struct {
	b     []byte
	off   int
	stack []uint64 // children left in each open container
}

func (c *mpCursor) next() (wireValue, error) {
	if c.off >= len(c.b) {
		return wireValue{}, errOverBudget // cannot happen in a scanned frame
	}
	b := c.b[c.off]
	lenBytes, fixed, children, ok := mpwire.Sizes(b)
	if !ok || c.off+1+lenBytes > len(c.b) {
		return wireValue{}, errOverBudget
	}
	n := mpwire.Count(b, c.b[c.off+1:c.off+1+lenBytes])
	start := c.off + 1 + lenBytes + fixed
	c.off = start
	var v wireValue
	switch {
	case children > 0:
		v.kind, v.n = wireArray, int(n)
		if children == 2 {
			v.kind = wireMap
		}
		c.stack = append(c.stack, n*uint64(children))
		return v, nil
	case b == 0xc0:
		v.kind = wireNil
	case b <= 0x7f || b == 0xc2 || b == 0xc3 || b == 0xcc:
		v.kind = wireScalar // Go boxes bools and integers under 256 without allocating
	case b >= 0xe0, b >= 0xca && b <= 0xd3:
		v.kind = wireNumber
	case b >= 0xa0 && b <= 0xbf, b >= 0xd9 && b <= 0xdb:
		v.kind, v.n = wireString, int(n)
	case b >= 0xc4 && b <= 0xc6:
		v.kind, v.n = wireBinary, int(n)
	default: // ext, fixext
		v.kind, v.n = wireOther, int(n)+fixed
	}
	if int(n) > len(c.b)-start {
		return wireValue{}, errOverBudget
	}
	if v.kind == wireString {
		v.key = c.b[start : start+int(n)]
	}
	if v.kind == wireString || v.kind == wireBinary || b >= 0xc7 && b <= 0xc9 {
		c.off += int(n)
	}
	return v, nil
}

func (c *mpCursor) skip() int {
	top := len(c.stack) - 1
	if top < 0 {
		return 0
	}
	n := int(c.stack[top])
	for range n {
		if c.off >= len(c.b) {
			break // cannot happen in a scanned frame
		}
		// Numbers first, inline: a list of them is what skip is for.
		switch b := c.b[c.off]; {
		case b <= 0x7f, b >= 0xe0, b == 0xc0, b == 0xc2, b == 0xc3:
			c.off++
		case b == 0xcb, b == 0xcf, b == 0xd3:
			c.off += 9
		case b == 0xca, b == 0xce, b == 0xd2:
			c.off += 5
		default:
			end, err := mpSkip(c.b, c.off)
			if err != nil {
				return n // cannot happen in a scanned frame
			}
			c.off = end
		}
	}
	c.stack = c.stack[:top]
	return n
}

func (c *mpCursor) more() bool {
	top := len(c.stack) - 1
	if top < 0 {
		return false
	}
	if c.stack[top] == 0 {
		c.stack = c.stack[:top]
		return false
	}
	c.stack[top]--
	return true
}

var (
	mpCustomDecoderType = reflect.TypeFor[msgpack.CustomDecoder]()
	mpUnmarshalerType   = reflect.TypeFor[msgpack.Unmarshaler]()
	ugorjiSelferType    = reflect.TypeFor[ugorji.Selfer]()
)

// What the msgpack engines allocate beyond the values they decode.
var (
	vmihailencoCost = engineCost{overhead: 115, perContainer: 24}
	ugorjiCost      = engineCost{overhead: 110, perElem: 40, perContainer: 24, perStruct: 150}
)

// decodesItself reports whether pt has a msgpack decoding method of its own.
func decodesItself(pt reflect.Type) bool {
	return pt.Implements(mpCustomDecoderType) || pt.Implements(mpUnmarshalerType) || pt.Implements(ugorjiSelferType)
}

// charge spends from the frame's budget what decoding the value b into a
// value of type t takes.
func (c *msgpackConn) charge(b []byte, t reflect.Type) error {
	if c.budget.ratio == 0 || c.budget.cheap(len(b), t) {
		return nil
	}
	c.cursor = mpCursor{b: b, stack: c.cursor.stack[:0]}
	w := budgetWalk{cur: &c.cursor, engine: c.cost, limit: c.budget.limit(c.cost.overhead)}
	w.value(costType(t))
	if w.err != nil {
		w.cost = w.limit + 1
	}
	return c.budget.spend(w.cost, c.cost.overhead)
}
