package codec

import (
	"encoding/json"
	"fmt"
	"strings"
)

// JSON-RPC 2.0 error codes. Errors a handler returns are sent with
// CodeServerError: net/rpc hands the codec only their text.
const (
	codeParseError     = -32700
	codeInvalidRequest = -32600
	codeMethodNotFound = -32601
	codeInvalidParams  = -32602
	// CodeServerError is the JSON-RPC 2.0 error code of an error returned
	// by a handler (the spec's range for implementation-defined server
	// errors starts at -32000).
	CodeServerError = -32000
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
	}
	return fmt.Errorf("codec: cannot write a frame of %v", h.Kind)
}

func (c *jsonConn) writeCall(h *Header, v any) error {
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

func (c *jsonConn) writeFrame(frame any) error {
	mark, err := c.fw.lock()
	if err != nil {
		return err
	}
	return c.fw.unlock(mark, c.enc.Encode(frame))
}

// writeResponse answers the incoming request h.Seq with its original id; a
// result that cannot be encoded is answered with an error instead.
func (c *jsonConn) writeResponse(h *Header, v any) error {
	c.mu.Lock()
	call, ok := c.pending[h.Seq]
	delete(c.pending, h.Seq)
	c.mu.Unlock()
	if !ok {
		return fmt.Errorf("codec: response to unknown request %d", h.Seq)
	}
	if call.batch != nil {
		return c.answerInBatch(&call, h.Error, v)
	}
	mark, err := c.fw.lock()
	if err != nil {
		return err
	}
	if err = c.enc.Encode(c.responseFrame(&c.out, &call, h.Error, v)); err != nil && h.Error == "" {
		c.fw.buf = c.fw.buf[:mark]
		err = c.enc.Encode(c.responseFrame(&c.out, &call, "codec: encoding result: "+err.Error(), nil))
	}
	c.out = jsonFrames{}
	return c.fw.unlock(mark, err)
}

// answerInBatch adds the response to its batch, and writes the batch once
// every request in it is answered.
func (c *jsonConn) answerInBatch(call *jsonCall, errText string, v any) error {
	var o jsonFrames
	part, err := json.Marshal(c.responseFrame(&o, call, errText, v))
	if err != nil {
		part, _ = json.Marshal(c.responseFrame(&o, call, "codec: encoding result: "+err.Error(), nil))
	}
	c.mu.Lock()
	call.batch.parts = append(call.batch.parts, part)
	call.batch.waiting--
	done := call.batch.waiting == 0
	c.mu.Unlock()
	if done {
		return c.writeBatch(call.batch)
	}
	return nil
}

// responseFrame fills the response frame for call in o and returns it.
func (c *jsonConn) responseFrame(o *jsonFrames, call *jsonCall, errText string, v any) any {
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
	code := CodeServerError
	switch {
	case call.badParams:
		code = codeInvalidParams
	case strings.HasPrefix(errText, "rpc: can't find "), strings.HasPrefix(errText, "rpc: service/method request ill-formed"):
		code = codeMethodNotFound
	}
	o.err2 = jsonError2{Version: "2.0", ID: id, Error: jsonErrorObject{Code: code, Message: errText}}
	return &o.err2
}

// writeError answers a message that is not a valid request. In a batch the
// answer joins the batch's array.
func (c *jsonConn) writeError(id json.RawMessage, batch *jsonBatch, code int, msg string) error {
	if len(id) == 0 {
		id = jsonNull
	}
	frame := &jsonError2{Version: "2.0", ID: id, Error: jsonErrorObject{Code: code, Message: msg}}
	if batch == nil {
		return c.writeFrame(frame)
	}
	part, err := json.Marshal(frame)
	if err != nil {
		return err
	}
	c.mu.Lock()
	batch.parts = append(batch.parts, part)
	c.mu.Unlock()
	return nil
}

// writeBatch writes a batch's responses as one array.
func (c *jsonConn) writeBatch(b *jsonBatch) error {
	c.mu.Lock()
	parts := b.parts
	b.parts = nil
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
