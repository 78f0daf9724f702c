package codec

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"sync"
)

type jsonCodec struct{ v2 bool }

func (c jsonCodec) Name() string {
	if c.v2 {
		return "jsonrpc2"
	}
	return "jsonrpc"
}

func (c jsonCodec) NewConn(rwc io.ReadWriteCloser, opts *Options) Conn {
	jc := &jsonConn{v2: c.v2, rwc: rwc}
	jc.fr = newFrameReader(rwc, opts.maxFrameSize(), &jc.fw)
	jc.fw.w, jc.fw.framePerWrite = rwc, opts.framePerWrite()
	jc.enc = json.NewEncoder(&jc.fw)
	return jc
}

// jsonConn speaks JSON-RPC 1.0 (as net/rpc/jsonrpc does) or 2.0. A frame
// with a "method" is a request, or a notification when it has no id (2.0)
// or a null id (1.0); any other frame is a response. The ids of incoming
// requests, of any JSON type, are renumbered to Seqs and written back
// verbatim in the responses; outgoing requests use their Seq as the id.
type jsonConn struct {
	v2  bool
	rwc io.ReadWriteCloser
	fr  *frameReader

	queue   []jsonIn // messages of a batch not yet handed out
	cur     jsonIn   // the message whose body ReadBody reads
	readErr error

	fw  frameWriter
	enc *json.Encoder
	out jsonFrames // reused under fw's lock

	mu      sync.Mutex
	nextSeq uint64
	pending map[uint64]jsonCall // incoming requests awaiting our response
	methods methodNames         // read loop only

	closeOnce sync.Once
	closeErr  error
}

// jsonIn is one message read, waiting to be handed out.
type jsonIn struct {
	h    Header
	body json.RawMessage // params or result
}

// jsonCall is an incoming request awaiting our response.
type jsonCall struct {
	id        json.RawMessage
	batch     *jsonBatch
	badParams bool
}

// jsonBatch gathers the responses to one JSON-RPC 2.0 batch, which go back
// as one array once every request in it is answered.
type jsonBatch struct {
	waiting int
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
	*h = c.cur.h
	return nil
}

// readFrame reads one frame and queues the messages in it. Bytes that are
// not a JSON-RPC message get an error response in 2.0 and end the
// connection in 1.0, as net/rpc/jsonrpc does.
func (c *jsonConn) readFrame() error {
	n, err := scanJSON(c.fr)
	if errors.Is(err, errNotJSONFrame) && c.v2 {
		skipLine(c.fr)
		return c.writeError(nil, nil, codeParseError, "Parse error: not a JSON object or array")
	}
	if err != nil {
		return err
	}
	frame, _ := c.fr.need(n)
	c.fr.consume(n)
	c.queue = c.queue[:0]
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
	var elems []json.RawMessage
	if err := json.Unmarshal(frame, &elems); err != nil {
		return c.writeError(nil, nil, codeParseError, "Parse error: "+err.Error())
	}
	if len(elems) == 0 {
		return c.writeError(nil, nil, codeInvalidRequest, "Invalid Request: empty batch")
	}
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
	c.mu.Lock()
	done := batch.waiting == 0 && len(batch.parts) > 0
	c.mu.Unlock()
	if done { // every element was invalid: answer at once
		return c.writeBatch(batch)
	}
	return nil
}

// parse turns one message into a jsonIn. ok is false when the message was
// answered with an error (2.0) or is to be ignored; err ends the connection.
// raw is checked once with json.Valid, and its members are then read in
// place (json_members.go): no copy, no reflection.
func (c *jsonConn) parse(raw []byte, batch *jsonBatch) (in jsonIn, ok bool, err error) {
	if !json.Valid(raw) {
		var v any
		perr := json.Unmarshal(raw, &v)
		if !c.v2 {
			return in, false, fmt.Errorf("%w: JSON-RPC: %v", ErrMalformed, perr)
		}
		return in, false, c.writeError(nil, batch, codeParseError, "Parse error: "+perr.Error())
	}
	if raw[0] != '{' {
		if !c.v2 {
			return in, false, fmt.Errorf("%w: JSON-RPC message is not an object", ErrMalformed)
		}
		return in, false, c.writeError(nil, batch, codeInvalidRequest, "Invalid Request: not an object")
	}
	var m jsonMembers
	readMembers(raw, &m)
	if m.method == nil {
		return c.parseResponse(&m, batch)
	}
	id := m.id
	if c.v2 {
		if !validJSONID(id) {
			return in, false, c.writeError(nil, batch, codeInvalidRequest, "Invalid Request: id must be a string, number or null")
		}
		if string(m.version) != `"2.0"` {
			return in, false, c.writeError(id, batch, codeInvalidRequest, `Invalid Request: "jsonrpc" must be "2.0"`)
		}
		if p := m.params; len(p) > 0 && p[0] != '[' && p[0] != '{' {
			return in, false, c.writeError(id, batch, codeInvalidRequest, "Invalid Request: params must be an array or an object")
		}
	}
	name, isString := jsonUnquote(m.method)
	if !isString {
		if !c.v2 {
			return in, false, fmt.Errorf("%w: JSON-RPC method is not a string", ErrMalformed)
		}
		return in, false, c.writeError(id, batch, codeInvalidRequest, "Invalid Request: method must be a string")
	}
	in.h.ServiceMethod = c.methods.intern(name)
	in.body = m.params
	if id == nil || !c.v2 && string(id) == "null" {
		in.h.Kind = Notification
		return in, true, nil
	}
	in.h.Kind = Request
	c.mu.Lock()
	in.h.Seq = c.nextSeq
	c.nextSeq++
	if c.pending == nil {
		c.pending = make(map[uint64]jsonCall)
	}
	// The id outlives the frame's buffer: keep a copy.
	c.pending[in.h.Seq] = jsonCall{id: append(json.RawMessage(nil), id...), batch: batch}
	if batch != nil {
		batch.waiting++
	}
	c.mu.Unlock()
	return in, true, nil
}

// parseResponse reads a response to one of our requests, whose id is the
// request's Seq. A response we cannot match is dropped. In 2.0 a message
// with neither method nor result nor error is an invalid request, answered
// in its batch if it came in one.
func (c *jsonConn) parseResponse(m *jsonMembers, batch *jsonBatch) (in jsonIn, ok bool, err error) {
	if c.v2 && m.result == nil && m.err == nil {
		return in, false, c.writeError(nil, batch, codeInvalidRequest, "Invalid Request: no method")
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
		in.h.Error = jsonErrorText(m.err)
	}
	in.body = m.result
	return in, true, nil
}

// parseSeq reads an id we sent: a number, or a string of digits from a peer
// that turned it into one.
func parseSeq(id []byte) (uint64, bool) {
	if len(id) >= 2 && id[0] == '"' && id[len(id)-1] == '"' {
		id = id[1 : len(id)-1]
	}
	if len(id) == 0 || len(id) > 20 {
		return 0, false
	}
	var seq uint64
	for _, c := range id {
		if c < '0' || c > '9' {
			return 0, false
		}
		d := uint64(c - '0')
		if seq > (math.MaxUint64-d)/10 {
			return 0, false
		}
		seq = seq*10 + d
	}
	return seq, true
}

// validJSONID: JSON-RPC 2.0 ids are strings, numbers or null, if present.
func validJSONID(id json.RawMessage) bool {
	if len(id) == 0 {
		return true
	}
	switch id[0] {
	case '{', '[', 't', 'f':
		return false
	}
	return true
}

// jsonErrorText renders a response's error member: a 2.0 error object's
// message, a 1.0 string, or whatever a foreign peer sent.
func jsonErrorText(raw json.RawMessage) string {
	var obj struct {
		Code    *int64 `json:"code"`
		Message string `json:"message"`
	}
	if raw[0] == '{' && json.Unmarshal(raw, &obj) == nil && obj.Code != nil {
		if obj.Message == "" {
			return fmt.Sprintf("jsonrpc2: error code %d", *obj.Code)
		}
		return obj.Message
	}
	var v any
	if err := json.Unmarshal(raw, &v); err != nil {
		return string(raw)
	}
	return remoteErrorText(v)
}

func (c *jsonConn) ReadBody(v any) error {
	body := c.cur.body
	c.cur.body = nil
	if v == nil || len(body) == 0 {
		return nil
	}
	if c.cur.h.Kind == Response {
		return json.Unmarshal(body, v)
	}
	err := c.decodeParams(v, body)
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

// decodeParams follows the same rules as msgpack-rpc's decodeParams: one
// element of an array into v, or the whole array when v is a list (or, if
// the single element does not fit a list argument, the whole array); an
// object (by-name params) into v as it is. JSON-RPC 1.0 reads the first of
// several params into a single argument, as net/rpc/jsonrpc does.
func (c *jsonConn) decodeParams(v any, params []byte) error {
	if string(params) == "null" {
		return nil
	}
	var err error
	if params[0] != '[' {
		err = json.Unmarshal(params, v)
	} else {
		switch n, first := jsonArrayFirst(params); {
		case n == 1:
			if err = json.Unmarshal(first, v); err != nil && wantsListFromOne(v) && json.Unmarshal(params, v) == nil {
				err = nil
			}
		case takesWholeList(v):
			err = json.Unmarshal(params, v)
		case n == 0:
			return nil
		case !c.v2:
			err = json.Unmarshal(first, v)
		default:
			return fmt.Errorf("%w: several params for one %T argument", ErrInvalidParams, v)
		}
	}
	if err != nil {
		return &paramsError{err}
	}
	return nil
}

func (c *jsonConn) Close() error {
	c.closeOnce.Do(func() { c.closeErr = c.rwc.Close() })
	return c.closeErr
}
