package peer

import (
	"context"
	"sync"

	"github.com/duplexrpc/duplex/codec"
)

// Progress, both ways.
//
// A caller asks for progress with WithProgress. The call then carries a
// progress token (its sequence number), which the dialect puts where its
// protocol wants it (codec.Dialect). The handler reports with
// ReportProgress; the other end's progress messages for that token are
// decoded by the reader, straight into a fresh value, and queued on the
// call. One goroutine per call delivers them to the callback, in the
// order they arrived, and then the call's outcome: an answer, an error,
// or the connection's end. So the reader never waits on a callback, and
// Call returns only after every progress message read before its answer
// has been delivered, and none is delivered after.

// progressSink is a caller's progress callback, typed.
type progressSink interface {
	newValue() any // a pointer for the reader to decode a value into
	deliver(v any) // calls the callback with what newValue made
}

// progressFunc is the sink of WithProgress[T].
type progressFunc[T any] func(T)

func (f progressFunc[T]) newValue() any { return new(T) }
func (f progressFunc[T]) deliver(v any) { f(*v.(*T)) }

// progressKey is the context key of a caller's progress callback.
type progressKey struct{}

// WithProgress returns a context whose calls ask the other end for
// progress, and run fn with each progress value that comes for them,
// decoded into a T (json.RawMessage, codec.Raw or any take any shape).
// For one call, fn runs on one goroutine at a time, in the order the
// values arrived; every value that arrived before the call's answer has
// been given to fn before Call returns, and none is given after. fn must
// not block for long: while it runs, the next values wait, and a Call
// whose context ends waits for it to return.
//
// What the value is depends on the protocol: LSP's $/progress value
// ({"kind":"report","percentage":50}), MCP's params ({"progress":1,
// "total":3,"message":"…"}), or whatever a handler of this package passed
// to ReportProgress.
//
// A flood is bounded: at most Options.ProgressQueue values wait for fn
// per call; past that, the oldest waiting value is dropped, so the newest
// always get through, and the drop is logged. Only Call reports
// progress; Go, Notify and fan-outs ignore it.
func WithProgress[T any](ctx context.Context, fn func(T)) context.Context {
	if fn == nil {
		return ctx
	}
	return context.WithValue(ctx, progressKey{}, progressSink(progressFunc[T](fn)))
}

// progressFrom returns the progress callback of a caller's ctx, or nil.
func progressFrom(ctx context.Context) progressSink {
	s, _ := ctx.Value(progressKey{}).(progressSink)
	return s
}

// ReportProgress sends v as progress on the request that a handler's ctx
// serves, if its caller asked for progress; otherwise it does nothing and
// returns nil. It returns once the message is queued to be written, ahead
// of the answer; waiting for room in a full send queue is bounded by ctx.
// After the handler has returned, the request is answered and
// ReportProgress does nothing; after its context ended (its caller
// cancelled), it sends nothing and returns the context's error. v must encode as an object for the mcp
// dialect, whose progress params are v's own members beside the token.
func ReportProgress(ctx context.Context, v any) error {
	r := servedFrom(ctx)
	if r == nil || r.token.IsZero() {
		return nil
	}
	p, _ := FromContext(ctx)
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.answered {
		return nil
	}
	if err := ctx.Err(); err != nil {
		return err // cancelled: its caller wants nothing more of it
	}
	return p.sendUnanswered(ctx, codec.Header{Kind: codec.Progress, Token: r.token}, v)
}

// logContext is the context a log line about c is written with: its
// caller's, so that a log handler finds the trace in it.
func (c *call) logContext() context.Context {
	if c.ctx != nil {
		return c.ctx
	}
	return context.Background()
}

// progressQueue holds the progress values of one call that wait for its
// callback, and the call's outcome once it is known.
type progressQueue struct {
	mu      sync.Mutex
	items   []any
	running bool          // a goroutine delivers
	done    bool          // the outcome is known: complete the call after the items
	doneErr error         // the outcome
	left    bool          // the caller left (its context ended): deliver nothing more
	idle    chan struct{} // closed when the deliverer stops, for a caller that left while fn ran
	dropped int
}

// progressFor hands a progress frame of token to the call that asked for
// it, decoding its value; ok is false when no call of ours waits on that
// token, and the frame is then served as the notification it is. err is
// a stream that broke.
func (p *Peer) progressFor(h *codec.Header) (ok bool, err error) {
	if seq, isStream := streamSeq(h.Token); isStream {
		return p.itemFor(seq)
	}
	seq, isNumber := h.Token.Uint64()
	if !isNumber {
		return false, nil
	}
	var c *call
	var sink progressSink
	p.update(func(s *inFlight) {
		if c = s.calls[seq]; c != nil {
			sink = c.progress
		}
	})
	if sink == nil {
		return false, nil
	}
	v := sink.newValue()
	if err := p.conn.ReadBody(&codec.ProgressValue{V: v}); err != nil {
		// A value that does not decode fails that frame only; a stream
		// that broke fails the next header.
		p.log.DebugContext(c.logContext(), "peer: progress value dropped", "method", c.method, "error", err)
		return true, nil
	}
	p.update(func(s *inFlight) {
		if s.calls[seq] == c { // still c, not left and not reused: c.pq is its
			p.queueProgress(c, v)
		}
	})
	return true, nil
}

// queueProgress queues v for c's callback, starting its deliverer. It is
// called within update: c is among the calls awaiting an answer.
func (p *Peer) queueProgress(c *call, v any) {
	q := &c.pq
	q.mu.Lock()
	if q.left || q.done {
		q.mu.Unlock()
		return
	}
	if len(q.items) >= p.opts.ProgressQueue {
		q.items[0] = nil
		q.items = q.items[1:]
		if q.dropped++; q.dropped == 1 {
			p.log.WarnContext(c.logContext(), "peer: progress dropped: the callback is slower than the progress", "method", c.method, "queue", p.opts.ProgressQueue)
		}
	}
	q.items = append(q.items, v)
	start := !q.running
	q.running = true
	q.mu.Unlock()
	if start {
		p.goStart(func() { p.deliverProgress(c) })
	}
}

// deliverProgress gives c's queued values to its callback, in order, and
// then, if it is known, its outcome.
func (p *Peer) deliverProgress(c *call) {
	q := &c.pq
	for {
		q.mu.Lock()
		switch {
		case q.left:
			q.stopLocked()
			q.mu.Unlock()
			return
		case len(q.items) > 0:
			v := q.items[0]
			q.items[0] = nil
			q.items = q.items[1:]
			q.mu.Unlock()
			c.progress.deliver(v)
			continue
		case q.done:
			err := q.doneErr
			q.stopLocked()
			q.mu.Unlock()
			c.complete(err) // c may be reused from here on
			return
		}
		q.stopLocked()
		q.mu.Unlock()
		return
	}
}

// stopLocked marks the deliverer gone. q.mu is held.
func (q *progressQueue) stopLocked() {
	q.running = false
	q.items = nil
	if q.idle != nil {
		close(q.idle)
		q.idle = nil
	}
}

// finish completes c with err: at once, or, while progress values wait
// for its callback, after them.
func (c *call) finish(err error) {
	if c.stream != nil {
		c.stream.end(err) // after the items queued before it
		c.complete(err)
		return
	}
	if c.progress != nil {
		q := &c.pq
		q.mu.Lock()
		if q.running {
			q.done, q.doneErr = true, err
			q.mu.Unlock()
			return
		}
		q.mu.Unlock()
	}
	c.complete(err)
}

// leave stops the delivery of c's progress for a caller that gave up, and
// waits until a callback running for it has returned.
func (c *call) leave() {
	if c.progress == nil {
		return
	}
	q := &c.pq
	q.mu.Lock()
	q.left = true
	if !q.running {
		q.mu.Unlock()
		return
	}
	if q.idle == nil {
		q.idle = make(chan struct{})
	}
	idle := q.idle
	q.mu.Unlock()
	<-idle
	q.mu.Lock() // the deliverer has let go of q: c may be reused
	q.mu.Unlock()
}
