package codec

import (
	"bytes"
	"reflect"

	ugorji "github.com/ugorji/go/codec"
	"github.com/vmihailenco/msgpack/v5"
)

// vmihailencoEngine encodes bodies with github.com/vmihailenco/msgpack/v5.
// Its decoder only ever sees a frame that scanMsgpack has bounded, which
// is what keeps its declared-length allocations (its issue #401) in check.
type vmihailencoEngine struct {
	enc *msgpack.Encoder
	dec *msgpack.Decoder
	src bytes.Reader
}

func newVmihailenco(fw *frameWriter) msgpackEngine {
	e := &vmihailencoEngine{enc: msgpack.NewEncoder(fw)}
	e.enc.SetCustomStructTag("json")
	e.dec = msgpack.NewDecoder(&e.src)
	e.dec.SetCustomStructTag("json")
	e.dec.UseLooseInterfaceDecoding(true)
	return e
}

func (e *vmihailencoEngine) encode(v any) error { return e.enc.Encode(v) }

func (e *vmihailencoEngine) decode(b []byte, v any) error {
	e.src.Reset(b)
	e.dec.ResetReader(&e.src)
	return e.dec.Decode(v)
}

// ugorjiHandle is shared by every ugorji Conn; ugorji handles are safe for
// concurrent use once configured.
var ugorjiHandle = func() *ugorji.MsgpackHandle {
	h := &ugorji.MsgpackHandle{}
	h.WriteExt = true    // str8 and bin: the current msgpack spec
	h.RawToString = true // str into interface{} as string, as other libraries do
	h.Raw = true         // Raw bodies go as they are (Raw checks them itself)
	h.MapType = reflect.TypeOf(map[string]any(nil))
	return h
}()

// ugorjiEngine encodes bodies with github.com/ugorji/go/codec.
type ugorjiEngine struct {
	fw      *frameWriter
	scratch []byte
	enc     *ugorji.Encoder
	dec     *ugorji.Decoder
}

func newUgorji(fw *frameWriter) msgpackEngine {
	e := &ugorjiEngine{fw: fw}
	e.enc = ugorji.NewEncoderBytes(&e.scratch, ugorjiHandle)
	e.dec = ugorji.NewDecoderBytes(nil, ugorjiHandle)
	return e
}

func (e *ugorjiEngine) encode(v any) error {
	e.scratch = e.scratch[:0]
	e.enc.ResetBytes(&e.scratch)
	if err := e.enc.Encode(v); err != nil {
		return err
	}
	e.fw.buf = append(e.fw.buf, e.scratch...)
	if cap(e.scratch) > flushAt {
		e.scratch = nil
	}
	return nil
}

func (e *ugorjiEngine) decode(b []byte, v any) error {
	e.dec.ResetBytes(b)
	return e.dec.Decode(v)
}
