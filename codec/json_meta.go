package codec

import (
	"bytes"
	"encoding/json"
	"sort"
	"strconv"
)

// What travels beside a JSON-RPC call (docs/wire.md §12): its metadata and
// progress token, the cancel of a request and the progress of one.
//
// Metadata and the token go where MCP puts them, in params._meta, when the
// params are an object; otherwise in a "_meta" member of the message
// itself, beside "params", which JSON-RPC peers that do not know it
// ignore as they ignore any member they do not know:
//
//	{"jsonrpc":"2.0","method":"tools/call","params":{"_meta":{"progressToken":3,"traceparent":"00-…"},"name":"echo"},"id":3}
//	{"jsonrpc":"2.0","method":"Arith.Multiply","params":[{"A":7,"B":8}],"_meta":{"traceparent":"00-…"},"id":4}
//
// A dialect with a RequestToken (LSP's workDoneToken) puts the token in
// that member of object params instead.

// jsonMeta is a call's metadata and token as a "_meta" object. Its keys
// are written sorted, the token first, so that the bytes are the same
// every time.
type jsonMeta struct {
	token, stream ID
	meta          map[string]string
}

// newJSONMeta returns the "_meta" to write for h, or nil when h has none.
// withToken and withStream say whether the progress and the stream token
// go in it.
func newJSONMeta(h *Header, withToken, withStream bool) *jsonMeta {
	hasToken := withToken && !h.Token.IsZero()
	hasStream := withStream && !h.Stream.IsZero()
	if len(h.Meta) == 0 && !hasToken && !hasStream {
		return nil
	}
	m := &jsonMeta{meta: h.Meta}
	if hasToken {
		m.token = h.Token
	}
	if hasStream {
		m.stream = h.Stream
	}
	return m
}

// MarshalJSON writes the object; it never fails.
func (m *jsonMeta) MarshalJSON() ([]byte, error) { return m.appendJSON(nil), nil }

func (m *jsonMeta) appendJSON(b []byte) []byte {
	b = append(b, '{')
	first := true
	if !m.token.IsZero() {
		b = append(b, `"`+metaToken+`":`...)
		b = m.token.AppendJSON(b)
		first = false
	}
	if !m.stream.IsZero() {
		if !first {
			b = append(b, ',')
		}
		b = append(b, `"`+metaStream+`":`...)
		b = m.stream.AppendJSON(b)
		first = false
	}
	keys := make([]string, 0, len(m.meta))
	for k := range m.meta {
		if k != metaToken && k != metaStream {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	for _, k := range keys {
		if !first {
			b = append(b, ',')
		}
		first = false
		b = appendJSONString(b, k)
		b = append(b, ':')
		b = appendJSONString(b, m.meta[k])
	}
	return append(b, '}')
}

// appendJSONString appends s as a JSON string, escaped as encoding/json
// escapes it.
func appendJSONString(b []byte, s string) []byte {
	q, _ := json.Marshal(s) // a string always encodes
	return append(b, q...)
}

// readMeta fills h.Meta and h.Token from the message m: its params._meta,
// the dialect's RequestToken member of its params, and a "_meta" member of
// the message itself. The params are looked into only when they hold the
// member's name, so that a large body is not walked for nothing.
func (c *jsonConn) readMeta(h *Header, m *jsonMembers) {
	if len(m.meta) > 0 && m.meta[0] == '{' {
		readMetaObject(h, m.meta)
	}
	p := m.params
	if len(p) == 0 || p[0] != '{' {
		return
	}
	if bytes.Contains(p, []byte(`"_meta"`)) {
		if meta := objectMember(p, "_meta"); len(meta) > 0 && meta[0] == '{' {
			readMetaObject(h, meta)
		}
	}
	if key := c.dialect.RequestToken; key != "" && bytes.Contains(p, []byte(key)) {
		if id, ok := jsonID(objectMember(p, key)); ok && !id.IsZero() {
			h.Token = id
		}
	}
	if key := c.dialect.StreamToken; key != "" && bytes.Contains(p, []byte(key)) {
		if id, ok := jsonID(objectMember(p, key)); ok && !id.IsZero() {
			h.Stream = id
		}
	}
}

// readMetaObject adds the members of a "_meta" object to h: the progress
// token as h.Token, a string as it is, and any other value as its JSON
// text.
func readMetaObject(h *Header, obj []byte) {
	eachMember(obj, func(k, v []byte) {
		switch string(k) {
		case metaToken, metaStream:
			if id, ok := jsonID(v); ok && !id.IsZero() {
				if string(k) == metaToken {
					h.Token = id
				} else {
					h.Stream = id
				}
			}
			return
		}
		if h.Meta == nil {
			h.Meta = make(map[string]string)
		}
		if s, ok := jsonUnquote(v); ok {
			h.Meta[string(k)] = string(s)
		} else {
			h.Meta[string(k)] = string(v)
		}
	})
}

// paramsObject returns the object that a cancel's or a progress message's
// params are: the params, or the one element of JSON-RPC 1.0's list.
func paramsObject(params []byte) []byte {
	if len(params) > 0 && params[0] == '[' {
		n, first := jsonArrayFirst(params)
		if n != 1 {
			return nil
		}
		params = first
	}
	if len(params) == 0 || params[0] != '{' {
		return nil
	}
	return params
}

// cancelTarget reads the params of a cancel: {idKey: N}, or that object
// as the one element of a list, N a string or a number. ok is false for
// any other params: the message is then an ordinary notification, which a
// peer drops as an unknown method.
func cancelTarget(params []byte, idKey string) (k jsonIDKey, ok bool) {
	obj := paramsObject(params)
	if obj == nil {
		return k, false
	}
	return jsonIDKeyOf(objectMember(obj, idKey))
}

// cancelReason reads the reason a cancel's params give, or "".
func cancelReason(params []byte, reasonKey string) string {
	if reasonKey == "" {
		return ""
	}
	r, ok := jsonUnquote(objectMember(paramsObject(params), reasonKey))
	if !ok {
		return ""
	}
	return string(r)
}

// progressTarget reads the token of a progress message's params.
func progressTarget(params []byte, tokenKey string) (ID, bool) {
	obj := paramsObject(params)
	if obj == nil {
		return ID{}, false
	}
	id, ok := jsonID(objectMember(obj, tokenKey))
	return id, ok && !id.IsZero()
}

// progressValueOf returns the value of a progress message's params: the
// member valueKey, or, when valueKey is "", the params object without its
// tokenKey member (MCP's {progressToken, progress, total, message} is the
// value {progress, total, message}).
func progressValueOf(params []byte, valueKey, tokenKey string) []byte {
	obj := paramsObject(params)
	if obj == nil {
		return nil
	}
	if valueKey != "" {
		return objectMember(obj, valueKey)
	}
	rest := make([]byte, 0, len(obj))
	rest = append(rest, '{')
	eachMember(obj, func(k, v []byte) {
		if string(k) == tokenKey {
			return
		}
		if len(rest) > 1 {
			rest = append(rest, ',')
		}
		rest = append(appendJSONString(rest, string(k)), ':')
		rest = append(rest, v...)
	})
	return append(rest, '}')
}

// creditParams reads the params of a credit, {"token": T, "credit": N}.
func creditParams(params []byte) (token ID, credit uint64, ok bool) {
	obj := paramsObject(params)
	if obj == nil {
		return ID{}, 0, false
	}
	token, ok = jsonID(objectMember(obj, "token"))
	n := objectMember(obj, "credit")
	if !ok || token.IsZero() || len(n) == 0 || n[0] < '0' || n[0] > '9' {
		return ID{}, 0, false
	}
	credit, ok = parseDigits(n)
	return token, credit, ok
}

// encodeCredit grants the stream h.Token room for h.Seq more items, with
// the dialect's credit notification.
func (c *jsonConn) encodeCredit(h *Header) {
	b := c.notificationHead(c.fw.buf, c.dialect.CreditMethod)
	b = h.Token.AppendJSON(append(b, `{"token":`...))
	b = strconv.AppendUint(append(b, `,"credit":`...), h.Seq, 10)
	c.fw.buf = c.notificationTail(append(b, '}'))
}
