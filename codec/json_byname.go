package codec

import "strconv"

// encodeCallByName writes a request or notification of a framed codec,
// whose params follow the convention of LSP and of vscode-jsonrpc's
// "auto" parameter structure, rather than the bare codecs' [arg]:
//
//   - an argument that encodes as a JSON object is the params itself, by
//     name: {"textDocument":{…},"position":{…}}, as every LSP method and
//     most JSON-RPC 2.0 servers want them;
//   - [Params] is the params list itself, as in every codec;
//   - nil, or anything that encodes as null, sends no params at all
//     (LSP's "shutdown", "exit");
//   - anything else, a number, a string, a list, is the one element of a
//     positional list: [arg].
//
// A peer of this package reads all of them into the same argument
// (docs/wire.md §6), so Go calls Go as over any codec. The bare JSON-RPC
// 2.0 codec writes its calls so too when Options.ParamsByName or the
// dialect asks it to.
func (c *jsonConn) encodeCallByName(h *Header, v any) error {
	mark := len(c.fw.buf)
	c.fw.buf = append(c.fw.buf, `{"jsonrpc":"2.0","method":`...)
	err := c.encodeInline(h.ServiceMethod)
	if err == nil && v != nil {
		err = c.appendParams(v)
	}
	if err == nil {
		c.appendCallMeta(h, mark)
	}
	if h.Kind == Request {
		c.fw.buf = strconv.AppendUint(append(c.fw.buf, `,"id":`...), h.Seq, 10)
	}
	c.fw.buf = append(c.fw.buf, '}', '\n')
	return err
}

// appendCallMeta adds h's metadata and progress token to the call just
// written from mark, whose params, if any, end the buffer: into the params
// when they are an object (params._meta, and the dialect's RequestToken),
// else as a "_meta" member of the message. Without either it adds nothing.
func (c *jsonConn) appendCallMeta(h *Header, mark int) {
	if len(h.Meta) == 0 && h.Token.IsZero() && h.Stream.IsZero() {
		return
	}
	at := c.paramsAt
	if at <= mark || c.fw.buf[at] != '{' { // no params, or a list
		if m := newJSONMeta(h, true, true); m != nil {
			c.fw.buf = m.appendJSON(append(c.fw.buf, `,"_meta":`...))
		}
		return
	}
	// Inserted after the params' '{': the members to add, then the
	// params' own, if they have any.
	tokenKey, streamKey := c.dialect.RequestToken, c.dialect.StreamToken
	var add []byte
	if tokenKey != "" && !h.Token.IsZero() {
		add = appendJSONString(add, tokenKey)
		add = h.Token.AppendJSON(append(add, ':'))
	}
	if streamKey != "" && !h.Stream.IsZero() {
		if len(add) > 0 {
			add = append(add, ',')
		}
		add = appendJSONString(add, streamKey)
		add = h.Stream.AppendJSON(append(add, ':'))
	}
	if m := newJSONMeta(h, tokenKey == "", streamKey == ""); m != nil {
		if len(add) > 0 {
			add = append(add, ',')
		}
		add = m.appendJSON(append(add, `"_meta":`...))
	}
	if c.fw.buf[at+1] != '}' {
		add = append(add, ',')
	}
	c.fw.buf = append(c.fw.buf, add...) // room, then shift the params right
	copy(c.fw.buf[at+1+len(add):], c.fw.buf[at+1:len(c.fw.buf)-len(add)])
	copy(c.fw.buf[at+1:], add)
}

// appendParams appends the params member for v, or nothing when v encodes
// as null. c.paramsAt is left where the params value begins, or 0.
func (c *jsonConn) appendParams(v any) error {
	const member = `,"params":`
	c.paramsAt = 0
	before := len(c.fw.buf)
	c.fw.buf = append(c.fw.buf, member...)
	at := len(c.fw.buf)
	if err := c.encodeInline(v); err != nil {
		return err
	}
	b := c.fw.buf
	_, isList := v.(Params)
	switch {
	case b[at] == 'n': // null
		c.fw.buf = b[:before]
		return nil
	case b[at] != '{' && !isList: // wrap it: [arg]
		b = append(b, 0)
		copy(b[at+1:], b[at:len(b)-1])
		b[at] = '['
		c.fw.buf = append(b, ']')
	}
	c.paramsAt = at
	return nil
}

// encodeInline appends v's JSON with the encoder, without the newline the
// encoder ends it with.
func (c *jsonConn) encodeInline(v any) error {
	if err := c.enc.Encode(v); err != nil {
		return err
	}
	c.fw.buf = c.fw.buf[:len(c.fw.buf)-1]
	return nil
}
