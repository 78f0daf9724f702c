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
	codeInternalError  = -32603
	// CodeServerError is the JSON-RPC 2.0 error code of an error returned
	// by a handler (the spec's range for implementation-defined server
	// errors starts at -32000).
	CodeServerError = -32000
)

// The frames this package writes. The 1.0 shapes are net/rpc/jsonrpc's,
// field for field, so the bytes are the same.
type (
	jsonRequest1 struct {
		Method string `json:"method"`
		Params [1]any `json:"params"`
		ID     uint64 `json:"id"`
	}
	jsonNotification1 struct {
		Method string  `json:"method"`
		Params [1]any  `json:"params"`
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
		Params  any    `json:"params"`
		ID      uint64 `json:"id"`
	}
	jsonNotification2 struct {
		Version string `json:"jsonrpc"`
		Method  string `json:"method"`
		Params  any    `json:"params"`
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
	var frame any
	params, isList := v.(Params)
	switch {
	case c.v2 && h.Kind == Request && isList:
		frame = &jsonRequest2{Version: "2.0", Method: h.ServiceMethod, Params: []any(params), ID: h.Seq}
	case c.v2 && h.Kind == Request:
		frame = &jsonRequest2{Version: "2.0", Method: h.ServiceMethod, Params: [1]any{v}, ID: h.Seq}
	case c.v2 && isList:
		frame = &jsonNotification2{Version: "2.0", Method: h.ServiceMethod, Params: []any(params)}
	case c.v2:
		frame = &jsonNotification2{Version: "2.0", Method: h.ServiceMethod, Params: [1]any{v}}
	case h.Kind == Request:
		frame = &jsonRequest1{Method: h.ServiceMethod, Params: [1]any{v}, ID: h.Seq}
	default:
		frame = &jsonNotification1{Method: h.ServiceMethod, Params: [1]any{v}}
	}
	return c.writeFrame(frame)
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
	call := c.pending[h.Seq]
	delete(c.pending, h.Seq)
	c.mu.Unlock()
	if call == nil {
		return fmt.Errorf("codec: response to unknown request %d", h.Seq)
	}
	frame := c.responseFrame(call, h.Error, v)
	if call.batch == nil {
		mark, err := c.fw.lock()
		if err != nil {
			return err
		}
		if err = c.enc.Encode(frame); err != nil && h.Error == "" {
			c.fw.buf = c.fw.buf[:mark]
			err = c.enc.Encode(c.responseFrame(call, "codec: encoding result: "+err.Error(), nil))
		}
		return c.fw.unlock(mark, err)
	}
	part, err := json.Marshal(frame)
	if err != nil {
		part, _ = json.Marshal(c.responseFrame(call, "codec: encoding result: "+err.Error(), nil))
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

func (c *jsonConn) responseFrame(call *jsonCall, errText string, v any) any {
	id := call.id
	if !c.v2 {
		if errText != "" {
			return &jsonResponse1{ID: id, Error: errText}
		}
		return &jsonResponse1{ID: id, Result: v}
	}
	if errText == "" {
		return &jsonResult2{Version: "2.0", ID: id, Result: v}
	}
	code := CodeServerError
	switch {
	case call.badParams:
		code = codeInvalidParams
	case strings.HasPrefix(errText, "rpc: can't find "), strings.HasPrefix(errText, "rpc: service/method request ill-formed"):
		code = codeMethodNotFound
	}
	return &jsonError2{Version: "2.0", ID: id, Error: jsonErrorObject{Code: code, Message: errText}}
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
