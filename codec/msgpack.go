package codec

import (
	"bytes"
	"fmt"
	"io"
	"reflect"
	"sync"
	"sync/atomic"
)

// msgpack-rpc message types, the first element of every message.
const (
	mpRequest      = 0
	mpResponse     = 1
	mpNotification = 2
)

// notifyBit marks the Seq the server adapter hands net/rpc for a
// notification, so that the response net/rpc writes for it is dropped.
// msgpack-rpc msgids are 32-bit and JSON ids are renumbered, so real
// requests never carry it.
const notifyBit = 1 << 63

type msgpackCodec struct {
	name   string
	engine func(*frameWriter) msgpackEngine
	// cost is what the engine allocates beyond the values it decodes.
	cost engineCost
}

func (c msgpackCodec) Name() string { return c.name }

func (c msgpackCodec) NewConn(rwc io.ReadWriteCloser, opts *Options) Conn {
	mc := &msgpackConn{rwc: rwc, name: c.name, dialect: opts.dialect()}
	mc.lenient = mc.dialect.LenientParams || opts != nil && opts.LenientParams
	mc.fr = newFrameReader(rwc, opts.maxFrameSize())
	mc.fw.w, mc.fw.framePerWrite = rwc, WritesMessages(rwc, opts)
	mc.eng = c.engine(&mc.fw)
	mc.budget.ratio, mc.cost = opts.decodeRatio(), c.cost
	return mc
}

// msgpackEngine encodes and decodes bodies; the framing is msgpackConn's.
type msgpackEngine interface {
	encode(v any) error           // append v to the frame writer
	decode(b []byte, v any) error // b is one whole msgpack value
}

// msgpackConn speaks msgpack-rpc:
//
//	[0, msgid, method, params]        request
//	[1, msgid, error, result]         response
//	[2, method, params]               notification
//	[2, "$/cancelRequest", [msgid]]   cancel (as the dialect spells it)
//	[2, "$/meta", [{…}]]              the metadata of the next message (msgpack_meta.go)
type msgpackConn struct {
	rwc    io.ReadWriteCloser
	fields typeMemo[[]paramField] // of decodeMap
	fr     *frameReader
	stack  []uint64
	eng    msgpackEngine
	fw     frameWriter

	// The frame just read: its body is params or result.
	body     []byte
	isParams bool
	readErr  error
	budget   decodeBudget
	cost     engineCost
	cursor   mpCursor // reused by the budget walk

	dialect   *Dialect
	lenient   bool   // by-name params are decoded as the engine does (params_fields.go)
	lastToken ID     // the last string token a progress frame named, reused by the next that names it
	meta      Header // a "$/meta" read, for the message after it: its Meta and Token
	hasMeta   bool
	name      string // the codec's, for errors
	started   bool   // the first byte has been checked
	methods   methodNames
	lastSeq   atomic.Uint64 // the latest request Seq written, to widen 32-bit msgids
	closeOnce sync.Once
	closeErr  error
}

func (c *msgpackConn) ReadHeader(h *Header) error {
	if c.readErr != nil {
		return c.readErr
	}
	if err := c.readHeader(h); err != nil {
		c.readErr = err
		return err
	}
	return nil
}

func (c *msgpackConn) readHeader(h *Header) error {
	if !c.started {
		if err := checkWire(c.fr.need, "msgpack-rpc", c.name); err != nil {
			return err
		}
		c.started = true
	}
	for {
		err := c.readFrame(h)
		if err != nil || h.Kind != 0 {
			return err
		}
		// A "$/meta": kept for the message after it.
	}
}

// readFrame reads one frame into h. It leaves h.Kind zero for a "$/meta",
// whose metadata it keeps for the next frame.
func (c *msgpackConn) readFrame(h *Header) error {
	n, stack, err := scanMsgpack(c.fr, c.stack)
	c.stack = stack
	if err != nil {
		return err
	}
	frame, _ := c.fr.need(n)
	c.fr.consume(n)
	c.budget.reset(n)
	*h = Header{}
	c.body, c.isParams = nil, false
	meta, hasMeta := c.meta, c.hasMeta
	c.meta, c.hasMeta = Header{}, false

	size, off, ok := mpArrayLen(frame, 0)
	if !ok || size < 3 {
		return fmt.Errorf("%w: msgpack-rpc message is not an array of 3 or 4", ErrMalformed)
	}
	typ, off, ok := mpUint(frame, off)
	if !ok {
		return fmt.Errorf("%w: msgpack-rpc message type is not an integer", ErrMalformed)
	}
	switch {
	case typ == mpRequest && size == 4:
		h.Kind = Request
		if h.Seq, off, ok = mpUint(frame, off); !ok || h.Seq > 0xffffffff {
			return fmt.Errorf("%w: msgpack-rpc request msgid is not a 32-bit unsigned integer", ErrMalformed)
		}
		h.ID = NumberID(h.Seq)
		if h.ServiceMethod, off, ok = c.method(frame, off); !ok {
			return fmt.Errorf("%w: msgpack-rpc request method is not a string", ErrMalformed)
		}
		c.body, c.isParams = frame[off:], true
		if hasMeta {
			h.Meta, h.Token, h.Stream = meta.Meta, meta.Token, meta.Stream
		}
	case typ == mpNotification && size == 3:
		h.Kind = Notification
		if h.ServiceMethod, off, ok = c.method(frame, off); !ok {
			return fmt.Errorf("%w: msgpack-rpc notification method is not a string", ErrMalformed)
		}
		c.body, c.isParams = frame[off:], true
		switch h.ServiceMethod {
		case c.dialect.CancelMethod:
			if msgid, ok := c.cancelParams(c.body); ok {
				*h = Header{Kind: Cancel, Seq: msgid, Error: c.cancelReason(c.body)}
				c.body = nil
				return nil
			}
		case c.dialect.CreditMethod:
			if token, n, ok := c.creditParams(c.body); ok && c.dialect.CreditMethod != "" {
				*h = Header{Kind: Credit, Token: token, Seq: n}
				c.body = nil
				return nil
			}
		case c.dialect.ProgressMethod:
			if token, ok := c.progressToken(c.body); ok {
				h.Kind, h.Token = Progress, token
				return nil
			}
		case metaMethod:
			if c.readMetaFrame(c.body, &c.meta) {
				c.hasMeta = true
				*h = Header{}
				c.body = nil
				return nil
			}
		}
		if hasMeta {
			h.Meta, h.Token, h.Stream = meta.Meta, meta.Token, meta.Stream
		}
	case typ == mpResponse && size == 4:
		h.Kind = Response
		var msgid uint64
		if msgid, off, ok = mpUint(frame, off); !ok {
			return fmt.Errorf("%w: msgpack-rpc response msgid is not a non-negative integer", ErrMalformed)
		}
		h.Seq = widenMsgid(msgid, c.lastSeq.Load())
		end, err := mpSkip(frame, off)
		if err != nil {
			return err
		}
		if frame[off] != 0xc0 { // not nil: the call failed
			c.readError(frame[off:end], h)
		}
		c.body = frame[end:]
	default:
		return fmt.Errorf("%w: msgpack-rpc message of type %d with %d elements", ErrMalformed, typ, size)
	}
	return nil
}

// mpCancelParams reads the params of a cancel, an array of one msgid. ok is
// false for any other params: the message is then an ordinary
// notification, which a peer drops as an unknown method.
func mpCancelParams(params []byte) (msgid uint64, ok bool) {
	n, off, ok := mpArrayLen(params, 0)
	if !ok || n != 1 {
		return 0, false
	}
	msgid, off, ok = mpUint(params, off)
	return msgid, ok && off == len(params)
}

// method reads a method name, reusing the string of a name seen before.
func (c *msgpackConn) method(b []byte, off int) (string, int, bool) {
	raw, next, ok := mpStringBytes(b, off)
	if !ok {
		return "", off, false
	}
	return c.methods.intern(raw), next, true
}

// widenMsgid recovers the 64-bit Seq of a response from its 32-bit msgid:
// the Seq at or below the latest one sent whose low 32 bits are msgid. Calls
// in flight are far fewer than 2^32, so the match is the call.
func widenMsgid(msgid, last uint64) uint64 {
	if msgid > 0xffffffff || last <= 0xffffffff {
		return msgid
	}
	seq := last&^0xffffffff | msgid
	if seq > last {
		seq -= 1 << 32
	}
	return seq
}

// readError reads the error element of a response, which foreign peers
// fill with any msgpack value: [code, message] and [code, message, data]
// (and a map with those keys) give h its Code, Error and Data; anything
// else becomes a readable message.
func (c *msgpackConn) readError(raw []byte, h *Header) {
	if code, msg, data, ok := mpErrorValue(raw); ok {
		h.Code, h.Error = code, msg
		if h.Error == "" {
			h.Error = fmt.Sprintf("msgpack-rpc: error code %d", code)
		}
		if data != nil {
			h.Data = Raw(bytes.Clone(data))
		}
		return
	}
	h.Error = c.errorText(raw)
}

// errorText turns the error element of a response, which foreign peers fill
// with any msgpack value, into a readable message.
func (c *msgpackConn) errorText(raw []byte) string {
	var v any
	if err := c.charge(raw, nil); err != nil {
		return fmt.Sprintf("msgpack-rpc error (%d bytes, not decoded: %v)", len(raw), err)
	}
	if err := c.eng.decode(raw, &v); err != nil {
		return fmt.Sprintf("msgpack-rpc error (undecodable: %v)", err)
	}
	return remoteErrorText(v)
}

func (c *msgpackConn) ReadBody(v any) error {
	body := c.body
	c.body = nil
	if v == nil || body == nil {
		return nil
	}
	if pv, ok := v.(*ProgressValue); ok {
		if v, body = pv.V, c.progressValue(body); v == nil || body == nil {
			return nil
		}
		if err := c.charge(body, targetType(v)); err != nil {
			return err
		}
		return c.eng.decode(body, v)
	}
	t := targetType(v)
	if !c.isParams {
		if err := c.charge(body, t); err != nil {
			return err
		}
		return c.eng.decode(body, v)
	}
	charged := body
	if n, off, ok := mpArrayLen(body, 0); ok && n == 1 {
		charged = body[off:] // the one param, which decodeParams tries first
	}
	if err := c.charge(charged, t); err != nil {
		return fmt.Errorf("%w: %w", ErrInvalidParams, err)
	}
	return c.decodeParams(v, body)
}

// decodeParams decodes a msgpack-rpc params array into the argument v: its
// one element when it has one, the whole array when v is a list or a
// struct, which then takes the params in order. A map (by-name params) is
// decoded into v as it is, checked (decodeMap).
func (c *msgpackConn) decodeParams(v any, params []byte) error {
	decode := c.eng.decode
	if len(params) == 0 || params[0] == 0xc0 {
		return c.noParams(v)
	}
	n, off, isArray := mpArrayLen(params, 0)
	var err error
	switch {
	case !isArray:
		return c.decodeMap(v, params)
	case n == 1:
		end, _ := mpSkip(params, off)
		if one := params[off:end]; structTarget(v) != nil && isMpMap(one) {
			return c.decodeMap(v, one)
		}
		// One param into v; a list argument given a single element that
		// is not itself that list ([5] into []int) takes the whole list.
		if err = decode(params[off:], v); err != nil && wantsListFromOne(v) && decode(params, v) == nil {
			err = nil
		}
	case n == 0 && !takesEmptyList(v):
		return c.noParams(v)
	case takesWholeList(v):
		err = decode(params, v)
	default:
		return fmt.Errorf("%w: got %d params, want 1 (%T)", ErrInvalidParams, n, v)
	}
	if err != nil {
		if isArray {
			if why := explainParams(v, mpElems(params, off, n), decode, mpDescribe); why != nil {
				return why
			}
		}
		return fmt.Errorf("%w: %v", ErrInvalidParams, err)
	}
	return nil
}

// noParams is the outcome of a request without params: the argument
// stays zero if it needs nothing, or the connection is lenient.
func (c *msgpackConn) noParams(v any) error {
	if c.lenient {
		return nil
	}
	return needsParams(v)
}

// decodeMap decodes by-name params, the map m, into v. Into a struct, a
// key is matched to a field as encoding/json matches it (the engines match
// exactly: a key that differs from its field's name only in case is
// rewritten in place, in the frame just read, to the field's name); a key
// no field takes fails the call unless the connection is lenient, and so
// does a value that does not fit its field, with an error that names it.
func (c *msgpackConn) decodeMap(v any, m []byte) error {
	t := structTarget(v)
	if t == nil {
		if err := c.eng.decode(m, v); err != nil {
			return fmt.Errorf("%w: %v", ErrInvalidParams, err)
		}
		return nil
	}
	fields := c.fields.get(t, paramFields)
	var why error
	mpEachEntry(m, func(k, _ []byte) {
		f := fieldFor(fields, k)
		switch {
		case why != nil:
		case f == nil && !c.lenient && string(k) != "_meta":
			why = unknownField(t, k)
		case f != nil && f.name != string(k) && len(f.name) == len(k):
			copy(k, f.name) // k is a slice of the frame: the engine then finds the field
		}
	})
	if why != nil {
		return why
	}
	err := c.eng.decode(m, v)
	if err == nil {
		return nil
	}
	mpEachEntry(m, func(k, val []byte) {
		if f := fieldFor(fields, k); why == nil && f != nil && c.eng.decode(val, reflect.New(f.typ).Interface()) != nil {
			why = fieldMismatch(t, f, mpDescribe(val))
		}
	})
	if why != nil {
		return why
	}
	return fmt.Errorf("%w: %v", ErrInvalidParams, err)
}

func isMpMap(b []byte) bool {
	_, _, ok := mpMapLen(b, 0)
	return ok
}

func (c *msgpackConn) Write(h *Header, v any) error {
	mark, err := c.fw.lock()
	if err != nil {
		return err
	}
	return c.fw.unlock(mark, c.encodeFrame(h, v))
}

// AppendFrame appends the frame h and v to dst, as Write writes it, and
// returns the extended buffer; on an encoding error nothing is appended.
// Calls are serialized by the caller, and never mixed with Write.
func (c *msgpackConn) AppendFrame(dst []byte, h *Header, v any) ([]byte, error) {
	mark := c.fw.begin(dst)
	return c.fw.end(mark, c.encodeFrame(h, v))
}

// encodeFrame appends the frame to c.fw.buf; the writer of the frame holds
// it.
func (c *msgpackConn) encodeFrame(h *Header, v any) error {
	b := c.fw.buf
	switch h.Kind {
	case Request:
		c.lastSeq.Store(h.Seq)
		b = append(appendMetaFrame(b, h), 0x94, mpRequest)
		b = appendMpUint(b, h.Seq&0xffffffff)
		b = appendMpString(b, h.ServiceMethod)
	case Notification:
		b = append(appendMetaFrame(b, h), 0x93, mpNotification)
		b = appendMpString(b, h.ServiceMethod)
	case Cancel:
		c.fw.buf = c.appendCancel(b, h.Seq&0xffffffff, h.Error)
		return nil
	case Progress:
		return c.writeProgress(h, v)
	case Credit:
		if c.dialect.CreditMethod == "" {
			return fmt.Errorf("codec: the %s dialect has no credit message", c.dialect.Name)
		}
		b = appendMpString(append(b, 0x93, mpNotification), c.dialect.CreditMethod)
		b = appendMpMapHeader(append(b, 0x91), 2)
		b = h.Token.appendMsgpack(appendMpString(b, "token"))
		c.fw.buf = appendMpUint(appendMpString(b, "credit"), h.Seq)
		return nil
	case Response:
		b = append(b, 0x94, mpResponse)
		b = appendMpUint(b, h.Seq)
		if h.Error != "" {
			c.fw.buf = append(c.appendMpError(b, h), 0xc0)
			return nil
		}
		c.fw.buf = append(b, 0xc0)
		if err := c.eng.encode(v); err != nil {
			// Answer with the reason instead of leaving the caller waiting.
			c.fw.buf = append(appendMpString(c.fw.buf[:len(b)], "codec: encoding result: "+err.Error()), 0xc0)
		}
		return nil
	default:
		return fmt.Errorf("codec: cannot write a frame of %v", h.Kind)
	}
	if p, ok := v.(Params); ok {
		c.fw.buf = appendMpArrayHeader(b, len(p))
		for _, e := range p {
			if err := c.eng.encode(e); err != nil {
				return err
			}
		}
		return nil
	}
	c.fw.buf = append(b, 0x91)
	return c.eng.encode(v)
}

// ReadAhead reports whether bytes of the next frame are already buffered.
// It is safe to call from any goroutine (see [Conn]).
func (c *msgpackConn) ReadAhead() bool { return c.fr.ahead.Load() }

func (c *msgpackConn) Close() error {
	c.closeOnce.Do(func() { c.closeErr = c.rwc.Close() })
	return c.closeErr
}
