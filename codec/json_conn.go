package codec

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"reflect"
	"sync"
	"sync/atomic"
)

// jsonCodec is JSON-RPC; with a framing, 2.0 in frames of that framing
// (json_framing.go).
type jsonCodec struct {
	v2      bool
	framing jsonFraming // nil: bare JSON values, one after another
}

func (c jsonCodec) Name() string {
	if c.framing != nil {
		return c.framing.name()
	}
	if c.v2 {
		return "jsonrpc2"
	}
	return "jsonrpc"
}

func (c jsonCodec) NewConn(rwc io.ReadWriteCloser, opts *Options) Conn {
	jc := &jsonConn{v2: c.v2, rwc: rwc, framing: c.framing, dialect: opts.dialect()}
	jc.byName = c.v2 && (c.framing != nil || jc.dialect.ParamsByName || opts != nil && opts.ParamsByName)
	jc.lenient = jc.dialect.LenientParams || opts != nil && opts.LenientParams
	jc.fr = newFrameReader(rwc, opts.maxFrameSize())
	jc.fw.w, jc.fw.framePerWrite = rwc, WritesMessages(rwc, opts)
	if c.framing != nil {
		jc.fw.seal = c.framing.seal
	}
	jc.enc = json.NewEncoder(&jc.fw)
	jc.budget.ratio = opts.decodeRatio()
	return jc
}

// jsonConn speaks JSON-RPC 1.0 (as net/rpc/jsonrpc does) or 2.0. A frame
// with a "method" is a request, or a notification when it has no id (2.0)
// or a null id (1.0); any other frame is a response. The ids of incoming
// requests, of any JSON type, are renumbered to Seqs and written back
// verbatim in the responses; outgoing requests use their Seq as the id.
type jsonConn struct {
	v2      bool
	framing jsonFraming // nil for the bare codecs
	dialect *Dialect
	byName  bool                   // an argument that encodes as an object is the params (json_byname.go)
	lenient bool                   // by-name params are decoded as encoding/json does (params_fields.go)
	fields  typeMemo[[]paramField] // of the by-name params decoded
	rwc     io.ReadWriteCloser
	fr      *frameReader

	started bool // the first byte has been checked

	queue     []jsonIn    // messages of a batch not yet handed out
	qbuf      []jsonIn    // queue's array, reused for the next frame
	batchLeft atomic.Bool // queue is not empty, for ReadAhead
	cur       jsonIn      // the message whose body ReadBody reads
	readErr   error
	budget    decodeBudget // of the frame whose messages are queued
	cursor    jsonCursor   // reused by the budget walk

	fw       frameWriter
	enc      *json.Encoder
	out      jsonFrames // reused under fw's lock
	paramsAt int        // where the params of the call being written begin, under fw's lock

	mu      sync.Mutex
	nextSeq uint64
	pending map[uint64]jsonCall  // incoming requests awaiting our response
	byID    map[jsonIDKey]uint64 // pending's Seqs by id, to find what a cancel names
	methods methodNames          // read loop only

	closeOnce sync.Once
	closeErr  error
}

// keepBatchQueue is the largest queue of messages kept for the next frame.
const keepBatchQueue = 64

// batchElemCost is what each message of a JSON-RPC 2.0 batch costs to hold
// until it is answered, charged to the frame's decode budget: its place in
// the queue, its pending entry and id, and its share of the answer array.
// Measured in TestDecodeBudgetBatch.
const batchElemCost = 512

// jsonIn is one message read, waiting to be handed out.
type jsonIn struct {
	h    Header
	body json.RawMessage // params or result
}

// jsonCall is an incoming request awaiting our response.
type jsonCall struct {
	id        json.RawMessage
	batch     *jsonBatch
	key       jsonIDKey // its key in byID; the zero key when it is not there
	badParams bool
	// msg, when set, is why the codec rejected the message, and code the
	// error code it answers with, whatever the user's Response says.
	msg  string
	code int
}

// jsonBatch gathers the responses to one JSON-RPC 2.0 batch, which go back
// as one array once every request in it is answered.
type jsonBatch struct {
	waiting int
	errs    [][]byte // the answers to rejected elements, which lead the array
	parts   [][]byte
}

func (c *jsonConn) ReadHeader(h *Header) error {
	for len(c.queue) == 0 {
		if c.readErr != nil {
			return c.readErr
		}
		if err := c.readFrame(); err != nil {
			c.readErr = err
			return err
		}
	}
	c.cur = c.queue[0]
	c.queue[0] = jsonIn{}
	c.queue = c.queue[1:]
	if len(c.queue) == 0 {
		c.queue = c.queue[:0:0] // readFrame starts again from qbuf
	}
	c.batchLeft.Store(len(c.queue) > 0)
	*h = c.cur.h
	return nil
}

// ReadAhead reports whether messages after the one just read are already
// buffered: the rest of a batch, or bytes of the next frame. It is safe
// to call from any goroutine (see [Conn]).
func (c *jsonConn) ReadAhead() bool { return c.batchLeft.Load() || c.fr.ahead.Load() }

// readFrame reads one frame and queues the messages in it. Bytes that are
// not a JSON-RPC message are rejected in 2.0 (see reject) and end the
// connection in 1.0, as net/rpc/jsonrpc does. A frame may queue nothing: a
// cancel that names no pending request, a response we cannot match.
func (c *jsonConn) readFrame() error {
	if cap(c.qbuf) > 0 && cap(c.qbuf) <= keepBatchQueue {
		c.queue = c.qbuf[:0]
	} else {
		c.queue, c.qbuf = nil, nil
	}
	defer func() { c.qbuf = c.queue }()
	if !c.started {
		if err := c.checkFirst(); err != nil {
			return err
		}
	}
	frame, err := c.nextFrame()
	if err != nil || frame == nil {
		return err
	}
	c.budget.reset(len(frame))
	if frame[0] != '[' {
		in, ok, err := c.parse(frame, nil)
		if ok {
			c.queue = append(c.queue, in)
		}
		return err
	}
	if !c.v2 {
		return fmt.Errorf("%w: JSON-RPC 1.0 has no batches", ErrMalformed)
	}
	if !json.Valid(frame) {
		var v any
		err := json.Unmarshal(frame, &v)
		c.queue = append(c.queue, c.reject(nil, nil, CodeParseError, "Parse error: "+err.Error()))
		return nil
	}
	n := jsonEach(frame, nil)
	if n == 0 { // answered with one error object, not an array
		c.queue = append(c.queue, c.reject(nil, nil, CodeInvalidRequest, "Invalid Request: empty batch"))
		return nil
	}
	if err := c.budget.spend(int64(n)*batchElemCost, 100); err != nil {
		c.queue = append(c.queue, c.reject(nil, nil, CodeInvalidRequest, fmt.Sprintf("Invalid Request: a batch of %d messages in %d bytes: %v", n, len(frame), err)))
		return nil
	}
	elems := jsonElems(frame)
	batch := &jsonBatch{}
	for _, e := range elems {
		in, ok, err := c.parse(e, batch)
		if err != nil {
			return err
		}
		if ok {
			c.queue = append(c.queue, in)
		}
	}
	return nil
}

// nextFrame consumes the next frame and returns it. It returns nil and no
// error when the bytes read were not a frame and have been queued as a
// rejection.
func (c *jsonConn) nextFrame() ([]byte, error) {
	if c.framing != nil {
		return c.nextFramed()
	}
	n, err := scanJSON(c.fr)
	if errors.Is(err, errNotJSONFrame) && c.v2 {
		skipLine(c.fr)
		c.queue = append(c.queue, c.reject(nil, nil, CodeParseError, "Parse error: not a JSON object or array"))
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	return c.fr.take(n), nil
}

// parse turns one message into a jsonIn. ok is false when the message is
// to be ignored; err ends the connection. raw is checked once with
// json.Valid, and its members are then read in place (json_members.go): no
// copy, no reflection.
func (c *jsonConn) parse(raw []byte, batch *jsonBatch) (in jsonIn, ok bool, err error) {
	if !json.Valid(raw) {
		var v any
		perr := json.Unmarshal(raw, &v)
		if !c.v2 {
			return in, false, fmt.Errorf("%w: JSON-RPC: %v", ErrMalformed, perr)
		}
		return c.reject(nil, batch, CodeParseError, "Parse error: "+perr.Error()), true, nil
	}
	if raw[0] != '{' {
		if !c.v2 {
			return in, false, fmt.Errorf("%w: JSON-RPC message is not an object", ErrMalformed)
		}
		return c.reject(nil, batch, CodeInvalidRequest, "Invalid Request: not an object"), true, nil
	}
	var m jsonMembers
	readMembers(raw, &m)
	if m.method == nil {
		return c.parseResponse(&m, batch)
	}
	id := m.id
	if c.v2 {
		if !validJSONID(id) {
			return c.reject(nil, batch, CodeInvalidRequest, "Invalid Request: id must be a string, number or null"), true, nil
		}
		if _, ok := jsonID(id); !ok {
			return c.reject(id, batch, CodeInvalidRequest, "Invalid Request: id must be a string or an integer, not "+string(id)), true, nil
		}
		if string(m.version) != `"2.0"` {
			return c.reject(id, batch, CodeInvalidRequest, `Invalid Request: "jsonrpc" must be "2.0"`), true, nil
		}
		// null params are taken as none: the spec wants them omitted, but
		// LSP clients send null for methods without params (shutdown).
		if p := m.params; len(p) > 0 && p[0] != '[' && p[0] != '{' && string(p) != "null" {
			return c.reject(id, batch, CodeInvalidRequest, "Invalid Request: params must be an array or an object"), true, nil
		}
	}
	name, isString := jsonUnquote(m.method)
	if !isString {
		if !c.v2 {
			return in, false, fmt.Errorf("%w: JSON-RPC method is not a string", ErrMalformed)
		}
		return c.reject(id, batch, CodeInvalidRequest, "Invalid Request: method must be a string"), true, nil
	}
	if id == nil || !c.v2 && string(id) == "null" {
		d := c.dialect
		switch string(name) {
		case d.CancelMethod:
			if key, ok := cancelTarget(m.params, d.CancelID); ok {
				in, ok = c.cancelled(key)
				in.h.Error = cancelReason(m.params, d.CancelReason)
				return in, ok, nil
			}
		case d.CreditMethod:
			if token, n, ok := creditParams(m.params); ok && d.CreditMethod != "" {
				in.h = Header{Kind: Credit, Token: token, Seq: n}
				return in, true, nil
			}
		case d.ProgressMethod:
			if token, ok := progressTarget(m.params, d.ProgressToken); ok {
				in.h = Header{Kind: Progress, ServiceMethod: c.methods.intern(name), Token: token}
				in.body = m.params
				return in, true, nil
			}
		}
		in.h = Header{Kind: Notification, ServiceMethod: c.methods.intern(name)}
		in.body = m.params
		c.readMeta(&in.h, &m)
		return in, true, nil
	}
	in.h = Header{Kind: Request, ServiceMethod: c.methods.intern(name)}
	in.body = m.params
	c.readMeta(&in.h, &m)
	key, _ := jsonIDKeyOf(id)
	// The id outlives the frame's buffer: keep a copy.
	call := jsonCall{id: append(json.RawMessage(nil), id...), batch: batch, key: key}
	in.h.Seq = c.register(call)
	in.h.ID, _ = jsonID(call.id)
	return in, true, nil
}

// register remembers an incoming request until it is answered and returns
// the Seq it is handed out with.
func (c *jsonConn) register(call jsonCall) uint64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	seq := c.nextSeq
	c.nextSeq++
	if c.pending == nil {
		c.pending = make(map[uint64]jsonCall)
	}
	c.pending[seq] = call
	if call.key != (jsonIDKey{}) {
		if c.byID == nil {
			c.byID = make(map[jsonIDKey]uint64)
		}
		c.byID[call.key] = seq // a reused id names the latest request
	}
	if call.batch != nil {
		call.batch.waiting++
	}
	return seq
}

// reject hands out a message that JSON-RPC 2.0 answers with an error as a
// Request carrying that error and no body. The answer is not written here
// — the reader never writes, so that it cannot block on a peer that is not
// reading — but when the user answers the request: the codec remembers the
// id (null when there was none or it could not be read), the batch, and
// the code and message, which that answer takes whatever it says.
func (c *jsonConn) reject(id json.RawMessage, batch *jsonBatch, code int, msg string) jsonIn {
	if len(id) == 0 {
		id = jsonNull
	} else {
		id = append(json.RawMessage(nil), id...)
	}
	seq := c.register(jsonCall{id: id, batch: batch, msg: msg, code: code})
	return jsonIn{h: Header{Kind: Request, Seq: seq, Error: msg, Code: code}}
}

// cancelled turns a cancel naming the id key into a Cancel of the pending
// request with that id. ok is false, and the cancel is dropped, when no
// request with that id awaits an answer: it was answered already, or never
// came.
func (c *jsonConn) cancelled(key jsonIDKey) (in jsonIn, ok bool) {
	c.mu.Lock()
	seq, ok := c.byID[key]
	if ok && !c.dialect.AnswerCancelled && c.pending[seq].batch == nil {
		// The dialect answers no cancelled request: forget it now, so
		// that nothing is owed for it (package peer writes nothing).
		delete(c.pending, seq)
		delete(c.byID, key)
	}
	c.mu.Unlock()
	if !ok {
		return in, false
	}
	in.h = Header{Kind: Cancel, Seq: seq}
	return in, true
}

// parseResponse reads a response to one of our requests, whose id is the
// request's Seq. A response we cannot match is dropped. In 2.0 a message
// with neither method nor result nor error is an invalid request, answered
// in its batch if it came in one.
func (c *jsonConn) parseResponse(m *jsonMembers, batch *jsonBatch) (in jsonIn, ok bool, err error) {
	if c.v2 && m.result == nil && m.err == nil {
		return c.reject(nil, batch, CodeInvalidRequest, "Invalid Request: no method"), true, nil
	}
	seq, ok := parseSeq(m.id)
	if !ok {
		if m.result == nil && m.err == nil {
			return in, false, fmt.Errorf("%w: JSON-RPC message with neither method nor result", ErrMalformed)
		}
		return in, false, nil // e.g. the answer to a request we could not send
	}
	in.h = Header{Kind: Response, Seq: seq}
	if m.err != nil && string(m.err) != "null" {
		var code int
		var data json.RawMessage
		in.h.Error, code, data = jsonErrorText(m.err)
		if c.v2 {
			in.h.Code = code
			if data != nil {
				in.h.Data = Raw(bytes.Clone(data))
			}
		}
	}
	in.body = m.result
	return in, true, nil
}

// jsonErrorText renders a response's error member: a 2.0 error object's
// message, a 1.0 string, or whatever a foreign peer sent. code is the error
// object's code, zero when there is none, and data its data member.
func jsonErrorText(raw json.RawMessage) (text string, code int, data json.RawMessage) {
	var obj struct {
		Code    *int64          `json:"code"`
		Message string          `json:"message"`
		Data    json.RawMessage `json:"data"`
	}
	if raw[0] == '{' && json.Unmarshal(raw, &obj) == nil && obj.Code != nil {
		if int64(int(*obj.Code)) == *obj.Code {
			code = int(*obj.Code)
		}
		if string(obj.Data) == "null" {
			obj.Data = nil
		}
		if obj.Message == "" {
			return fmt.Sprintf("jsonrpc2: error code %d", *obj.Code), code, obj.Data
		}
		return obj.Message, code, obj.Data
	}
	var v any
	if err := json.Unmarshal(raw, &v); err != nil {
		return string(raw), 0, nil
	}
	return remoteErrorText(v), 0, nil
}

// checkFirst checks the first byte that is not white space.
func (c *jsonConn) checkFirst() error {
	for {
		b, err := c.fr.need(1)
		if err != nil {
			return err
		}
		if !isJSONSpace(b[0]) {
			c.started = true
			want := "JSON"
			if c.framing != nil {
				want = c.framing.wire()
			}
			return checkWire(c.fr.need, want, jsonCodec{v2: c.v2, framing: c.framing}.Name())
		}
		c.fr.consume(1)
	}
}

func (c *jsonConn) ReadBody(v any) error {
	body := c.cur.body
	c.cur.body = nil
	if v == nil || c.cur.h.Kind == Request && c.cur.h.Error != "" {
		return nil // nothing to decode, or a request the codec refused: its error says why
	}
	if pv, ok := v.(*ProgressValue); ok && c.cur.h.Kind == Progress {
		v, body = pv.V, progressValueOf(body, c.dialect.ProgressValue, c.dialect.ProgressToken)
		if v == nil || body == nil {
			return nil
		}
		if err := c.charge(body, targetType(v)); err != nil {
			return err
		}
		return json.Unmarshal(body, v)
	}
	t := targetType(v)
	if c.cur.h.Kind == Response {
		if len(body) == 0 {
			return nil
		}
		if err := c.charge(body, t); err != nil {
			return err
		}
		return json.Unmarshal(body, v)
	}
	var err error
	switch {
	case len(body) == 0 || string(body) == "null":
		err = c.noParams(v)
	default:
		charged := body
		if body[0] == '[' {
			if n, first := jsonArrayFirst(body); n == 1 {
				charged = first // the one param, which decodeParams tries first
			}
		}
		if err = c.charge(charged, t); err != nil {
			err = fmt.Errorf("%w: %w", ErrInvalidParams, err)
		} else {
			err = c.decodeParams(v, body)
		}
	}
	if err != nil && c.cur.h.Kind == Request {
		c.mu.Lock()
		if call, ok := c.pending[c.cur.h.Seq]; ok {
			call.badParams = true
			c.pending[c.cur.h.Seq] = call
		}
		c.mu.Unlock()
	}
	return err
}

// errMissingParams is net/rpc/jsonrpc's answer to a request without
// params, which JSON-RPC 1.0 gives word for word.
var errMissingParams = errors.New("jsonrpc: request body missing params")

// noParams is the outcome of a request without params (absent or null):
// the argument stays zero if it needs nothing, or the connection is
// lenient; else an error.
func (c *jsonConn) noParams(v any) error {
	switch {
	case !c.v2:
		return &paramsError{errMissingParams}
	case c.lenient:
		return nil
	}
	return needsParams(v)
}

// decodeParams follows the same rules as msgpack-rpc's decodeParams: one
// element of an array into v, or the whole array when v is a list (or, if
// the single element does not fit a list argument, the whole array); a
// struct takes several params as its exported fields, in order, as the
// msgpack engines fill a struct from an array (JSON-RPC 2.0); an object
// (by-name params) goes into v as it is. JSON-RPC 1.0 reads the first of
// several params into a single argument, and fails as net/rpc/jsonrpc
// does, word for word.
func (c *jsonConn) decodeParams(v any, params []byte) error {
	var err error
	if params[0] != '[' {
		if c.v2 {
			return c.decodeObject(v, params)
		}
		err = json.Unmarshal(params, v)
	} else {
		switch n, first := jsonArrayFirst(params); {
		case n == 1 && c.v2 && first[0] == '{' && structTarget(v) != nil:
			return c.decodeObject(v, first)
		case n == 1:
			err = json.Unmarshal(first, v)
			switch {
			case err == nil:
			case wantsListFromOne(v) && json.Unmarshal(params, v) == nil:
				err = nil
			case c.v2 && argKind(v) == reflect.Struct && first[0] != '{':
				err = fillStruct(v, [][]byte{first})
			}
		case n == 0 && !takesEmptyList(v):
			if c.v2 && !c.lenient {
				return needsParams(v)
			}
			return nil
		case c.v2 && argKind(v) == reflect.Struct:
			err = fillStruct(v, jsonElems(params))
		case takesWholeList(v):
			err = json.Unmarshal(params, v)
		case !c.v2:
			err = json.Unmarshal(first, v)
		default:
			return fmt.Errorf("%w: got %d params, want 1 (%T)", ErrInvalidParams, len(jsonElems(params)), v)
		}
	}
	if err != nil {
		// JSON-RPC 2.0 says which param; 1.0 answers word for word as
		// net/rpc/jsonrpc does.
		if c.v2 && params[0] == '[' {
			if why := explainParams(v, jsonElems(params), json.Unmarshal, describeJSON); why != nil {
				return why
			}
		}
		return &paramsError{err}
	}
	return nil
}

// decodeObject decodes by-name params, the object obj, into v. Into a
// struct, unless the connection is lenient, a key that no field takes
// fails the call (MCP's "_meta" excepted, §12), and so does a value that
// does not fit its field, each with an error that names it.
func (c *jsonConn) decodeObject(v any, obj []byte) error {
	t := structTarget(v)
	if t == nil {
		if err := json.Unmarshal(obj, v); err != nil {
			return &paramsError{err}
		}
		return nil
	}
	fields := c.fields.get(t, paramFields)
	var why error
	if !c.lenient {
		eachMember(obj, func(k, _ []byte) {
			if why == nil && string(k) != "_meta" && fieldFor(fields, k) == nil {
				why = unknownField(t, k)
			}
		})
		if why != nil {
			return why
		}
	}
	err := json.Unmarshal(obj, v)
	if err == nil {
		return nil
	}
	eachMember(obj, func(k, val []byte) {
		if f := fieldFor(fields, k); why == nil && f != nil && json.Unmarshal(val, reflect.New(f.typ).Interface()) != nil {
			why = fieldMismatch(t, f, describeJSON(val))
		}
	})
	if why != nil {
		return why
	}
	return &paramsError{err}
}

// fillStruct decodes positional params into the exported fields of the
// struct v points to, in order; there must be one param per field.
func fillStruct(v any, elems [][]byte) error {
	s := reflect.ValueOf(v).Elem()
	fields := positionalFields(s.Type())
	if len(elems) != len(fields) {
		return fmt.Errorf("%w: got %d params, want %d", ErrInvalidParams, len(elems), len(fields))
	}
	for i, f := range fields {
		if err := json.Unmarshal(elems[i], s.Field(f).Addr().Interface()); err != nil {
			return err
		}
	}
	return nil
}

// positionalFields returns the indexes of the fields of struct type t
// that take positional params: the exported ones that encoding/json does
// not skip.
func positionalFields(t reflect.Type) []int {
	var fields []int
	for i := range t.NumField() {
		f := t.Field(i)
		if f.IsExported() && f.Tag.Get("json") != "-" {
			fields = append(fields, i)
		}
	}
	return fields
}

func (c *jsonConn) Close() error {
	c.closeOnce.Do(func() { c.closeErr = c.rwc.Close() })
	return c.closeErr
}
