package benchmarks

import (
	"bufio"
	"fmt"
	"io"
	"net/rpc"

	"github.com/vmihailenco/msgpack/v5"
)

// The msgpack-rpc message types, the first element of every message.
const (
	mpRequest  = 0
	mpResponse = 1
)

// vmConn is a msgpack-rpc codec for stock net/rpc written the way a user
// who wants msgpack on net/rpc, without this library, would write it with
// github.com/vmihailenco/msgpack/v5 and its default settings: an Encoder on
// a bufio.Writer flushed once per message, a Decoder on a bufio.Reader, and
// the msgpack-rpc wire
//
//	[0, msgid, method, [arg]]    request
//	[1, msgid, error, result]    response
//
// It is one of the one-way baselines of the peer's first target: the peer
// must not cost more than doing without it. net/rpc writes under its own
// lock and reads from one goroutine, so the codec needs no lock of its own.
type vmConn struct {
	rwc io.ReadWriteCloser
	bw  *bufio.Writer
	enc *msgpack.Encoder
	dec *msgpack.Decoder
}

func newVMConn(rwc io.ReadWriteCloser) vmConn {
	bw := bufio.NewWriter(rwc)
	return vmConn{rwc: rwc, bw: bw, enc: msgpack.NewEncoder(bw), dec: msgpack.NewDecoder(bufio.NewReader(rwc))}
}

// vmClientCodec is vmConn as net/rpc's ClientCodec.
type vmClientCodec struct{ vmConn }

// vmServerCodec is vmConn as net/rpc's ServerCodec.
type vmServerCodec struct{ vmConn }

func (c *vmClientCodec) WriteRequest(r *rpc.Request, body any) error {
	e := c.enc
	return c.send(e.EncodeArrayLen(4), e.EncodeInt(mpRequest), e.EncodeUint(r.Seq),
		e.EncodeString(r.ServiceMethod), e.EncodeArrayLen(1), e.Encode(body))
}

func (c *vmClientCodec) ReadResponseHeader(r *rpc.Response) error {
	if err := c.readHead(mpResponse); err != nil {
		return err
	}
	seq, err := c.dec.DecodeUint64()
	if err != nil {
		return err
	}
	// The error is nil, a string, or whatever a server in another language
	// puts there.
	e, err := c.dec.DecodeInterface()
	if err != nil {
		return err
	}
	r.Seq, r.Error = seq, ""
	if e != nil {
		r.Error = fmt.Sprint(e)
	}
	return nil
}

// ReadResponseBody skips the result when net/rpc has no reply to decode it
// into (a failed or unknown call), which keeps the stream in step.
func (c *vmClientCodec) ReadResponseBody(body any) error {
	if body == nil {
		return c.dec.Skip()
	}
	return c.dec.Decode(body)
}

func (c *vmServerCodec) ReadRequestHeader(r *rpc.Request) error {
	if err := c.readHead(mpRequest); err != nil {
		return err
	}
	seq, err := c.dec.DecodeUint64()
	if err != nil {
		return err
	}
	r.Seq = seq
	r.ServiceMethod, err = c.dec.DecodeString()
	return err
}

// ReadRequestBody decodes the one param into body. It reads the whole
// params array even when it cannot use it (net/rpc passes nil for an
// unknown method), so that the next request starts where it should.
func (c *vmServerCodec) ReadRequestBody(body any) error {
	n, err := c.dec.DecodeArrayLen()
	if err != nil {
		return err
	}
	if n == 1 && body != nil {
		return c.dec.Decode(body)
	}
	for range n {
		if err := c.dec.Skip(); err != nil {
			return err
		}
	}
	if body != nil {
		return fmt.Errorf("msgpack-rpc: %d params, want 1", n)
	}
	return nil
}

func (c *vmServerCodec) WriteResponse(r *rpc.Response, body any) error {
	e := c.enc
	if r.Error != "" { // body is net/rpc's placeholder: send nil instead
		return c.send(e.EncodeArrayLen(4), e.EncodeInt(mpResponse), e.EncodeUint(r.Seq),
			e.EncodeString(r.Error), e.EncodeNil())
	}
	return c.send(e.EncodeArrayLen(4), e.EncodeInt(mpResponse), e.EncodeUint(r.Seq),
		e.EncodeNil(), e.Encode(body))
}

// send flushes the message just encoded. If encoding any part of it failed,
// it closes the connection instead: what was buffered of the message would
// otherwise go out ahead of the next one and garble the stream.
func (c *vmConn) send(errs ...error) error {
	for _, err := range errs {
		if err != nil {
			c.rwc.Close()
			return err
		}
	}
	return c.bw.Flush()
}

// readHead reads the array header and the type of the next message, which
// must be a request or response of four elements.
func (c *vmConn) readHead(typ int) error {
	n, err := c.dec.DecodeArrayLen()
	if err != nil {
		return err
	}
	t, err := c.dec.DecodeInt()
	if err != nil {
		return err
	}
	if n != 4 || t != typ {
		return fmt.Errorf("msgpack-rpc: message of type %d with %d elements, want type %d with 4", t, n, typ)
	}
	return nil
}

func (c *vmConn) Close() error { return c.rwc.Close() }
