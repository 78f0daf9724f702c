package codec

import (
	"encoding/binary"
	"encoding/json"
	"fmt"
	"math"
	"sort"
	"strconv"
)

// What travels beside a msgpack-rpc call (docs/wire.md §12). msgpack-rpc
// messages are arrays of a fixed size, and Neovim refuses a request of any
// other size, so there is no room in a message for its metadata. It
// travels instead in a notification of its own, written with the message
// in the same write, just before it:
//
//	[2, "$/meta", [{"progressToken": 3, "traceparent": "00-…"}]]
//	[0, 3, "Worker.Work", ["job"]]
//
// A reader of this package takes a "$/meta" as belonging to the request or
// notification that comes next; any other frame in between drops it. An
// end that does not know it sees a notification for a method it lacks,
// and drops it: pynvim logs it, Neovim answers it with an nvim_error_event
// notification, and ugorji's MsgpackSpecRpc server closes the connection,
// as it does on any notification.

// mpMapLen reads a map header at b[off:]; ok is false if the value there is
// not a map.
func mpMapLen(b []byte, off int) (n, next int, ok bool) {
	if off >= len(b) {
		return 0, off, false
	}
	switch c := b[off]; {
	case c >= 0x80 && c <= 0x8f:
		return int(c & 0x0f), off + 1, true
	case c == 0xde && off+3 <= len(b):
		return int(binary.BigEndian.Uint16(b[off+1:])), off + 3, true
	case c == 0xdf && off+5 <= len(b):
		return int(binary.BigEndian.Uint32(b[off+1:])), off + 5, true
	}
	return 0, off, false
}

func appendMpMapHeader(b []byte, n int) []byte {
	switch {
	case n <= 15:
		return append(b, 0x80|byte(n))
	case n <= 0xffff:
		return append(b, 0xde, byte(n>>8), byte(n))
	}
	return append(b, 0xdf, byte(n>>24), byte(n>>16), byte(n>>8), byte(n))
}

// mpEachEntry calls fn with the key (a string; entries with other keys are
// skipped) and the value of each entry of the map m, one whole value that
// scanMsgpack accepted. It reports false if m is not a map.
func mpEachEntry(m []byte, fn func(key, value []byte)) bool {
	n, off, ok := mpMapLen(m, 0)
	if !ok {
		return false
	}
	for range n {
		key, next, isString := mpStringBytes(m, off)
		if !isString {
			next, _ = mpSkip(m, off)
		}
		end, err := mpSkip(m, next)
		if err != nil {
			return false
		}
		if isString {
			fn(key, m[next:end])
		}
		off = end
	}
	return true
}

// mpEntry returns the value of the entry key of the map m, or nil.
func mpEntry(m []byte, key string) []byte {
	var found []byte
	mpEachEntry(m, func(k, v []byte) {
		if string(k) == key {
			found = v
		}
	})
	return found
}

// mpOneParam returns the one element of a params array, or nil when the
// params are not an array of one.
func mpOneParam(params []byte) []byte {
	n, off, ok := mpArrayLen(params, 0)
	if !ok || n != 1 {
		return nil
	}
	end, err := mpSkip(params, off)
	if err != nil {
		return nil
	}
	return params[off:end]
}

// mpID reads an id or token: an integer or a string. ok is false for
// anything else.
func mpID(b []byte) (ID, bool) {
	if n, _, ok := mpUint(b, 0); ok {
		return NumberID(n), true
	}
	if s, _, ok := mpStringBytes(b, 0); ok {
		return StringID(string(s)), true
	}
	if v, ok := mpNegative(b); ok {
		return ID{text: strconv.FormatInt(v, 10), kind: idNumber}, true
	}
	return ID{}, false
}

// mpNegative reads a negative integer of any msgpack int format.
func mpNegative(b []byte) (int64, bool) {
	if len(b) == 0 {
		return 0, false
	}
	var v int64
	switch c := b[0]; {
	case c >= 0xe0:
		v = int64(int8(c))
	case c == 0xd0 && len(b) >= 2:
		v = int64(int8(b[1]))
	case c == 0xd1 && len(b) >= 3:
		v = int64(int16(binary.BigEndian.Uint16(b[1:])))
	case c == 0xd2 && len(b) >= 5:
		v = int64(int32(binary.BigEndian.Uint32(b[1:])))
	case c == 0xd3 && len(b) >= 9:
		v = int64(binary.BigEndian.Uint64(b[1:]))
	default:
		return 0, false
	}
	return v, v < 0
}

// readMetaFrame reads the params of a "$/meta" notification into h: the
// progress token as h.Token, string values as they are, and others as
// their JSON text. ok is false when the params are not [map].
func (c *msgpackConn) readMetaFrame(params []byte, h *Header) bool {
	m := mpOneParam(params)
	return m != nil && mpEachEntry(m, func(k, v []byte) {
		switch string(k) {
		case metaToken, metaStream:
			if id, ok := mpID(v); ok {
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
		if s, _, ok := mpStringBytes(v, 0); ok {
			h.Meta[string(k)] = string(s)
			return
		}
		var x any
		if c.charge(v, nil) == nil && c.eng.decode(v, &x) == nil {
			if j, err := json.Marshal(x); err == nil {
				h.Meta[string(k)] = string(j)
			}
		}
	})
}

// appendMetaFrame appends the "$/meta" notification for h, or nothing when
// h has neither metadata nor a token.
func appendMetaFrame(b []byte, h *Header) []byte {
	if len(h.Meta) == 0 && h.Token.IsZero() && h.Stream.IsZero() {
		return b
	}
	keys := make([]string, 0, len(h.Meta))
	for k := range h.Meta {
		if k != metaToken && k != metaStream {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	n := len(keys)
	if !h.Token.IsZero() {
		n++
	}
	if !h.Stream.IsZero() {
		n++
	}
	b = appendMpString(append(b, 0x93, mpNotification), metaMethod)
	b = appendMpMapHeader(append(b, 0x91), n)
	if !h.Token.IsZero() {
		b = h.Token.appendMsgpack(appendMpString(b, metaToken))
	}
	if !h.Stream.IsZero() {
		b = h.Stream.appendMsgpack(appendMpString(b, metaStream))
	}
	for _, k := range keys {
		b = appendMpString(appendMpString(b, k), h.Meta[k])
	}
	return b
}

// cancelParams reads the params of the dialect's cancel: [msgid], or
// [{CancelID: msgid, …}].
func (c *msgpackConn) cancelParams(params []byte) (msgid uint64, ok bool) {
	if msgid, ok := mpCancelParams(params); ok {
		return msgid, true
	}
	m := mpOneParam(params)
	if m == nil {
		return 0, false
	}
	v := mpEntry(m, c.dialect.CancelID)
	msgid, end, ok := mpUint(v, 0)
	return msgid, ok && end == len(v)
}

// cancelReason reads the reason of a cancel of the [{…}] form, or "".
func (c *msgpackConn) cancelReason(params []byte) string {
	m := mpOneParam(params)
	if m == nil || c.dialect.CancelReason == "" {
		return ""
	}
	r, _, ok := mpStringBytes(mpEntry(m, c.dialect.CancelReason), 0)
	if !ok {
		return ""
	}
	return string(r)
}

// appendCancel appends the dialect's cancel of our request msgid: [msgid]
// where the dialect names the id "id" (this package's own form), else
// [{CancelID: msgid, CancelReason: reason}].
func (c *msgpackConn) appendCancel(b []byte, msgid uint64, reason string) []byte {
	d := c.dialect
	b = appendMpString(append(b, 0x93, mpNotification), d.CancelMethod)
	if d.CancelID == "id" {
		return appendMpUint(append(b, 0x91), msgid)
	}
	n := 1
	if d.CancelReason != "" && reason != "" {
		n = 2
	}
	b = appendMpMapHeader(append(b, 0x91), n)
	b = appendMpUint(appendMpString(b, d.CancelID), msgid)
	if n == 2 {
		b = appendMpString(appendMpString(b, d.CancelReason), reason)
	}
	return b
}

// progressToken reads the token of the dialect's progress notification,
// whose params are [{ProgressToken: T, …}].
func (c *msgpackConn) progressToken(params []byte) (ID, bool) {
	m := mpOneParam(params)
	if m == nil {
		return ID{}, false
	}
	raw := mpEntry(m, c.dialect.ProgressToken)
	if s, _, ok := mpStringBytes(raw, 0); ok && c.lastToken.IsString() && c.lastToken.text == string(s) {
		return c.lastToken, true // a stream's items all name one token: no string each
	}
	id, ok := mpID(raw)
	if id.IsString() {
		c.lastToken = id
	}
	return id, ok && !id.IsZero()
}

// progressValue returns the value of a progress notification's params:
// the dialect's ProgressValue entry, or the map itself less its token.
func (c *msgpackConn) progressValue(params []byte) []byte {
	m := mpOneParam(params)
	if m == nil {
		return nil
	}
	if c.dialect.ProgressValue != "" {
		return mpEntry(m, c.dialect.ProgressValue)
	}
	n := 0
	var entries []byte
	mpEachEntry(m, func(k, v []byte) {
		if string(k) != c.dialect.ProgressToken {
			n++
			entries = append(appendMpString(entries, string(k)), v...)
		}
	})
	return append(appendMpMapHeader(nil, n), entries...)
}

// writeProgress appends to c.fw.buf the dialect's progress notification for the token
// h.Token and value v: [{ProgressToken: T, ProgressValue: v}], or where the
// dialect's value is the params themselves, v's own entries after the
// token, for which v must encode as a map.
func (c *msgpackConn) writeProgress(h *Header, v any) error {
	d := c.dialect
	b := appendMpString(append(c.fw.buf, 0x93, mpNotification), d.ProgressMethod)
	b = append(b, 0x91)
	if d.ProgressValue != "" {
		b = appendMpMapHeader(b, 2)
		b = h.Token.appendMsgpack(appendMpString(b, d.ProgressToken))
		c.fw.buf = appendMpString(b, d.ProgressValue)
		return c.eng.encode(v)
	}
	at := len(b)
	c.fw.buf = b
	if err := c.eng.encode(v); err != nil {
		return err
	}
	enc := c.fw.buf[at:]
	n, off, ok := mpMapLen(enc, 0)
	if !ok {
		return fmt.Errorf("the value must encode as a msgpack map, not %s", mpWhat(enc))
	}
	entries := append([]byte(nil), enc[off:]...)
	b = appendMpMapHeader(c.fw.buf[:at], n+1)
	b = h.Token.appendMsgpack(appendMpString(b, d.ProgressToken))
	c.fw.buf = append(b, entries...)
	return nil
}

// mpErrorValue reads the error element of a response as a foreign peer may
// fill it: [code, message], [code, message, data] (Neovim's [type,
// message] among them), or a map with "code", "message" and "data". ok is
// false for anything else, which is then rendered as text.
func mpErrorValue(raw []byte) (code int, msg string, data []byte, ok bool) {
	if n, off, isArray := mpArrayLen(raw, 0); isArray && (n == 2 || n == 3) {
		codeEnd, err := mpSkip(raw, off)
		if err != nil {
			return 0, "", nil, false
		}
		code, ok = mpInt(raw[off:codeEnd])
		s, next, isString := mpStringBytes(raw, codeEnd)
		if !ok || !isString {
			return 0, "", nil, false
		}
		if n == 3 {
			end, err := mpSkip(raw, next)
			if err != nil {
				return 0, "", nil, false
			}
			if raw[next] != 0xc0 {
				data = raw[next:end]
			}
		}
		return code, string(s), data, true
	}
	var codeRaw, msgRaw []byte
	if !mpEachEntry(raw, func(k, v []byte) {
		switch string(k) {
		case "code":
			codeRaw = v
		case "message":
			msgRaw = v
		case "data":
			if len(v) > 0 && v[0] != 0xc0 {
				data = v
			}
		}
	}) {
		return 0, "", nil, false
	}
	s, _, isString := mpStringBytes(msgRaw, 0)
	code, ok = mpInt(codeRaw)
	if !ok || !isString {
		return 0, "", nil, false
	}
	return code, string(s), data, true
}

// mpInt reads an integer that fits an int32, as error codes do.
func mpInt(b []byte) (int, bool) {
	if n, _, ok := mpUint(b, 0); ok {
		return int(n), n <= math.MaxInt32
	}
	if v, ok := mpNegative(b); ok {
		return int(v), v >= math.MinInt32
	}
	return 0, false
}

// appendMpError appends a response's error element: the message alone, as
// a string, when there is no data and no code, or only a standard one
// (what every msgpack-rpc client prints); else [code, message], Neovim's
// shape, or [code, message, data].
func (c *msgpackConn) appendMpError(b []byte, h *Header) []byte {
	if (h.Code == 0 || h.StandardCode) && h.Data == nil {
		return appendMpString(b, h.Error)
	}
	n := 2
	if h.Data != nil {
		n = 3
	}
	b = appendMpArrayHeader(b, n)
	b = appendMpString(appendMpInt(b, int64(h.Code)), h.Error)
	if n == 3 {
		at := len(b)
		c.fw.buf = b
		if c.eng.encode(h.Data) != nil { // data that does not encode is left out
			b = append(c.fw.buf[:at], 0xc0)
		} else {
			b = c.fw.buf
		}
	}
	return b
}

// creditParams reads the params of a credit, [{"token": T, "credit": N}].
func (c *msgpackConn) creditParams(params []byte) (token ID, credit uint64, ok bool) {
	m := mpOneParam(params)
	if m == nil {
		return ID{}, 0, false
	}
	token, ok = mpID(mpEntry(m, "token"))
	if !ok || token.IsZero() {
		return ID{}, 0, false
	}
	credit, _, ok = mpUint(mpEntry(m, "credit"), 0)
	return token, credit, ok
}
