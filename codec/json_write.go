package codec

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
)

// The frames this package writes. The 1.0 shapes are net/rpc/jsonrpc's,
// field for field, so the bytes are the same. A connection keeps one of
// each and fills it under its writer's lock, so writing allocates nothing.
type (
	jsonRequest1 struct {
		Method string    `json:"method"`
		Params [1]any    `json:"params"`
		Meta   *jsonMeta `json:"_meta,omitempty"`
		ID     uint64    `json:"id"`
	}
	jsonRequest1List struct {
		Method string    `json:"method"`
		Params []any     `json:"params"`
		Meta   *jsonMeta `json:"_meta,omitempty"`
		ID     uint64    `json:"id"`
	}
	jsonNotification1 struct {
		Method string    `json:"method"`
		Params [1]any    `json:"params"`
		Meta   *jsonMeta `json:"_meta,omitempty"`
		ID     *uint64   `json:"id"` // always null
	}
	jsonNotification1List struct {
		Method string    `json:"method"`
		Params []any     `json:"params"`
		Meta   *jsonMeta `json:"_meta,omitempty"`
		ID     *uint64   `json:"id"` // always null
	}
	jsonResponse1 struct {
		ID     json.RawMessage `json:"id"`
		Result any             `json:"result"`
		Error  any             `json:"error"`
	}
	jsonRequest2 struct {
		Version string    `json:"jsonrpc"`
		Method  string    `json:"method"`
		Params  [1]any    `json:"params"`
		Meta    *jsonMeta `json:"_meta,omitempty"`
		ID      uint64    `json:"id"`
	}
	jsonRequest2List struct {
		Version string    `json:"jsonrpc"`
		Method  string    `json:"method"`
		Params  []any     `json:"params"`
		Meta    *jsonMeta `json:"_meta,omitempty"`
		ID      uint64    `json:"id"`
	}
	jsonNotification2 struct {
		Version string    `json:"jsonrpc"`
		Method  string    `json:"method"`
		Params  [1]any    `json:"params"`
		Meta    *jsonMeta `json:"_meta,omitempty"`
	}
	jsonNotification2List struct {
		Version string    `json:"jsonrpc"`
		Method  string    `json:"method"`
		Params  []any     `json:"params"`
		Meta    *jsonMeta `json:"_meta,omitempty"`
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
		Data    any    `json:"data,omitempty"`
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
	call, err := c.answering(h)
	if err != nil {
		return err
	}
	mark, err := c.fw.lock()
	if err != nil {
		return err
	}
	return c.fw.unlock(mark, c.encodeFrame(mark, h, v, &call))
}

// AppendFrame appends the frame h and v to dst, as Write writes it, and
// returns the extended buffer; on an encoding error nothing is appended.
// Calls are serialized by the caller, and never mixed with Write.
func (c *jsonConn) AppendFrame(dst []byte, h *Header, v any) ([]byte, error) {
	call, err := c.answering(h)
	if err != nil {
		return dst, err
	}
	mark := c.fw.begin(dst)
	return c.fw.end(mark, c.encodeFrame(mark, h, v, &call))
}

// answering takes out, for a Response, the request it answers: the
// response of one the codec cannot match is refused before anything is
// written.
func (c *jsonConn) answering(h *Header) (jsonCall, error) {
	switch h.Kind {
	case Credit:
		if c.dialect.CreditMethod == "" {
			return jsonCall{}, fmt.Errorf("codec: the %s dialect has no credit message", c.dialect.Name)
		}
		return jsonCall{}, nil
	case Request, Notification, Cancel, Progress:
		return jsonCall{}, nil
	case Response:
		c.mu.Lock()
		call, ok := c.pending[h.Seq]
		delete(c.pending, h.Seq)
		if ok && call.key != (jsonIDKey{}) && c.byID[call.key] == h.Seq {
			delete(c.byID, call.key)
		}
		c.mu.Unlock()
		if !ok {
			return call, fmt.Errorf("codec: response to unknown request %d", h.Seq)
		}
		return call, nil
	}
	return jsonCall{}, fmt.Errorf("codec: cannot write a frame of %v", h.Kind)
}

// encodeFrame appends the frame to c.fw.buf, which it starts at mark; the
// writer of the frame holds it. call is the request a Response answers.
func (c *jsonConn) encodeFrame(mark int, h *Header, v any, call *jsonCall) error {
	switch h.Kind {
	case Request, Notification:
		if c.byName {
			return c.encodeCallByName(h, v)
		}
		return c.encodeCall(h, v)
	case Response:
		return c.encodeResponse(mark, h, v, call)
	case Cancel:
		c.encodeCancel(h.Seq, h.Error)
		return nil
	case Credit:
		c.encodeCredit(h)
		return nil
	}
	return c.encodeProgress(h, v)
}

// encodeCancel asks the other end to cancel our request seq, whose id was
// seq, with the dialect's cancel notification: by default LSP's
// {"jsonrpc":"2.0","method":"$/cancelRequest","params":{"id":N}}, and in
// JSON-RPC 1.0 the same as a notification whose params are a list.
func (c *jsonConn) encodeCancel(seq uint64, reason string) {
	d := c.dialect
	b := c.notificationHead(c.fw.buf, d.CancelMethod)
	b = appendJSONString(append(b, '{'), d.CancelID)
	b = strconv.AppendUint(append(b, ':'), seq, 10)
	if d.CancelReason != "" && reason != "" {
		b = appendJSONString(append(b, ','), d.CancelReason)
		b = appendJSONString(append(b, ':'), reason)
	}
	c.fw.buf = c.notificationTail(append(b, '}'))
}

// notificationHead appends a notification of method up to where its
// params object begins: {"jsonrpc":"2.0","method":M,"params": in 2.0, and
// {"method":M,"params":[ in 1.0, whose params are always a list.
func (c *jsonConn) notificationHead(b []byte, method string) []byte {
	if c.v2 {
		b = append(b, `{"jsonrpc":"2.0","method":`...)
	} else {
		b = append(b, `{"method":`...)
	}
	b = appendJSONString(b, method)
	if c.v2 {
		return append(b, `,"params":`...)
	}
	return append(b, `,"params":[`...)
}

// notificationTail ends what notificationHead began, after the params
// object.
func (c *jsonConn) notificationTail(b []byte) []byte {
	if c.v2 {
		return append(b, "}\n"...)
	}
	return append(b, `],"id":null}`+"\n"...)
}

// encodeProgress reports progress v on the request whose token h.Token is,
// with the dialect's progress notification: {token: T, value: v} by
// default and in LSP, and in MCP v's own members after the token,
// {"progressToken":T,"progress":1,"total":3}, for which v must encode as
// an object.
func (c *jsonConn) encodeProgress(h *Header, v any) error {
	var err error
	d := c.dialect
	b := c.notificationHead(c.fw.buf, d.ProgressMethod)
	b = appendJSONString(append(b, '{'), d.ProgressToken)
	c.fw.buf = h.Token.AppendJSON(append(b, ':'))
	if d.ProgressValue != "" {
		c.fw.buf = appendJSONString(append(c.fw.buf, ','), d.ProgressValue)
		c.fw.buf = append(c.fw.buf, ':')
		err = c.encodeInline(v)
		c.fw.buf = append(c.fw.buf, '}')
	} else {
		at := len(c.fw.buf)
		if err = c.encodeInline(v); err == nil {
			err = spliceMembers(&c.fw.buf, at)
		}
	}
	if err == nil {
		c.fw.buf = c.notificationTail(c.fw.buf)
	}
	return err
}

// spliceMembers turns buf, in which an object was just encoded at at
// after the open members of another object, into one object: the
// encoded object's members follow those before it. An encoding that is
// not an object fails.
func spliceMembers(buf *[]byte, at int) error {
	b := *buf
	if at >= len(b) || b[at] != '{' {
		return fmt.Errorf("the value must encode as a JSON object, not %s", jsonWhat(b[at:]))
	}
	if b[len(b)-1] == '}' && len(b)-at == 2 { // {}: nothing to add
		*buf = append(b[:at], '}')
		return nil
	}
	b[at] = ','
	*buf = b
	return nil
}

// encodeCall appends a request or notification whose argument is the one
// element of its params, or whose Params are the list.
func (c *jsonConn) encodeCall(h *Header, v any) error {
	o, m := &c.out, h.ServiceMethod
	meta := newJSONMeta(h, true, true)
	var frame any
	params, isList := v.(Params)
	switch {
	case c.v2 && h.Kind == Request && isList:
		o.req2L = jsonRequest2List{Version: "2.0", Method: m, Params: params, Meta: meta, ID: h.Seq}
		frame = &o.req2L
	case c.v2 && h.Kind == Request:
		o.req2 = jsonRequest2{Version: "2.0", Method: m, Params: [1]any{v}, Meta: meta, ID: h.Seq}
		frame = &o.req2
	case c.v2 && isList:
		o.not2L = jsonNotification2List{Version: "2.0", Method: m, Params: params, Meta: meta}
		frame = &o.not2L
	case c.v2:
		o.not2 = jsonNotification2{Version: "2.0", Method: m, Params: [1]any{v}, Meta: meta}
		frame = &o.not2
	case h.Kind == Request && isList:
		o.req1L = jsonRequest1List{Method: m, Params: params, Meta: meta, ID: h.Seq}
		frame = &o.req1L
	case h.Kind == Request:
		o.req1 = jsonRequest1{Method: m, Params: [1]any{v}, Meta: meta, ID: h.Seq}
		frame = &o.req1
	case isList:
		o.not1L = jsonNotification1List{Method: m, Params: params, Meta: meta}
		frame = &o.not1L
	default:
		o.not1 = jsonNotification1{Method: m, Params: [1]any{v}, Meta: meta}
		frame = &o.not1
	}
	err := c.enc.Encode(frame)
	*o = jsonFrames{} // drop the references to the caller's values
	return err
}

// encodeResponse answers the incoming request call with its original id;
// a result that cannot be encoded is answered with an error instead. A
// request the codec rejected is answered with the error it chose.
func (c *jsonConn) encodeResponse(mark int, h *Header, v any, call *jsonCall) error {
	errText, code := h.Error, h.Code
	if call.msg != "" {
		errText, code = call.msg, call.code
	}
	if call.batch != nil {
		return c.answerInBatch(call, errText, code, h.Data, v)
	}
	err := c.enc.Encode(c.responseFrame(&c.out, call, errText, code, h.Data, v))
	if err != nil {
		c.fw.buf = c.fw.buf[:mark]
		if errText == "" {
			err = c.enc.Encode(c.responseFrame(&c.out, call, "codec: encoding result: "+err.Error(), 0, nil, nil))
		} else { // the error's data did not encode: send the error without it
			err = c.enc.Encode(c.responseFrame(&c.out, call, errText, code, nil, nil))
		}
	}
	c.out = jsonFrames{}
	return err
}

// answerInBatch adds the response to its batch, and writes the batch once
// every request in it is answered. The answers to rejected elements lead,
// as the batch's other answers cannot be known before they are all read.
func (c *jsonConn) answerInBatch(call *jsonCall, errText string, code int, data, v any) error {
	var o jsonFrames
	part, err := json.Marshal(c.responseFrame(&o, call, errText, code, data, v))
	if err != nil {
		part, _ = json.Marshal(c.responseFrame(&o, call, "codec: encoding result: "+err.Error(), 0, nil, nil))
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
		c.appendBatch(b)
	}
	return nil
}

// responseFrame fills the response frame for call in o and returns it. An
// error is sent with code, or when code is zero with the one its text and
// call point to, and with data if it is not nil (2.0 only).
func (c *jsonConn) responseFrame(o *jsonFrames, call *jsonCall, errText string, code int, data, v any) any {
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
			code = CodeInvalidParams
		case strings.HasPrefix(errText, "rpc: can't find "), strings.HasPrefix(errText, "rpc: service/method request ill-formed"):
			code = CodeMethodNotFound
		}
	}
	o.err2 = jsonError2{Version: "2.0", ID: id, Error: jsonErrorObject{Code: code, Message: errText, Data: data}}
	return &o.err2
}

// appendBatch appends a batch's responses as one array.
func (c *jsonConn) appendBatch(b *jsonBatch) {
	c.mu.Lock()
	parts := append(b.errs, b.parts...)
	b.errs, b.parts = nil, nil
	c.mu.Unlock()
	c.fw.buf = append(c.fw.buf, '[')
	for i, p := range parts {
		if i > 0 {
			c.fw.buf = append(c.fw.buf, ',')
		}
		c.fw.buf = append(c.fw.buf, p...)
	}
	c.fw.buf = append(c.fw.buf, ']', '\n')
}
