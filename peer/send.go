package peer

import (
	"context"
	"errors"
	"fmt"
	"io"
	"sync"
	"sync/atomic"
	"time"

	"github.com/duplexrpc/duplex/codec"
	"github.com/duplexrpc/duplex/internal/bufkeep"
)

// How frames leave a peer.
//
// Frames are encoded by whoever sends them (a caller, a handler, the
// reader answering a request it cannot serve) into one queue, under a lock
// that is never held while the stream is written. One goroutine at a time,
// the flusher, takes everything queued and writes it to the stream, so
// frames queued while a write is under way leave together in the next one.
// The flusher is whoever found no flusher at work: a handler answering, a
// caller that cannot be cancelled, or else a goroutine started for the
// purpose (a caller with a context must be free to leave at once, and the
// reader never writes). A write that makes no progress for the write
// timeout ends the peer.
//
// The queue holds at most limit bytes for senders that can wait: past it
// they wait for room, each bounded by its own context. The reader never
// waits: the frames it queues itself (refusals, errors) may pass the
// limit, but once they alone add up to limit while the stream takes
// nothing, the other end is sending requests without reading the answers,
// and the peer ends.

// A stream transport is handed a large buffer in chunks: the write timeout
// bounds each chunk, so it measures a stall, not a large frame on a slow
// link. A chunk starts at minChunk and doubles while chunks go out in under
// a sixteenth of the timeout, up to maxChunk, and halves when one takes
// more than a quarter: on loopback a 1 MiB frame is one Write (sixteen
// 64 KiB Writes cost a 1 MiB echo 40 % of its time), while a link must
// still drain maxChunk per timeout, 100 KiB/s at the default 10 s, to
// keep up. Doubling needs the last chunk to have gone 8 times faster than
// that.
const (
	minChunk = 64 << 10
	maxChunk = 1 << 20
)

type sender struct {
	app      codec.FrameAppender // encodes straight into the queue; nil: conn does, through sink
	conn     codec.Conn          // encodes into the queue through sink, where app is nil
	w        io.Writer           // the stream
	messages bool                // the transport keeps Write boundaries: one frame a Write
	timeout  time.Duration
	limit    int
	fail     func(error)
	written  func(replies int)         // responses that reached the stream
	spawn    func(func())              // starts a goroutine of the peer
	try      func([]byte) (int, error) // writes without waiting, where the stream allows

	mu       sync.Mutex
	h        codec.Header // the frame being encoded
	queue    []byte
	ends     []int // where each frame of queue ends, when messages
	replies  int   // responses in queue
	answers  int   // bytes the reader queued since the flusher last took the queue
	flushing bool
	room     chan struct{} // closed when the queue empties; nil if nobody waits
	idle     chan struct{} // closed when nothing is queued or being written
	err      error
	spare    []byte
	spareEnd []int
	keep     bufkeep.Policy // whether a large queue buffer is kept as the spare

	// readerAhead: the reader has bytes of further frames buffered, and
	// will call readerWaits before it next reads the stream. A frame sent
	// meanwhile is left queued for that flush, so that the answers to a
	// burst of requests, and the requests of callers woken by a burst of
	// answers, share one write.
	readerAhead atomic.Bool

	// queuedAny: a frame has been queued, for Greet.
	queuedAny atomic.Bool

	writeStart atomic.Int64 // unix nanoseconds the current chunk began; 0 when not writing
	timer      *time.Timer  // the write watchdog (expired)
	watching   atomic.Bool  // timer is armed
	chunk      int          // the size of the next chunk of a large buffer (write)
}

func (s *sender) init() {
	s.timer = time.AfterFunc(time.Hour, s.expired)
	s.chunk = minChunk
	s.timer.Stop()
}

// sink is the stream a peer's codec.Conn writes to when it cannot append
// frames itself (a codec of the program's own, not a FrameAppender): it
// appends whole frames to the queue. The codec writes only from send,
// under s.mu.
type sink struct{ s *sender }

func (k sink) Write(b []byte) (int, error) {
	s := k.s
	if s.err != nil {
		return 0, s.err
	}
	s.queue = append(s.queue, b...)
	if s.messages {
		s.ends = append(s.ends, len(s.queue))
	}
	return len(b), nil
}

// roomMode is how send waits for room in the queue.
type roomMode int

const (
	waitForRoom roomMode = iota // wait, bounded by the abandon channel
	failIfFull                  // return ErrQueueFull at once
	reader                      // never wait; the reader's own answers, bounded apart
	always                      // never wait, never fail: a cancel, a few bytes
)

// send encodes one frame into the queue. It reports whether the caller
// must now flush (or start a flusher): no flusher was at work. abandon, if
// not nil, ends a wait for room with errAbandoned.
func (s *sender) send(h codec.Header, v any, reply bool, mode roomMode, abandon <-chan struct{}) (flush bool, err error) {
	s.mu.Lock()
	for s.err == nil && len(s.queue) >= s.limit {
		if mode == failIfFull {
			s.mu.Unlock()
			return false, ErrQueueFull
		}
		// Invariant 1: the reader never waits for room.
		if mode == reader || mode == always {
			break
		}
		if s.room == nil {
			s.room = make(chan struct{})
		}
		room := s.room
		s.mu.Unlock()
		select {
		case <-room:
		case <-abandon:
			return false, errAbandoned
		}
		s.mu.Lock()
	}
	// Invariant 3: a flood of refusals the other end does not read ends the peer.
	if s.err == nil && mode == reader && s.answers >= s.limit {
		// The reader's own answers (refusals, errors) fill a whole queue
		// that the stream does not take: the other end floods us with
		// requests and does not read what we answer.
		s.mu.Unlock()
		err := fmt.Errorf("%w: the other end sends requests but does not read the answers", ErrWriteTimeout)
		s.fail(err)
		return false, err
	}
	if s.err != nil {
		err := s.err
		s.mu.Unlock()
		return false, err
	}
	before := len(s.queue)
	s.h = h // a scratch header, so that h does not escape
	if s.app != nil {
		s.queue, err = s.app.AppendFrame(s.queue, &s.h, v)
		if s.messages && len(s.queue) > before {
			s.ends = append(s.ends, len(s.queue))
		}
	} else {
		err = s.conn.Write(&s.h, v)
	}
	queued := len(s.queue) > before
	if queued && !s.queuedAny.Load() {
		s.queuedAny.Store(true)
	}
	if reply && queued {
		s.replies++
	}
	if mode == reader {
		s.answers += len(s.queue) - before
	}
	flush = !s.flushing && len(s.queue) > 0 && !s.readerAhead.Load()
	if flush {
		s.flushing = true
	}
	s.mu.Unlock()
	if reply && !queued {
		// The codec holds this answer (a JSON-RPC 2.0 batch is written
		// whole, with its last answer) or dropped it: its place in flight
		// is given back now, or it would never be.
		s.written(1)
	}
	return flush, err
}

// readerWaits is called by the reader before it reads the stream, which
// may block: what was left queued for it is flushed now, by a goroutine
// (the reader never writes). The store before the lock pairs with send's
// load under it: either send sees the reader gone and flushes, or this
// sees its frame.
func (s *sender) readerWaits() {
	s.readerAhead.Store(false)
	s.mu.Lock()
	start := s.err == nil && !s.flushing && len(s.queue) > 0
	if start {
		s.flushing = true
	}
	s.mu.Unlock()
	if start {
		s.spawn(s.flush)
	}
}

// errAbandoned: a sender's abandon channel closed while it waited.
var errAbandoned = errors.New("peer: send abandoned")

// flushMode is how a flush is done, by whom send told to flush.
type flushMode int

const (
	background flushMode = iota // a goroutine of the sender's: until the queue is empty
	inline                      // a handler, or a caller that cannot be cancelled: one batch
	noWait                      // a caller that must not wait: what the stream takes now
)

// flush writes what is queued until the queue is empty.
func (s *sender) flush() { s.flushFrom(background) }

// flushFrom writes what is queued. Inline and noWait flushers write once:
// if more was queued meanwhile, or the stream could not take it all, a
// goroutine takes over, so that nobody writes for others for long and a
// caller that must not wait never does.
func (s *sender) flushFrom(mode flushMode) {
	if mode == noWait && (s.try == nil || s.messages) {
		s.spawn(s.flush) // this transport cannot be written without waiting
		return
	}
	for round := 0; ; round++ {
		s.mu.Lock()
		if mode != background && round > 0 && s.err == nil && len(s.queue) > 0 {
			s.mu.Unlock()
			s.spawn(s.flush) // still flushing: the new goroutine goes on
			return
		}
		if s.err != nil || len(s.queue) == 0 {
			s.flushing = false
			if s.idle != nil {
				close(s.idle)
				s.idle = nil
			}
			s.mu.Unlock()
			return
		}
		buf, ends, replies := s.queue, s.ends, s.replies
		s.queue, s.ends, s.replies, s.answers = s.spare[:0], s.spareEnd[:0], 0, 0
		s.spare, s.spareEnd = nil, nil
		if s.room != nil {
			close(s.room)
			s.room = nil
		}
		s.mu.Unlock()

		var err error
		if mode == noWait {
			var n int
			if n, err = s.try(buf); err == nil && n < len(buf) {
				// The stream is full: a goroutine waits to write the rest,
				// and goes on flushing.
				s.spawn(func() {
					err := s.write(buf[n:], nil)
					s.done(buf, ends, replies, err)
					s.flush()
				})
				return
			}
		} else {
			err = s.write(buf, ends)
		}
		s.done(buf, ends, replies, err)
	}
}

// done ends the writing of a batch taken from the queue: its buffers go
// back for reuse, and its answers are reported written, or the peer fails.
func (s *sender) done(buf []byte, ends []int, replies int, err error) {
	s.mu.Lock()
	if s.keep.Keep(cap(buf), len(buf)) {
		s.spare = buf[:0]
	}
	s.spareEnd = ends[:0]
	s.mu.Unlock()
	if err != nil {
		s.fail(err) // the flush loop then ends, waking whoever waits for idle
		return
	}
	// Invariant 3: a request leaves flight when its answer reached the stream.
	if replies > 0 {
		s.written(replies)
	}
}

// write writes buf to the stream, one Write per frame for a message
// transport, in chunks otherwise, each bounded by the write timeout.
func (s *sender) write(buf []byte, ends []int) error {
	for start := 0; start < len(buf); {
		end := start + s.chunk
		if len(buf)-end < minChunk { // no short last chunk: a frame's tail rides along
			end = len(buf)
		}
		if s.messages {
			end, ends = ends[0], ends[1:]
		}
		began := time.Now()
		s.writeStart.Store(began.UnixNano())
		// Invariant 2: each chunk on the stream is bounded by the write timeout.
		s.watch()
		_, err := s.w.Write(buf[start:end])
		s.writeStart.Store(0)
		if err != nil {
			return err
		}
		if end-start >= s.chunk {
			s.chunk = nextChunk(s.chunk, time.Since(began), s.timeout)
		}
		start = end
	}
	return nil
}

// nextChunk is the chunk after a full one of size took: doubled when it
// went out in under a sixteenth of the timeout, halved when it took more
// than a quarter.
func nextChunk(size int, took, timeout time.Duration) int {
	switch {
	case took < timeout/16:
		return min(2*size, maxChunk)
	case took > timeout/4:
		return max(size/2, minChunk)
	}
	return size
}

// watch makes sure the watchdog is armed for the write that has just
// stored its start. It stays armed across writes, and looks at whatever
// write is under way when it fires (expired): resetting and stopping a
// timer around every write would cost each call the timer heap's work.
func (s *sender) watch() {
	if !s.watching.Load() && s.watching.CompareAndSwap(false, true) {
		s.timer.Reset(s.timeout)
	}
}

// expired ends the peer if the write under way has made no progress for
// the write timeout, and otherwise looks again at that write's deadline,
// or disarms when no write is under way. Closing the stream is what
// unblocks the write.
func (s *sender) expired() {
	start := s.writeStart.Load()
	if start == 0 {
		s.watching.Store(false)
		if s.writeStart.Load() != 0 { // a write began, and saw the watchdog armed
			s.watch()
		}
		return
	}
	if since := time.Since(time.Unix(0, start)); since < s.timeout {
		s.timer.Reset(s.timeout - since)
		return
	}
	s.fail(fmt.Errorf("%w: a write made no progress for %v", ErrWriteTimeout, s.timeout))
}

// stop makes every later send fail with err and wakes whoever waits.
func (s *sender) stop(err error) {
	s.mu.Lock()
	if s.err == nil {
		s.err = err
	}
	if s.room != nil {
		close(s.room)
		s.room = nil
	}
	if !s.flushing && s.idle != nil {
		close(s.idle)
		s.idle = nil
	}
	s.mu.Unlock()
	s.timer.Stop()
}

// drained returns a channel closed once nothing is queued or being
// written.
func (s *sender) drained() <-chan struct{} {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.flushing && (len(s.queue) == 0 || s.err != nil) {
		return closedChan
	}
	if s.idle == nil {
		s.idle = make(chan struct{})
	}
	return s.idle
}

var closedChan = func() chan struct{} { c := make(chan struct{}); close(c); return c }()

// kick writes what is queued, if send said someone must, in the given
// mode: here, once, for a caller that may wait for the stream (inline);
// here without waiting, and in a goroutine for what the stream does not
// take at once (noWait); or all in a goroutine (background), for the
// reader, which never writes.
func (p *Peer) kick(flush bool, mode flushMode) {
	switch {
	case !flush:
	case mode == background:
		p.goStart(p.out.flush)
	default:
		p.out.flushFrom(mode)
	}
}

// sendUnanswered queues a frame that gets no answer (a notification, a
// progress report) and has it written, waiting for room in the queue no
// longer than ctx: ctx's error if it ended first, the connection's if it
// is gone, and an encoding error as it is.
func (p *Peer) sendUnanswered(ctx context.Context, h codec.Header, v any) error {
	abandon := ctx.Done()
	flush, err := p.out.send(h, v, false, waitForRoom, abandon)
	p.kick(flush, flushFor(abandon))
	switch {
	case err == nil, errors.Is(err, codec.ErrEncode):
		return err
	case errors.Is(err, errAbandoned):
		return ctx.Err()
	}
	return p.closedErr(err)
}

// flushFor is how a caller with this abandon channel flushes: one that
// cannot be cancelled may wait for the stream.
func flushFor(abandon <-chan struct{}) flushMode {
	if abandon == nil {
		return inline
	}
	return noWait
}
