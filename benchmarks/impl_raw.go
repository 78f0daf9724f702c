package benchmarks

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"sync"
	"sync/atomic"

	"github.com/duplexrpc/duplex/codec"
)

// rawImpl is the floor: a TCP echo of the same byte counts as the msgpack
// peer's frames, with no encoding, no reflection and no goroutine per
// request. Its client lets whichever caller is waiting read the socket (as
// package peer does), so a sequential call pays no goroutine hand-off, and
// its server answers from its read loop.
func rawImpl() Impl {
	return Impl{Name: "raw", Pipe: true, Opaque: true, Connect: connectRaw}
}

// A RawFrame is one call of the raw echo: the request bytes sent and the
// response bytes expected back. Its sizes are those of the msgpack-rpc frames
// that package codec writes for the same call.
type RawFrame struct {
	Req, Resp []byte
}

// rawMaxBody bounds what the raw echo accepts, so junk cannot make it allocate.
const rawMaxBody = 16 << 20

// RawFrames returns the raw echo's frame for each of Payloads and
// LargePayloads, by name.
func RawFrames() (map[string]RawFrame, error) {
	frames := make(map[string]RawFrame)
	for _, p := range append(Payloads(), LargePayloads()...) {
		var reply any
		switch a := p.Args.(type) {
		case *Args:
			reply = a.A * a.B
		case *Record:
			reply = a
		}
		req, err := MsgpackFrame(codec.Request, p.Method, p.Args)
		if err != nil {
			return nil, err
		}
		resp, err := MsgpackFrame(codec.Response, "", reply)
		if err != nil {
			return nil, err
		}
		frames[p.Name] = RawFrame{Req: req, Resp: echoed(req, len(resp))}
	}
	return frames, nil
}

// echoed is what the raw server sends back for req when asked for n bytes:
// req cut or padded with zeros to n bytes.
func echoed(req []byte, n int) []byte {
	resp := make([]byte, n)
	copy(resp, req)
	return resp
}

// MsgpackFrame returns the bytes package codec's msgpack Conn writes for one
// frame.
func MsgpackFrame(kind codec.Kind, method string, body any) ([]byte, error) {
	return EncodeFrame(codec.Msgpack, kind, method, body)
}

// EncodeFrame returns the bytes c writes for one frame.
func EncodeFrame(c codec.Codec, kind codec.Kind, method string, body any) ([]byte, error) {
	var w captureRWC
	conn := c.NewConn(&w, nil)
	if err := conn.Write(&codec.Header{Kind: kind, ServiceMethod: method, Seq: 1}, body); err != nil {
		return nil, err
	}
	return w.Bytes(), nil
}

type captureRWC struct{ bytes.Buffer }

func (*captureRWC) Read([]byte) (int, error) { return 0, io.EOF }
func (*captureRWC) Close() error             { return nil }

func connectRaw(dialed, accepted net.Conn) (*Stack, error) {
	frames, err := RawFrames()
	if err != nil {
		dialed.Close()
		accepted.Close()
		return nil, err
	}
	served := make(chan struct{})
	go func() {
		defer close(served)
		ServeRaw(accepted)
	}()
	records := make(map[recordShape]RawFrame)
	for _, p := range append(Payloads(), LargePayloads()...) {
		if r, ok := p.Args.(*Record); ok {
			records[shapeOf(r)] = frames[p.Name]
		}
	}
	c := &rawClient{conn: dialed, tiny: frames["tiny"], records: records, calls: make(map[uint32]*rawCall), br: bufio.NewReaderSize(dialed, 64<<10)}
	return &Stack{
		Forward: c,
		Close: func() error {
			err := dialed.Close()
			<-served
			return err
		},
	}, nil
}

// ServeRaw answers raw echo requests on conn until it fails, then closes it.
// A request is [u32 request length][u32 response length][u32 id] and the
// request bytes; the response is [u32 response length][u32 id] and the
// request bytes cut or zero-padded to the response length.
func ServeRaw(conn net.Conn) error {
	defer conn.Close()
	br := bufio.NewReaderSize(conn, 64<<10)
	bw := bufio.NewWriterSize(conn, 64<<10)
	var hdr [12]byte
	var body, zeros []byte
	for {
		if _, err := io.ReadFull(br, hdr[:]); err != nil {
			return err
		}
		reqLen := int(binary.LittleEndian.Uint32(hdr[0:]))
		respLen := int(binary.LittleEndian.Uint32(hdr[4:]))
		if reqLen > rawMaxBody || respLen > rawMaxBody {
			return fmt.Errorf("benchmarks: raw frame of %d/%d bytes", reqLen, respLen)
		}
		if cap(body) < reqLen {
			body = make([]byte, reqLen)
		}
		body = body[:reqLen]
		if _, err := io.ReadFull(br, body); err != nil {
			return err
		}
		bw.Write(hdr[4:12])
		if respLen <= reqLen {
			bw.Write(body[:respLen])
		} else {
			bw.Write(body)
			if cap(zeros) < respLen-reqLen {
				zeros = make([]byte, respLen-reqLen)
			}
			bw.Write(zeros[:respLen-reqLen])
		}
		if br.Buffered() == 0 { // about to wait for the next request: send what we have
			if err := bw.Flush(); err != nil {
				return err
			}
		}
	}
}

// AppendRawRequest appends the raw echo request for f with the given id.
func AppendRawRequest(b []byte, f RawFrame, id uint32) []byte {
	b = binary.LittleEndian.AppendUint32(b, uint32(len(f.Req)))
	b = binary.LittleEndian.AppendUint32(b, uint32(len(f.Resp)))
	b = binary.LittleEndian.AppendUint32(b, id)
	return append(b, f.Req...)
}

// CheckRawResponse reports whether body is the response f expects: its
// length and its first and last bytes, which is all a floor can afford.
func CheckRawResponse(f RawFrame, body []byte) error {
	n := len(f.Resp)
	if len(body) != n {
		return fmt.Errorf("benchmarks: raw response of %d bytes, want %d", len(body), n)
	}
	k := min(n, 8)
	if !bytes.Equal(body[:k], f.Resp[:k]) || !bytes.Equal(body[n-k:], f.Resp[n-k:]) {
		return errors.New("benchmarks: raw response differs from the request echoed")
	}
	return nil
}

// rawClient is the raw echo's client. Writers share one buffer and flush it
// when no other writer waits; callers take turns reading the socket.
type rawClient struct {
	conn    net.Conn
	tiny    RawFrame                 // for every Args
	records map[recordShape]RawFrame // for a Record, by its shape

	waiting atomic.Int32
	wmu     sync.Mutex
	wbuf    []byte

	mu      sync.Mutex
	reading bool // a caller is reading the socket
	waiters int  // callers waiting on their wake channel
	seq     uint32
	calls   map[uint32]*rawCall
	err     error
	br      *bufio.Reader // the reading caller's
	hdr     [8]byte       // the reading caller's
	body    []byte        // the reading caller's
}

type rawCall struct {
	frame   RawFrame
	wake    chan struct{} // a reply came, or it is this call's turn to read
	waiting bool          // the caller waits on wake
	done    bool
	err     error
}

var rawCalls = sync.Pool{New: func() any { return &rawCall{wake: make(chan struct{}, 1)} }}

// Call sends the frame of the payload that args belongs to and waits for
// its echo; reply is left alone.
func (c *rawClient) Call(method string, args, _ any) error {
	f, ok := c.tiny, true
	if r, isRecord := args.(*Record); isRecord {
		f, ok = c.records[shapeOf(r)]
	}
	if !ok {
		return fmt.Errorf("benchmarks: raw echo has no frame for %s(%T)", method, args)
	}
	call := rawCalls.Get().(*rawCall)
	call.frame, call.done, call.err = f, false, nil
	c.mu.Lock()
	if c.err != nil {
		c.mu.Unlock()
		return c.err
	}
	c.seq++
	id := c.seq
	c.calls[id] = call
	c.mu.Unlock()

	if err := c.write(id, f); err != nil {
		c.mu.Lock()
		c.failLocked(err)
		c.mu.Unlock()
	}

	c.mu.Lock()
	for !call.done {
		if c.reading {
			call.waiting = true
			c.waiters++
			c.mu.Unlock()
			<-call.wake
			c.mu.Lock()
			call.waiting = false
			c.waiters--
			continue
		}
		c.readLocked(call)
	}
	err := call.err
	c.mu.Unlock()
	select { // a stale turn-to-read signal must not reach the call's next use
	case <-call.wake:
	default:
	}
	rawCalls.Put(call)
	return err
}

// readLocked reads the socket for call and for whoever else has a reply
// coming, until call is done and either no call is outstanding or one is
// waiting to take over. Stopping sooner, while other callers are still
// writing, would leave nobody reading: over a synchronous net.Pipe the
// server would block writing their replies and never read their requests.
func (c *rawClient) readLocked(call *rawCall) {
	c.reading = true
	for !call.done || len(c.calls) > 0 && c.waiters == 0 {
		c.mu.Unlock()
		id, body, err := c.readOne()
		c.mu.Lock()
		if err != nil {
			c.failLocked(err)
			break
		}
		got, ok := c.calls[id]
		if !ok {
			c.failLocked(fmt.Errorf("benchmarks: raw response to unknown call %d", id))
			break
		}
		delete(c.calls, id)
		got.done, got.err = true, CheckRawResponse(got.frame, body)
		if got != call {
			signal(got.wake)
		}
	}
	c.reading = false
	for _, w := range c.calls { // hand over to a waiting caller
		if w.waiting {
			signal(w.wake)
			break
		}
	}
}

// failLocked ends every call with err.
func (c *rawClient) failLocked(err error) {
	if c.err == nil {
		c.err = err
	}
	for id, w := range c.calls {
		delete(c.calls, id)
		w.done, w.err = true, c.err
		signal(w.wake)
	}
}

// signal wakes a waiting call; one wake-up pending is enough, as the call
// looks at its state when it wakes.
func signal(wake chan struct{}) {
	select {
	case wake <- struct{}{}:
	default:
	}
}

func (c *rawClient) write(id uint32, f RawFrame) error {
	c.waiting.Add(1)
	c.wmu.Lock()
	defer c.wmu.Unlock()
	c.wbuf = AppendRawRequest(c.wbuf, f, id)
	if c.waiting.Add(-1) > 0 && len(c.wbuf) < 64<<10 {
		return nil // a writer waiting for the lock flushes this too
	}
	_, err := c.conn.Write(c.wbuf)
	c.wbuf = c.wbuf[:0]
	return err
}

// readOne reads one response; only the caller whose turn it is calls it.
func (c *rawClient) readOne() (id uint32, body []byte, err error) {
	if _, err := io.ReadFull(c.br, c.hdr[:]); err != nil {
		return 0, nil, err
	}
	n := int(binary.LittleEndian.Uint32(c.hdr[0:]))
	if n > rawMaxBody {
		return 0, nil, fmt.Errorf("benchmarks: raw response of %d bytes", n)
	}
	if cap(c.body) < n {
		c.body = make([]byte, n)
	}
	c.body = c.body[:n]
	_, err = io.ReadFull(c.br, c.body)
	return binary.LittleEndian.Uint32(c.hdr[4:]), c.body, err
}

// RequestSize returns the bytes of the request frame that the codec named
// name writes for p (for gob, the first one, with its type descriptions).
func RequestSize(name string, p Payload) (int, error) {
	c, err := codec.ByName(name)
	if err != nil {
		return 0, err
	}
	b, err := EncodeFrame(c, codec.Request, p.Method, p.Args)
	return len(b), err
}

// recordShape tells the Records of the payloads apart: the lengths of
// their name and data.
type recordShape struct{ name, data int }

func shapeOf(r *Record) recordShape { return recordShape{len(r.Name), len(r.Data)} }
