package codec

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
)

// JSON-RPC 2.0 error codes. An error Response whose Header.Code is zero
// is sent with one the codec chooses: invalid params when the params did
// not decode, method not found for net/rpc's text saying so, else
// CodeServerError (net/rpc hands the codec only an error's text).
const (
	codeParseError     = -32700
	codeInvalidRequest = -32600
	codeMethodNotFound = -32601
	codeInvalidParams  = -32602
	// CodeServerError is the JSON-RPC 2.0 error code of an error returned
	// by a handler (the spec's range for implementation-defined server
	// errors starts at -32000).
	CodeServerError = -32000
	// CodeRequestCancelled is the code of the answer to a request that
	// was cancelled: LSP's RequestCancelled, which its clients expect.
	CodeRequestCancelled = -32800
)

// The frames this package writes. The 1.0 shapes are net/rpc/jsonrpc's,
// field for field, so the bytes are the same. A connection keeps one of
// each and fills it under its writer's lock, so writing allocates nothing.
type (
	jsonRequest1 struct {
		Method string `json:"method"`
		Params [1]any `json:"params"`
		ID     uint64 `json:"id"`
	}
	jsonRequest1List struct {
		Method string `json:"method"`
		Params []any  `json:"params"`
		ID     uint64 `json:"id"`
	}
	jsonNotification1 struct {
		Method string  `json:"method"`
		Params [1]any  `json:"params"`
		ID     *uint64 `json:"id"` // always null
	}
	jsonNotification1List struct {
		Method string  `json:"method"`
		Params []any   `json:"params"`
		ID     *uint64 `json:"id"` // always null
	}
	jsonResponse1 struct {
		ID     json.RawMessage `json:"id"`
		Result any             `json:"result"`
		Error  any             `json:"error"`
	}
	jsonRequest2 struct {
		Version string `json:"jsonrpc"`
		Method  string `json:"method"`
		Params  [1]any `json:"params"`
		ID      uint64 `json:"id"`
	}
	jsonRequest2List struct {
		Version string `json:"jsonrpc"`
		Method  string `json:"method"`
		Params  []any  `json:"params"`
		ID      uint64 `json:"id"`
	}
	jsonNotification2 struct {
		Version string `json:"jsonrpc"`
		Method  string `json:"method"`
		Params  [1]any `json:"params"`
	}
	jsonNotification2List struct {
		Version string `json:"jsonrpc"`
		Method  string `json:"method"`
		Params  []any  `json:"params"`
	}
	jsonResult2 struct {
		Version string          `json:"jsonrpc"`
		ID      json.RawMessage `json:"id"`
		Result  any             `json:"result"`
	}
	jsonError2 struct {
		Version string          `json:"jsonrpc"`
		ID      json.RawMessage `json:"id"`
		Error   jsonErrorObject `json:"error"`
	}
	jsonErrorObject struct {
		Code    int    `json:"code"`
		Message string `json:"message"`
	}
)

// jsonFrames holds one frame of each shape.
type jsonFrames struct {
	req1  jsonRequest1
	req1L jsonRequest1List
	not1  jsonNotification1
	not1L jsonNotification1List
	resp1 jsonResponse1
	req2  jsonRequest2
	req2L jsonRequest2List
	not2  jsonNotification2
	not2L jsonNotification2List
	res2  jsonResult2
	err2  jsonError2
}

var jsonNull = json.RawMessage("null")

func (c *jsonConn) Write(h *Header, v any) error {
	switch h.Kind {
	case Request, Notification:
		return c.writeCall(h, v)
	case Response:
		return c.writeResponse(h, v)
	case Cancel:
		return c.writeCancel(h.Seq)
	}
	return fmt.Errorf("codec: cannot write a frame of %v", h.Kind)
}

// The cancel frames, around the id: LSP's notification in 2.0, and the same
// as a 1.0 notification, whose params are always an array.
const (
	cancel2Head = `{"jsonrpc":"2.0","method":"` + cancelMethod + `","params":{"id":`
	cancel2Tail = "}}\n"
	cancel1Head = `{"method":"` + cancelMethod + `","params":[{"id":`
	cancel1Tail = `}],"id":null}` + "\n"
)

// writeCancel asks the other end to cancel our request seq, whose id was
// seq.
func (c *jsonConn) writeCancel(seq uint64) error {
	mark, err := c.fw.lock()
	if err != nil {
		return err
	}
	head, tail := cancel1Head, cancel1Tail
	if c.v2 {
		head, tail = cancel2Head, cancel2Tail
	}
	b := append(c.fw.buf, head...)
	b = strconv.AppendUint(b, seq, 10)
	c.fw.buf = append(b, tail...)
	return c.fw.unlock(mark, nil)
}

func (c *jsonConn) writeCall(h *Header, v any) error {
	if c.framing != nil {
		return c.writeCallByName(h, v)
	}
	mark, err := c.fw.lock()
	if err != nil {
		return err
	}
	o, m := &c.out, h.ServiceMethod
	var frame any
	params, isList := v.(Params)
	switch {
	case c.v2 && h.Kind == Request && isList:
		o.req2L = jsonRequest2List{Version: "2.0", Method: m, Params: params, ID: h.Seq}
		frame = &o.req2L
	case c.v2 && h.Kind == Request:
		o.req2 = jsonRequest2{Version: "2.0", Method: m, Params: [1]any{v}, ID: h.Seq}
		frame = &o.req2
	case c.v2 && isList:
		o.not2L = jsonNotification2List{Version: "2.0", Method: m, Params: params}
		frame = &o.not2L
	case c.v2:
		o.not2 = jsonNotification2{Version: "2.0", Method: m, Params: [1]any{v}}
		frame = &o.not2
	case h.Kind == Request && isList:
		o.req1L = jsonRequest1List{Method: m, Params: params, ID: h.Seq}
		frame = &o.req1L
	case h.Kind == Request:
		o.req1 = jsonRequest1{Method: m, Params: [1]any{v}, ID: h.Seq}
		frame = &o.req1
	case isList:
		o.not1L = jsonNotification1List{Method: m, Params: params}
		frame = &o.not1L
	default:
		o.not1 = jsonNotification1{Method: m, Params: [1]any{v}}
		frame = &o.not1
	}
	err = c.enc.Encode(frame)
	*o = jsonFrames{} // drop the references to the caller's values
	return c.fw.unlock(mark, err)
}

// writeResponse answers the incoming request h.Seq with its original id; a
// result that cannot be encoded is answered with an error instead. A
// request the codec rejected is answered with the error it chose.
func (c *jsonConn) writeResponse(h *Header, v any) error {
	c.mu.Lock()
	call, ok := c.pending[h.Seq]
	delete(c.pending, h.Seq)
	if ok && call.key != (jsonIDKey{}) && c.byID[call.key] == h.Seq {
		delete(c.byID, call.key)
	}
	c.mu.Unlock()
	if !ok {
		return fmt.Errorf("codec: response to unknown request %d", h.Seq)
	}
	errText, code := h.Error, h.Code
	if call.msg != "" {
		errText, code = call.msg, call.code
	}
	if call.batch != nil {
		return c.answerInBatch(&call, errText, code, v)
	}
	mark, err := c.fw.lock()
	if err != nil {
		return err
	}
	if err = c.enc.Encode(c.responseFrame(&c.out, &call, errText, code, v)); err != nil && errText == "" {
		c.fw.buf = c.fw.buf[:mark]
		err = c.enc.Encode(c.responseFrame(&c.out, &call, "codec: encoding result: "+err.Error(), 0, nil))
	}
	c.out = jsonFrames{}
	return c.fw.unlock(mark, err)
}

// answerInBatch adds the response to its batch, and writes the batch once
// every request in it is answered. The answers to rejected elements lead,
// as the batch's other answers cannot be known before they are all read.
func (c *jsonConn) answerInBatch(call *jsonCall, errText string, code int, v any) error {
	var o jsonFrames
	part, err := json.Marshal(c.responseFrame(&o, call, errText, code, v))
	if err != nil {
		part, _ = json.Marshal(c.responseFrame(&o, call, "codec: encoding result: "+err.Error(), 0, nil))
	}
	b := call.batch
	c.mu.Lock()
	if call.msg != "" {
		b.errs = append(b.errs, part)
	} else {
		b.parts = append(b.parts, part)
	}
	b.waiting--
	done := b.waiting == 0
	c.mu.Unlock()
	if done {
		return c.writeBatch(b)
	}
	return nil
}

// responseFrame fills the response frame for call in o and returns it. An
// error is sent with code, or when code is zero with the one its text and
// call point to.
func (c *jsonConn) responseFrame(o *jsonFrames, call *jsonCall, errText string, code int, v any) any {
	id := call.id
	if !c.v2 {
		o.resp1 = jsonResponse1{ID: id, Result: v}
		if errText != "" {
			o.resp1 = jsonResponse1{ID: id, Error: errText}
		}
		return &o.resp1
	}
	if errText == "" {
		o.res2 = jsonResult2{Version: "2.0", ID: id, Result: v}
		return &o.res2
	}
	if code == 0 {
		code = CodeServerError
		switch {
		case call.badParams:
			code = codeInvalidParams
		case strings.HasPrefix(errText, "rpc: can't find "), strings.HasPrefix(errText, "rpc: service/method request ill-formed"):
			code = codeMethodNotFound
		}
	}
	o.err2 = jsonError2{Version: "2.0", ID: id, Error: jsonErrorObject{Code: code, Message: errText}}
	return &o.err2
}

// writeBatch writes a batch's responses as one array.
func (c *jsonConn) writeBatch(b *jsonBatch) error {
	c.mu.Lock()
	parts := append(b.errs, b.parts...)
	b.errs, b.parts = nil, nil
	c.mu.Unlock()
	mark, err := c.fw.lock()
	if err != nil {
		return err
	}
	c.fw.buf = append(c.fw.buf, '[')
	for i, p := range parts {
		if i > 0 {
			c.fw.buf = append(c.fw.buf, ',')
		}
		c.fw.buf = append(c.fw.buf, p...)
	}
	c.fw.buf = append(c.fw.buf, ']', '\n')
	return c.fw.unlock(mark, nil)
}
