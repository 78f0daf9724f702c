package codec

import (
	"bytes"
	"encoding/json"
	"fmt"
	"sync"
)

// EncodeRaw encodes v as a Conn of c encodes a call's argument or a reply:
// with the same engine and settings (the msgpack engines read json struct
// tags), so that a Conn of c at the other end decodes it exactly as if a
// Go peer had written v itself. The result is a [Raw], to carry elsewhere
// and write on a Conn of the same wire. [Gob] has no raw form: EncodeRaw
// fails for it. An error Is [ErrEncode].
func EncodeRaw(c Codec, v any) (Raw, error) {
	switch c := c.(type) {
	case *msgpackCodec:
		e := c.rawEngine()
		defer c.putRawEngine(e)
		e.fw.buf = e.fw.buf[:0]
		if err := e.eng.encode(v); err != nil {
			return nil, fmt.Errorf("%w: %w", ErrEncode, err)
		}
		return bytes.Clone(e.fw.buf), nil
	case jsonCodec:
		b, err := json.Marshal(v)
		if err != nil {
			return nil, fmt.Errorf("%w: %w", ErrEncode, err)
		}
		return b, nil
	}
	return nil, fmt.Errorf("%w: codec %s has no raw form", ErrEncode, nameOf(c))
}

// DecodeRaw decodes r, one value in the wire of c (as [EncodeRaw] makes
// it, or as a Conn of c reads it into a Raw), into v, a pointer, as a Conn
// of c decodes a reply: r is checked to be one well-formed value, no
// deeper than a frame may nest, and its decoding is held to the budget of
// a frame of its size ([DefaultMaxDecodeRatio]). An empty r is the wire's
// nil. r is not kept.
func DecodeRaw(c Codec, r Raw, v any) error {
	switch c := c.(type) {
	case *msgpackCodec:
		if len(r) == 0 {
			r = msgpackNil
		}
		fr := newFrameReader(bytes.NewReader(r), len(r))
		n, _, err := scanMsgpack(fr, nil)
		if err == nil && n != len(r) {
			err = fmt.Errorf("%w: %d bytes after a msgpack value", ErrMalformed, len(r)-n)
		}
		if err != nil {
			return err
		}
		mc := msgpackConn{cost: c.cost}
		mc.budget.ratio = DefaultMaxDecodeRatio
		mc.budget.reset(len(r))
		if err := mc.charge(r, targetType(v)); err != nil {
			return err
		}
		e := c.rawEngine()
		defer c.putRawEngine(e)
		return e.eng.decode(r, v)
	case jsonCodec:
		if len(r) == 0 {
			r = Raw(jsonNull)
		}
		if !json.Valid(r) {
			var x any
			return fmt.Errorf("%w: %v", ErrMalformed, json.Unmarshal(r, &x))
		}
		jc := jsonConn{}
		jc.budget.ratio = DefaultMaxDecodeRatio
		jc.budget.reset(len(r))
		if err := jc.charge(r, targetType(v)); err != nil {
			return err
		}
		return json.Unmarshal(r, v)
	}
	return fmt.Errorf("codec: codec %s has no raw form", nameOf(c))
}

// nameOf is c's name, or "<nil>".
func nameOf(c Codec) string {
	if c == nil {
		return "<nil>"
	}
	return c.Name()
}

// rawCodecEngine is an engine of one msgpack codec with the buffer it
// encodes into, kept for EncodeRaw and DecodeRaw.
type rawCodecEngine struct {
	fw  frameWriter
	eng msgpackEngine
}

// rawEngines pools a rawCodecEngine per msgpack codec.
var rawEngines sync.Map // *msgpackCodec → *sync.Pool

func (c *msgpackCodec) rawEngine() *rawCodecEngine {
	pool, ok := rawEngines.Load(c)
	if !ok {
		pool, _ = rawEngines.LoadOrStore(c, &sync.Pool{New: func() any {
			e := new(rawCodecEngine)
			e.eng = c.engine(&e.fw)
			return e
		}})
	}
	return pool.(*sync.Pool).Get().(*rawCodecEngine)
}

func (c *msgpackCodec) putRawEngine(e *rawCodecEngine) {
	if cap(e.fw.buf) > keepWriteBuffer {
		e.fw.buf = nil
	}
	pool, _ := rawEngines.Load(c)
	pool.(*sync.Pool).Put(e)
}
