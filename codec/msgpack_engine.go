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
	fw   *frameWriter
	tail []byte // what the encoder encodes into: fw.buf's free capacity
	enc  *ugorji.Encoder
	dec  *ugorji.Decoder
}

func newUgorji(fw *frameWriter) msgpackEngine {
	e := &ugorjiEngine{fw: fw}
	e.enc = ugorji.NewEncoderBytes(&e.tail, ugorjiHandle)
	e.dec = ugorji.NewDecoderBytes(nil, ugorjiHandle)
	return e
}

// encode appends v to the frame. ugorji encodes into a slice from its
// start, so it is handed the buffer's free capacity: when the value fits
// there, it lands in place after the frame's header, and is not copied.
func (e *ugorjiEngine) encode(v any) error {
	buf := e.fw.buf
	e.tail = buf[len(buf):]
	e.enc.ResetBytes(&e.tail)
	err := e.enc.Encode(v)
	tail := e.tail
	e.tail = nil
	if err != nil {
		return err
	}
	if n := len(tail); n > 0 && cap(buf)-len(buf) >= n && &buf[:len(buf)+1][len(buf)] == &tail[0] {
		e.fw.buf = buf[:len(buf)+n]
	} else {
		e.fw.buf = append(buf, tail...)
	}
	return nil
}

func (e *ugorjiEngine) decode(b []byte, v any) error {
	e.dec.ResetBytes(b)
	return e.dec.Decode(v)
}
