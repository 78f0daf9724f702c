package peer

import (
	"context"
	"errors"
	"fmt"
	"io"
	"reflect"
	"runtime/debug"
	"sync"
	"sync/atomic"
	"time"

	"github.com/duplexrpc/duplex/codec"
)

// How a peer reads and serves.
//
// One goroutine at a time reads the connection. It delivers answers to
// our calls itself, straight into the callers' replies, and acts on
// cancels. For a request it looks up the method, decodes the argument,
// and then hands reading over while it runs the handler itself: the
// handler starts at once, on a goroutine that is already running. The
// next reader is the spare, a goroutine that served an earlier request
// and waits, stack grown, to read; or a new one if there is no spare.
// There is one reader, one goroutine per running handler, and at most one
// spare, which ends after one to two spareLingers without a request to
// read for: an idle connection keeps its reader only.
//
// Invariant 1: the reader never writes. The answers it must give itself
// (a busy refusal, an unknown method, bad params) are queued, and a
// flusher writes them.

// incoming is one request or notification of theirs, being served.
type incoming struct {
	h         codec.Header
	svc       *service
	m         *method
	arg       reflect.Value
	ctx       context.Context
	req       *request                // ctx, when it knows the request; nil otherwise
	ran       context.Context         // the context the handler ran with (an interceptor's, say): for the logs
	out       *outStream              // a streaming handler's stream
	cancel    context.CancelCauseFunc // nil: nothing can cancel it
	counted   bool                    // holds a place in flight (inFlight.incoming)
	cancelled atomic.Bool             // the caller sent a cancel
}

// goRead starts a reader. It is goStart spelled out, which saves the
// allocation of a closure.
func (p *Peer) goRead() {
	p.live.Add(1)
	go p.readUntilDone()
}

// readUntilDone reads, serves the request it hands reading over for, and
// then waits as the spare reader; until the connection ends or another
// goroutine is the spare already.
func (p *Peer) readUntilDone() {
	defer p.goEnd()
	for p.read() && p.park() {
	}
}

// spareLinger is how long a spare waits to be the reader before it ends,
// at the least (twice that at the most): long enough to outlast the gaps
// of a busy connection, short enough that a thousand idle connections do
// not keep a thousand spare stacks.
const spareLinger = time.Second

// handOver makes another goroutine the reader: the spare, woken, or a new
// one. A spare keeps the stack it grew serving, so that a busy connection
// does not start a goroutine, and grow its stack, for every request.
func (p *Peer) handOver() {
	if p.spare.CompareAndSwap(true, false) {
		p.wake <- true
		return
	}
	p.goRead()
}

// park waits to be woken as the reader, reporting false if this goroutine
// should end instead: another one is the spare, the connection ended
// (endSpare), or the reaper found it waiting for a spareLinger (reap).
func (p *Peer) park() bool {
	if !p.spare.CompareAndSwap(false, true) {
		return false
	}
	p.armReaper(p.parks.Add(1))
	select {
	case <-p.done: // ended before it saw this spare: end will not wake it
		if p.spare.CompareAndSwap(true, false) {
			return false
		}
		<-p.wake // whoever took the spare first (a hand-over, the reaper) tells it
		return false
	default:
	}
	// One channel, not a select with done: whoever makes the spare stop
	// waiting (handOver, reap, end) takes it first, and then says whether
	// it reads.
	if !<-p.wake {
		return false
	}
	select {
	case <-p.done:
		return false
	default:
		return true
	}
}

// endSpare wakes the spare, if one waits, to end: the connection has ended.
func (p *Peer) endSpare() {
	if p.spare.CompareAndSwap(true, false) {
		p.wake <- false
	}
}

// armReaper makes sure that a reaper looks at the spare a spareLinger
// after its park numbered parks, unless one is due already. The spare's
// own wait has no timer: a timer in its select would cost every
// sequential call the timer heap's work, twice.
func (p *Peer) armReaper(parks uint64) {
	if p.reaping.Load() || !p.reaping.CompareAndSwap(false, true) {
		return
	}
	time.AfterFunc(spareLinger, func() { p.reap(parks) })
}

// reap ends the spare if it has waited since the park numbered parks, a
// spareLinger ago: no park came since, and it is still the spare. A spare
// that parked since is looked at again a spareLinger on, so that an idle
// spare ends within one to two spareLingers.
func (p *Peer) reap(parks uint64) {
	if p.parks.Load() == parks && p.spare.CompareAndSwap(true, false) {
		p.wake <- false // its park, waiting still: it ends
	}
	p.reaping.Store(false)
	if p.spare.Load() {
		p.armReaper(p.parks.Load())
	}
}

// read reads frames until the connection fails (it returns false) or it
// hands reading over to a successor and runs a handler (true).
func (p *Peer) read() bool {
	h := &p.rh // the reader's own: a successor starts only once take has copied it
	for {
		if err := p.conn.ReadHeader(h); err != nil {
			// A clean end between frames may be a half-close: answer
			// what was asked before closing.
			p.out.readerWaits()
			p.end(err, !errors.Is(err, io.EOF))
			return false
		}
		if p.ahead != nil && p.ahead.ReadAhead() {
			p.out.readerAhead.Store(true)
		}
		p.touch()
		p.firstFrame()
		var err error
		switch h.Kind {
		case codec.Response:
			err = p.deliver(h)
		case codec.Cancel:
			if err = p.conn.ReadBody(nil); err == nil {
				p.cancelIncoming(h.Seq, h.Error)
			}
		case codec.Credit:
			if err = p.conn.ReadBody(nil); err == nil {
				p.creditFor(h)
			}
		case codec.Progress:
			var mine bool
			if mine, err = p.progressFor(h); mine || err != nil {
				break
			}
			// No call of ours waits on that token: the notification it
			// is (LSP's $/progress of a token the server made) is served.
			h.Kind = codec.Notification
			fallthrough
		default: // a request or notification; kind 0 is a stock gob client's request
			var in *incoming
			if in, err = p.take(h); err != nil || in == nil {
				break
			}
			if in.h.Kind == codec.Notification && p.opts.OrderedNotifications {
				p.queueOrdered(in, true)
				break
			}
			if p.opts.RequestsAfterNotifications && p.queueOrdered(in, false) {
				break
			}
			p.handOver()
			p.serve(in)
			return true
		}
		if err != nil {
			p.fail(err)
			return false
		}
	}
}

// take admits a request, finds its method and decodes its argument. It
// returns nil when the request has been answered or dropped already, and
// an error only when the stream broke.
func (p *Peer) take(h *codec.Header) (*incoming, error) {
	if h.Kind == 0 {
		h.Kind = codec.Request
	}
	notice := h.Kind == codec.Notification
	ordered := notice && p.opts.OrderedNotifications
	var refused error
	p.update(func(s *inFlight) {
		switch {
		case s.draining && !notice:
			refused = ErrDraining
		case ordered:
		case s.incoming >= p.opts.MaxInFlight:
			refused = ErrBusy
		default:
			s.incoming++
		}
	})
	in := incomingPool.Get().(*incoming)
	in.h, in.counted = *h, refused == nil && !ordered

	// Anything but a request to run is read past and answered here.
	var answer string
	var code int
	switch {
	case refused != nil:
		answer = refused.Error()
		if notice {
			p.log.Warn("peer: notification dropped: too many requests in flight", "method", h.ServiceMethod)
		} else {
			p.log.Warn("peer: request refused", "method", h.ServiceMethod, "error", refused)
		}
	case h.Error != "": // the codec refused it: a malformed message
		answer, code = h.Error, h.Code
	default:
		svc, m, err := p.registry.lookup(p.registry.goName(h.ServiceMethod), p.opts.Dialect.CancelMethod)
		if err != nil {
			answer, code = err.Error(), codec.CodeMethodNotFound
			if notice { // heartbeats, and cancels of requests that are done
				p.log.Debug("peer: notification dropped", "method", h.ServiceMethod, "error", err)
			}
			break
		}
		ptr, arg := m.newArg()
		if err := p.conn.ReadBody(ptr); err != nil {
			p.log.Debug("peer: request refused", "method", h.ServiceMethod, "error", err)
			p.answerNow(in, err.Error(), codec.CodeInvalidParams)
			p.free(in)
			return nil, nil // a stream that broke fails the next header
		}
		if m.stream && h.Stream.IsZero() && p.opts.Dialect.CreditMethod != "" {
			// A plain call of a streaming method: answered before the
			// handler runs, so that a caller that calls again as a
			// stream runs nothing twice.
			p.answerNow(in, ErrNotStreamed.Error(), codec.CodeNotStreamed)
			p.free(in)
			return nil, nil
		}
		in.svc, in.m, in.arg = svc, m, arg
		p.bindContext(in, m.withCtx || m.stream)
		if m.stream {
			in.out = p.openStream(in) // before the next frame: its credit may be next
		}
		return in, nil
	}
	err := p.conn.ReadBody(nil)
	if err == nil {
		p.answerNow(in, answer, code)
	}
	p.free(in)
	return nil, err
}

// incomingPool holds served incomings: serving a request costs no
// allocation of its own.
var incomingPool = sync.Pool{New: func() any { return new(incoming) }}

// free puts in back once nothing refers to it: it is out of serving.
func (p *Peer) free(in *incoming) {
	in.h, in.svc, in.m, in.arg, in.ctx, in.req, in.ran, in.out, in.cancel, in.counted = codec.Header{}, nil, nil, reflect.Value{}, nil, nil, nil, nil, nil, false
	in.cancelled.Store(false)
	incomingPool.Put(in)
}

// bindContext gives a request that will run the context its handler and
// interceptor see, if either takes one: it carries the peer, the request's
// id, metadata and progress token, and ends when the caller cancels (a
// request) or the connection ends. A request that can be cancelled, or
// whose cancel means no answer (the dialect's), is entered in serving.
func (p *Peer) bindContext(in *incoming, withCtx bool) {
	h := &in.h
	notice := h.Kind == codec.Notification
	if withCtx || p.opts.Intercept != nil {
		switch {
		case !notice:
			r := &request{id: h.ID, meta: h.Meta, token: h.Token}
			r.Context, in.cancel = context.WithCancelCause(p.ctx)
			in.ctx, in.req = r, r
		case h.Meta != nil:
			r := &request{Context: p.ctx, meta: h.Meta}
			in.ctx, in.req = r, r
		default:
			in.ctx = p.ctx
		}
	}
	if !notice && (in.cancel != nil || !p.opts.Dialect.AnswerCancelled) {
		p.update(func(s *inFlight) { s.serving[h.Seq] = in })
	}
}

// answerNow answers a request the reader could not serve, with errText
// and the standard code of its kind; a notification is only let go. It
// never waits.
func (p *Peer) answerNow(in *incoming, errText string, code int) {
	if in.h.Kind == codec.Notification {
		p.release(in)
		return
	}
	h := codec.Header{Kind: codec.Response, ServiceMethod: in.h.ServiceMethod, Seq: in.h.Seq, Error: errText, Code: code, StandardCode: true}
	flush, _ := p.out.send(h, nil, in.counted, reader, nil)
	p.kick(flush, background) // the reader never writes
}

// release gives back a notification's place in flight.
func (p *Peer) release(in *incoming) {
	if in.counted {
		p.answered(1)
	}
}

// answered gives back the places in flight of n requests whose answers
// have reached the stream (or that needed none).
func (p *Peer) answered(n int) {
	p.update(func(s *inFlight) { s.incoming -= n })
}

// serve runs a request's handler and answers it.
func (p *Peer) serve(in *incoming) {
	reply := in.m.newReply()
	if out := in.out; out != nil {
		reply.Interface().(streamBinder).bindStream(out)
	}
	err := p.run(in, reply)
	if out := in.out; out != nil {
		p.endStream(out)
		reply = out.collected() // a stream's answer is a null result, after its items
	}
	if in.cancel != nil || in.h.Kind == codec.Request && !p.opts.Dialect.AnswerCancelled {
		p.update(func(s *inFlight) { delete(s.serving, in.h.Seq) })
	}
	if in.cancel != nil {
		in.cancel(nil)
	}
	logCtx := in.logContext()
	if in.h.Kind == codec.Notification {
		if err != nil {
			p.log.DebugContext(logCtx, "peer: notification failed", "method", in.h.ServiceMethod, "error", err)
		}
		p.release(in)
		p.free(in)
		return
	}
	if r := in.req; r != nil && !r.token.IsZero() {
		r.mu.Lock() // no progress after the answer
		r.answered = true
		r.mu.Unlock()
	}
	h := codec.Header{Kind: codec.Response, ServiceMethod: in.h.ServiceMethod, Seq: in.h.Seq}
	cancelled := in.cancelled.Load()
	p.free(in)
	if cancelled && !p.opts.Dialect.AnswerCancelled {
		p.answered(1) // the dialect answers no cancelled request (MCP)
		return
	}
	var body any
	if err != nil {
		p.errorFrame(&h, err, cancelled)
	} else if reply.IsValid() {
		body = reply.Interface()
	}
	// A handler writes the stream itself: it has nobody to return to.
	flush, err := p.out.send(h, body, true, waitForRoom, nil)
	p.kick(flush, inline)
	if errors.Is(err, codec.ErrEncode) {
		p.log.ErrorContext(logCtx, "peer: reply not sent", "method", h.ServiceMethod, "error", err)
	}
}

// logContext is the context a log line about in is written with: the one
// its handler ran with, so that a log handler finds the trace in it.
func (in *incoming) logContext() context.Context {
	switch {
	case in.ran != nil:
		return in.ran
	case in.ctx != nil:
		return in.ctx
	}
	return context.Background()
}

// run calls the handler, through the interceptor if there is one,
// turning a panic into an error for this call only (invariant 6): the
// handler's, which the interceptor sees as serve's error, or the
// interceptor's own.
func (p *Peer) run(in *incoming, reply reflect.Value) (err error) {
	if p.opts.Intercept == nil {
		return p.handle(in, in.ctx, reply)
	}
	defer p.recoverPanic(in, &err)
	return p.opts.Intercept(in.ctx, in.h.ServiceMethod, func(ctx context.Context) error {
		return p.handle(in, ctx, reply)
	})
}

// handle calls the handler of in, turning a panic into its error.
func (p *Peer) handle(in *incoming, ctx context.Context, reply reflect.Value) (err error) {
	in.ran = ctx
	defer p.recoverPanic(in, &err)
	return in.m.call(ctx, in.svc.rcvr, in.arg, reply)
}

// recoverPanic, deferred, turns a panic into *err and logs its stack,
// with the handler's context.
func (p *Peer) recoverPanic(in *incoming, err *error) {
	// Invariant 6: a panic fails this call only.
	if r := recover(); r != nil {
		p.panicLog.ErrorContext(in.logContext(), "peer: handler panicked", "method", in.h.ServiceMethod, "panic", r, "stack", string(debug.Stack()))
		*err = fmt.Errorf("%w: %s", errPanicked, in.h.ServiceMethod)
	}
}

// cancelIncoming ends the context of their request seq, if its handler
// takes one and is still running, with the reason the cancel gave as its
// cause. The reader registers a request before it reads the next frame,
// so a cancel never overtakes its request.
func (p *Peer) cancelIncoming(seq uint64, reason string) {
	p.update(func(s *inFlight) { // within: once out of serving, in may serve another request
		if in := s.serving[seq]; in != nil {
			in.cancelled.Store(true)
			if in.cancel != nil {
				in.cancel(&CancelledError{Reason: reason})
			}
		}
	})
}

// orderedQueue holds notifications served one at a time, in order, and,
// with RequestsAfterNotifications, the requests read between them, each
// started in its turn.
type orderedQueue struct {
	items   []*incoming
	notices int  // the notifications among items, which NotificationQueue bounds
	running bool // a goroutine is serving them
}

// queueOrdered queues an incoming for the ordered server. A notification
// is always queued (always set); a request only behind notifications
// waiting or being served, and queueOrdered reports whether it was: if
// not, nothing is ahead of it and it starts at once. Requests are bounded
// by MaxInFlight, notifications by NotificationQueue: a notification past
// it ends the connection, as a gap in an ordered stream would go
// unnoticed.
func (p *Peer) queueOrdered(in *incoming, always bool) bool {
	var queued, full, start bool
	p.update(func(s *inFlight) {
		if !always && !s.ordered.running {
			return
		}
		if always {
			if full = s.ordered.notices >= p.opts.NotificationQueue; full {
				return
			}
			s.ordered.notices++
		}
		s.ordered.items = append(s.ordered.items, in)
		queued, start = true, !s.ordered.running
		s.ordered.running = true
	})
	if full {
		p.fail(fmt.Errorf("%w (%d waiting)", ErrNotificationOverflow, p.opts.NotificationQueue))
		return true
	}
	if start {
		p.goStart(p.serveOrdered)
	}
	return queued
}

// serveOrdered serves the ordered queue until it is empty: each
// notification in turn, and each request started when its turn comes.
// Once the peer has ended, the notifications still queued are dropped;
// the requests are started all the same, as every request taken is
// answered, or fails, as the connection allows.
func (p *Peer) serveOrdered() {
	for {
		var in *incoming
		var ended bool
		p.update(func(s *inFlight) {
			if len(s.ordered.items) == 0 {
				s.ordered.items, s.ordered.notices, s.ordered.running = nil, 0, false
				return
			}
			in = s.ordered.items[0]
			s.ordered.items[0] = nil
			s.ordered.items = s.ordered.items[1:]
			if in.h.Kind == codec.Notification {
				s.ordered.notices--
			}
			ended = s.ended
		})
		switch {
		case in == nil:
			return
		case in.h.Kind != codec.Notification:
			p.startRequest(in)
		case ended:
			p.free(in) // an ordered notification holds no place in flight
		default:
			p.serve(in)
		}
	}
}

// startRequest serves a request that waited in the ordered queue, on a
// goroutine of its own.
func (p *Peer) startRequest(in *incoming) { p.goStart(func() { p.serve(in) }) }
