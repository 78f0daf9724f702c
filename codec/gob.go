package codec

import (
	"bufio"
	"encoding/binary"
	"encoding/gob"
	"errors"
	"fmt"
	"io"
	"net/rpc"
	"reflect"
	"sync"
	"sync/atomic"
)

type gobCodec struct{}

func (gobCodec) Name() string { return "gob" }

func (gobCodec) NewConn(rwc io.ReadWriteCloser, opts *Options) Conn {
	c := &gobConn{rwc: rwc, progressMethod: opts.dialect().ProgressMethod}
	c.fw.w, c.fw.framePerWrite = rwc, WritesMessages(rwc, opts)
	c.in = gobLimitReader{br: bufio.NewReader(rwc), max: opts.maxFrameSize(), ratio: opts.decodeRatio(), target: gobHeaderType}
	c.dec = gob.NewDecoder(&c.in)
	c.enc = gob.NewEncoder(&c.fw)
	return c
}

// gobHeader is the header of two-way gob: the fields of net/rpc's Request
// and Response, plus the frame's kind. gob matches fields by name and skips
// those a side does not know, so net/rpc's own codec reads it, and it reads
// net/rpc's headers (whose Kind is then zero).
type gobHeader struct {
	ServiceMethod string
	Seq           uint64
	Error         string
	Kind          Kind
}

// gobHeaderMeta is gobHeader with what may travel beside a call: its
// metadata and progress token. It is written only for a frame that has
// either, or that is a Progress, so that every other frame keeps
// gobHeader's bytes (gob describes a type the first time it is sent); it is
// what every header is read into, as gob fills the fields a value has.
type gobHeaderMeta struct {
	ServiceMethod string
	Seq           uint64
	Error         string
	Kind          Kind
	Meta          map[string]string
	Token         gobToken
	Stream        gobToken
}

// gobToken is an ID in gob's terms: exported fields.
type gobToken struct {
	N    uint64
	Text string
	Kind uint8
}

func gobTokenOf(id ID) gobToken { return gobToken{N: id.n, Text: id.text, Kind: uint8(id.kind)} }
func (t gobToken) id() ID       { return ID{n: t.N, text: t.Text, kind: idKind(t.Kind)} }

// gobConn frames net/rpc's gob stream: a header value, then a body value,
// on one gob stream per direction. Used one way through the net/rpc
// adapters it writes net/rpc's own header types, byte for byte; used both
// ways it writes gobHeader.
type gobConn struct {
	rwc    io.ReadWriteCloser
	in     gobLimitReader
	dec    *gob.Decoder
	rh     gobHeaderMeta
	noBody bool // the frame just read had its stand-in body read with it

	fw   frameWriter
	enc  *gob.Encoder
	only Kind // the kind this one-way connection reads; zero for two-way
	req  rpc.Request
	resp rpc.Response
	wh   gobHeader
	whm  gobHeaderMeta

	progressMethod string // the dialect's, which a Progress frame names

	readErr   error
	ahead     atomic.Bool // bytes of the next frame are buffered, for ReadAhead
	closeOnce sync.Once
	closeErr  error
}

func (c *gobConn) oneWay(reads Kind) { c.only = reads }

func (c *gobConn) ReadHeader(h *Header) error {
	if c.readErr != nil {
		return c.readErr
	}
	c.rh, c.noBody = gobHeaderMeta{}, false
	if err := c.dec.Decode(&c.rh); err != nil {
		c.readErr = c.streamErr(err)
		return c.readErr
	}
	if c.rh.Kind == Cancel || c.rh.Kind == Credit {
		// A cancel or a credit has no body, but the stream carries a
		// stand-in for one: skip it now, so that it needs no ReadBody.
		c.in.into(nil, true)
		err := c.dec.DecodeValue(reflect.Value{}) // discards it
		c.in.into(gobHeaderType, false)
		if err != nil {
			c.readErr = c.streamErr(err)
			return c.readErr
		}
		c.noBody = true
		*h = Header{Kind: c.rh.Kind, Seq: c.rh.Seq, Token: c.rh.Token.id()}
		return nil
	}
	*h = Header{Kind: c.rh.Kind, ServiceMethod: c.rh.ServiceMethod, Seq: c.rh.Seq, Error: c.rh.Error, Meta: c.rh.Meta, Token: c.rh.Token.id(), Stream: c.rh.Stream.id()}
	if h.Kind == Request || h.Kind == 0 && c.only != Response {
		h.ID = NumberID(h.Seq)
	}
	return nil
}

func (c *gobConn) ReadBody(v any) error {
	if c.readErr != nil {
		return c.readErr
	}
	if c.noBody {
		c.noBody = false
		return nil
	}
	if pv, ok := v.(*ProgressValue); ok && c.rh.Kind == Progress {
		v = pv.V // a progress frame's body is its value
	}
	c.in.into(targetType(v), v == nil)
	err := c.dec.Decode(v)
	c.in.into(gobHeaderType, false)
	c.ahead.Store(c.in.br.Buffered() > 0)
	if err != nil && c.in.err != nil {
		c.readErr = c.streamErr(err) // the stream broke, not just this value
		return c.readErr
	}
	return err
}

// streamErr keeps io.EOF between frames as it is and makes every other
// header failure say it was gob.
func (c *gobConn) streamErr(err error) error {
	if errors.Is(err, io.EOF) || c.in.err != nil && errors.Is(err, c.in.err) {
		return err
	}
	if errors.Is(err, io.ErrUnexpectedEOF) {
		return err
	}
	return fmt.Errorf("%w: gob: %v", ErrMalformed, err)
}

// invalidBody is what net/rpc sends as the body of an error response.
var invalidBody = struct{}{}

func (c *gobConn) Write(h *Header, v any) error {
	if err := c.writable(h); err != nil {
		return err
	}
	mark, err := c.fw.lock()
	if err != nil {
		return err
	}
	bodyErr, err := c.encodeFrame(h, v)
	if err := c.fw.unlock(mark, err); err != nil {
		return err
	}
	return bodyErr
}

// AppendFrame appends the frame h and v to dst, as Write writes it, and
// returns the extended buffer. A body that does not encode is replaced by
// the stand-in body, and the frame is kept: gob has sent its header's
// type, so cutting it would leave the stream out of step. Calls are
// serialized by the caller, and never mixed with Write.
func (c *gobConn) AppendFrame(dst []byte, h *Header, v any) ([]byte, error) {
	if err := c.writable(h); err != nil {
		return dst, err
	}
	mark := c.fw.begin(dst)
	bodyErr, err := c.encodeFrame(h, v)
	b, err := c.fw.end(mark, err)
	if err == nil {
		err = bodyErr
	}
	return b, err
}

// writable refuses what a one-way connection cannot write.
func (c *gobConn) writable(h *Header) error {
	if h.Kind == Cancel && c.only != 0 {
		// The net/rpc adapters never cancel, and net/rpc's own gob, which
		// the one-way stream must stay byte-identical with, has no way to.
		return errors.New("codec: a one-way gob connection cannot write a cancel")
	}
	return nil
}

// encodeFrame appends the frame's header and body to c.fw.buf; the writer
// of the frame holds it. bodyErr is a body that did not encode, sent as
// the stand-in; err, a frame to cut.
func (c *gobConn) encodeFrame(h *Header, v any) (bodyErr, err error) {
	switch {
	case c.only == Response && h.Kind == Request:
		c.req = rpc.Request{ServiceMethod: h.ServiceMethod, Seq: h.Seq}
		err = c.enc.Encode(&c.req)
	case c.only == Request && h.Kind == Response:
		c.resp = rpc.Response{ServiceMethod: h.ServiceMethod, Seq: h.Seq, Error: h.Error}
		err = c.enc.Encode(&c.resp)
	case h.Kind == Cancel:
		c.wh = gobHeader{Kind: Cancel, Seq: h.Seq}
		err = c.enc.Encode(&c.wh)
	case len(h.Meta) > 0 || !h.Token.IsZero() || !h.Stream.IsZero() || h.Kind == Progress || h.Kind == Credit:
		c.whm = gobHeaderMeta{Kind: h.Kind, ServiceMethod: h.ServiceMethod, Seq: h.Seq, Error: h.Error, Meta: h.Meta, Token: gobTokenOf(h.Token), Stream: gobTokenOf(h.Stream)}
		if h.Kind == Progress {
			c.whm.ServiceMethod = c.progressMethod
		}
		err = c.enc.Encode(&c.whm)
		c.whm = gobHeaderMeta{}
	default:
		c.wh = gobHeader{Kind: h.Kind, ServiceMethod: h.ServiceMethod, Seq: h.Seq, Error: h.Error}
		err = c.enc.Encode(&c.wh)
	}
	if err != nil {
		return nil, err
	}
	if v == nil || h.Error != "" || h.Kind == Cancel || h.Kind == Credit {
		v = invalidBody // keeps the stream in step, as for an error
	}
	if err := c.enc.Encode(v); err != nil {
		// The header is out; keep the stream in step with a stand-in
		// body, which the reader fails to decode into its reply.
		if err2 := c.enc.Encode(invalidBody); err2 != nil {
			return nil, err2
		}
		return fmt.Errorf("%w: gob body: %w", ErrEncode, err), nil
	}
	return nil, nil
}

// ReadAhead reports whether bytes of the next frame are already buffered.
// It is safe to call from any goroutine (see [Conn]).
func (c *gobConn) ReadAhead() bool { return c.ahead.Load() }

func (c *gobConn) Close() error {
	c.closeOnce.Do(func() { c.closeErr = c.rwc.Close() })
	return c.closeErr
}

// gobLimitReader passes a gob stream through to gob.Decoder one message at
// a time, checking each message's length prefix against the frame limit
// before gob allocates a buffer for it, and, with a decode budget, walking
// the message (gob_walk.go) before gob decodes it: a message whose charge
// passes its budget is read whole and refused, and gob never sees it.
type gobLimitReader struct {
	br      *bufio.Reader
	max     int
	remain  int    // bytes of the current message, prefix included, not yet passed on
	size    int    // of the current message, prefix excluded
	walked  bool   // the current message was walked
	held    []byte // the rest of a message over gobChunk, walked
	ahead   []byte // messages read ahead for a value that goes on in them, walked
	started bool   // the first byte has been checked
	err     error

	ratio   int // Options.MaxDecodeRatio; 0: no budget, no walk
	types   gobTypes
	walk    gobWalk
	target  reflect.Type // what the value being decoded goes into: nil, unknown
	discard bool         // it goes into nothing
}

// gobHeaderType is what every header is decoded into.
var gobHeaderType = reflect.TypeFor[gobHeaderMeta]()

// into says what the next value is decoded into.
func (g *gobLimitReader) into(t reflect.Type, discard bool) { g.target, g.discard = t, discard }

// begin reads the length prefix of the next message without consuming it.
func (g *gobLimitReader) begin() error {
	if !g.started {
		if _, err := g.br.Peek(1); err != nil {
			return err
		}
		if err := checkWire(g.br.Peek, "gob", "gob"); err != nil {
			return err
		}
		g.started = true
	}
	prefix, size, err := g.prefix()
	if err != nil {
		return err
	}
	g.remain, g.size, g.walked = prefix+size, size, false
	return nil
}

// prefix peeks at the length prefix of the next message and checks the
// length against the limit. gob writes an unsigned integer as one byte
// below 0x80, or as a byte holding minus its length followed by that many
// big-endian bytes.
func (g *gobLimitReader) prefix() (prefix, size int, err error) {
	p, err := g.br.Peek(1)
	if err != nil {
		return 0, 0, err
	}
	prefix, n := 1, uint64(p[0])
	if p[0] >= 0x80 {
		w := int(-int8(p[0]))
		if w < 1 || w > 8 {
			return 0, 0, fmt.Errorf("%w: gob message length prefix 0x%02x", ErrMalformed, p[0])
		}
		if p, err = g.br.Peek(1 + w); err != nil {
			return 0, 0, unexpected(err)
		}
		var be [8]byte
		copy(be[8-w:], p[1:])
		prefix, n = 1+w, binary.BigEndian.Uint64(be[:])
	}
	if n > uint64(g.max) {
		return 0, 0, fmt.Errorf("%w: gob message of %d bytes, limit %d", ErrFrameTooLarge, n, g.max)
	}
	return prefix, int(n), nil
}

func (g *gobLimitReader) Read(p []byte) (int, error) {
	for _, held := range []*[]byte{&g.held, &g.ahead} {
		if len(*held) > 0 {
			n := copy(p, *held)
			if *held = (*held)[n:]; len(*held) == 0 {
				*held = nil
			}
			return n, nil
		}
	}
	if g.err == nil && g.remain == 0 {
		g.err = g.begin()
	}
	if g.err != nil {
		return 0, g.err
	}
	if g.ratio > 0 && !g.walked && g.remain == g.size {
		return g.readWalked(p)
	}
	if len(p) > g.remain {
		p = p[:g.remain]
	}
	n, err := g.br.Read(p)
	g.remain -= n
	if err != nil {
		g.err = unexpected(err)
	}
	return n, g.err
}

func unexpected(err error) error {
	if errors.Is(err, io.EOF) {
		return io.ErrUnexpectedEOF
	}
	return err
}

// readWalked reads the message whose prefix gob has read, walks it and
// charges it. gob reads a message under gobChunk into one buffer of its
// size, p, which the walk reads in place; a larger one in chunks, so the
// walk reads it into a buffer of its own, which gob's reads then copy. A
// value that goes on into the next messages (after a type definition in an
// interface) is walked through them: they are read ahead, held, and given
// to gob after it, or dropped with it.
func (g *gobLimitReader) readWalked(p []byte) (int, error) {
	g.walked = true
	msg := p
	if len(p) < g.size {
		msg = make([]byte, g.size)
	} else {
		msg = p[:g.size]
	}
	if _, err := io.ReadFull(g.br, msg); err != nil {
		g.err = unexpected(err)
		return 0, g.err
	}
	g.remain = 0
	g.ahead = nil
	w := &g.walk
	*w = gobWalk{types: &g.types, b: msg, limit: max(int64(g.ratio)*int64(g.size), minDecodeBudget), in: g}
	w.add(gobReadCost(int64(g.size)))
	w.message(g.target, g.discard)
	w.b = nil
	if err := w.err; err != nil {
		g.types.drop()
		size := g.size + len(g.ahead)
		g.ahead = nil // the value's messages are skipped: the stream goes on
		if err == errGobOver {
			return 0, gobBudgetError(size, w.cost, g.ratio)
		}
		return 0, err
	}
	if len(g.types.staged) > 0 {
		g.types.commit()
	}
	if len(p) < g.size {
		g.held = msg
		return g.Read(p)
	}
	return g.size, nil
}

// readAhead reads the next message for a walk whose value goes on in it,
// holds it for gob, charges its buffers and raises the walk's limit by its
// budget.
func (g *gobLimitReader) readAhead(w *gobWalk) ([]byte, error) {
	prefix, size, err := g.prefix()
	if err != nil {
		g.err = err
		return nil, err
	}
	at := len(g.ahead)
	g.ahead = append(g.ahead, make([]byte, prefix+size)...)
	if _, err := io.ReadFull(g.br, g.ahead[at:]); err != nil {
		g.err = unexpected(err)
		return nil, g.err
	}
	w.limit += int64(g.ratio) * int64(size)
	w.add(gobReadCost(int64(size)) + gobAlloc(int64(prefix+size)))
	return g.ahead[at+prefix:], nil
}

// ReadByte keeps gob.Decoder from wrapping the reader in a second buffer.
func (g *gobLimitReader) ReadByte() (byte, error) {
	var b [1]byte
	if _, err := g.Read(b[:]); err != nil {
		return 0, err
	}
	return b[0], nil
}
