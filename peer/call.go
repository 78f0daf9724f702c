package peer

import (
	"context"
	"errors"
	"fmt"
	"log"
	"log/slog"
	"net/rpc"
	"sync"

	"github.com/duplexrpc/duplex/codec"
)

// call is one request of ours awaiting its answer. It is in p.calls from
// the moment it has a Seq until the reader takes it out to deliver the
// answer, or its caller takes it out to abandon it, or the connection
// ends; whoever takes it out completes it, once.
type call struct {
	seq    uint64
	method string
	reply  any
	err    error

	progress progressSink    // the caller's WithProgress callback; nil: none
	stream   itemSink        // CallStream's items; nil for a plain call
	pq       progressQueue   // its values waiting, while progress is set
	ctx      context.Context // Call's, for the logs; nil for Go and fan-outs

	// Exactly one of these is told of completion.
	done chan struct{} // Call's, with room for one; reused
	rpc  *rpc.Call     // Go's
	fan  chan<- *call  // Hub.CallAll's shared channel
	idx  int           // the call's place in a fan-out
}

// callPool holds Call's calls, with their done channels: a call costs no
// allocation of its own. A call is put back only once its done channel has
// been drained, so a reused one never sees a stale signal.
var callPool = sync.Pool{New: func() any { return &call{done: make(chan struct{}, 1)} }}

func (c *call) complete(err error) {
	c.err = err
	switch {
	case c.rpc != nil:
		c.rpc.Error = err
		select {
		case c.rpc.Done <- c.rpc:
		default: // net/rpc's rule: the caller sized the channel
			slog.Warn("peer: discarding Call reply due to insufficient Done chan capacity", "method", c.method)
		}
	case c.fan != nil:
		c.fan <- c
	default:
		c.done <- struct{}{}
	}
}

// Call calls method on the other end and waits for the answer, or for ctx
// to end.
//
// When ctx ends first Call returns ctx.Err() at once: the call is
// forgotten, its answer, if it comes, is discarded and never written into
// reply, and a cancel message (docs/wire.md, in the dialect's spelling)
// tells the other end, whose handler's context then ends. Waiting for room
// in a full send queue is bounded by ctx too.
//
// The call sends the metadata of ctx (WithMetadata), and asks for
// progress if ctx has a callback for it (WithProgress), which then gets
// every progress value that arrives before the answer, before Call
// returns.
//
// A reply that does not decode into reply fails this call only. A remote
// error is an *Error with the wire's code and data (it is also an
// rpc.ServerError to errors.As), or ErrBusy or ErrDraining for a peer of
// this package that refused the call without running it. When the
// connection is gone the error Is ErrClosed.
func (p *Peer) Call(ctx context.Context, method string, args, reply any) error {
	if p.opts.InterceptCall != nil {
		return p.opts.InterceptCall(ctx, Outgoing{Peer: p, Method: method}, func(ctx context.Context) error {
			return p.call(ctx, method, args, reply)
		})
	}
	return p.call(ctx, method, args, reply)
}

// call is Call without its interceptor.
func (p *Peer) call(ctx context.Context, method string, args, reply any) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	c := callPool.Get().(*call)
	c.method, c.reply, c.progress, c.ctx = method, reply, progressFrom(ctx), ctx
	defer func() {
		c.method, c.reply, c.err, c.progress, c.ctx = "", nil, nil, nil, nil
		c.pq = progressQueue{}
		callPool.Put(c)
	}()
	if err := p.register(c); err != nil {
		return err
	}
	abandon := ctx.Done()
	if err := p.request(ctx, c, args, abandon, flushFor(abandon)); err != nil {
		if !p.forget(c.seq) {
			<-c.done // completed as the connection ended
		}
		if errors.Is(err, errAbandoned) {
			return ctx.Err()
		}
		return err
	}
	if abandon == nil { // a context that never ends: no select to pay for
		<-c.done
		return c.err
	}
	select {
	case <-c.done:
	case <-abandon:
		if p.forget(c.seq) {
			c.leave()
			p.sendCancel(c.seq, ctx)
			return ctx.Err()
		}
		<-c.done // the answer is being delivered: it is the outcome
	}
	return c.err
}

// Go starts a call and returns at once, as rpc.Client.Go does: the call is
// sent on done (made with room for ten if nil) when it completes. It has
// no context; a reply that does not decode fails that call only.
func (p *Peer) Go(method string, args, reply any, done chan *rpc.Call) *rpc.Call {
	if done == nil {
		done = make(chan *rpc.Call, 10)
	} else if cap(done) == 0 {
		log.Panic("rpc: done channel is unbuffered")
	}
	rc := &rpc.Call{ServiceMethod: method, Args: args, Reply: reply, Done: done}
	c := &call{method: method, reply: reply, rpc: rc}
	if err := p.register(c); err != nil {
		c.complete(err)
		return rc
	}
	if err := p.request(context.Background(), c, args, nil, noWait); err != nil && p.forget(c.seq) {
		c.complete(err)
	}
	return rc
}

// register gives c a Seq and puts it among the calls awaiting an answer.
func (p *Peer) register(c *call) (err error) {
	p.update(func(s *inFlight) {
		if s.ended {
			err = p.err
			return
		}
		c.seq = s.nextSeq
		s.nextSeq++
		s.calls[c.seq] = c
	})
	return err
}

// forget takes an unanswered call out, reporting false if it was no
// longer there: its answer is being delivered, or the connection ended.
func (p *Peer) forget(seq uint64) (ok bool) {
	p.update(func(s *inFlight) {
		if _, ok = s.calls[seq]; ok {
			delete(s.calls, seq)
		}
	})
	return ok
}

// request queues c's request frame, with the metadata of ctx and, if c
// wants progress, its token, and has it written in the given mode (see
// kick). abandon ends a wait for room.
func (p *Peer) request(ctx context.Context, c *call, args any, abandon <-chan struct{}, mode flushMode) error {
	h := codec.Header{Kind: codec.Request, ServiceMethod: p.registry.wireName(c.method), Seq: c.seq, Meta: OutgoingMetadata(ctx)}
	if c.progress != nil {
		h.Token = codec.NumberID(c.seq)
	}
	if c.stream != nil {
		h.Stream = streamToken(c.seq)
	}
	flush, err := p.out.send(h, args, false, waitForRoom, abandon)
	p.kick(flush, mode)
	if err != nil && !errors.Is(err, errAbandoned) && !errors.Is(err, codec.ErrEncode) {
		return p.closedErr(err)
	}
	return err
}

// sendCancel tells the other end that we gave up on our request seq, and
// why, where the dialect says: ctx's cause (context.WithCancelCause), or
// its error. It never waits.
func (p *Peer) sendCancel(seq uint64, ctx context.Context) {
	h := codec.Header{Kind: codec.Cancel, Seq: seq}
	if cause := context.Cause(ctx); cause != nil {
		h.Error = cause.Error()
	}
	flush, _ := p.out.send(h, nil, false, always, nil)
	p.kick(flush, noWait)
}

// closedErr is the error a call fails with once the connection is gone.
func (p *Peer) closedErr(err error) error {
	if e := p.Err(); e != nil {
		return e
	}
	if errors.Is(err, ErrClosed) {
		return err
	}
	return fmt.Errorf("%w: %w", ErrClosed, err)
}

// Notify sends a notification: a call that expects no answer, so neither a
// result nor a remote error comes back. It returns once the frame is
// queued to be written, in order with every other frame; waiting for room
// in a full queue is bounded by ctx.
func (p *Peer) Notify(ctx context.Context, method string, args any) error {
	if p.opts.InterceptCall != nil {
		return p.opts.InterceptCall(ctx, Outgoing{Peer: p, Method: method, Notify: true}, func(ctx context.Context) error {
			return p.notify(ctx, method, args)
		})
	}
	return p.notify(ctx, method, args)
}

// notify is Notify without its interceptor.
func (p *Peer) notify(ctx context.Context, method string, args any) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if err := p.Err(); err != nil {
		return err
	}
	h := codec.Header{Kind: codec.Notification, ServiceMethod: p.registry.wireName(method), Meta: OutgoingMetadata(ctx)}
	return p.sendUnanswered(ctx, h, args)
}

// deliver hands the answer the reader has just read to its call, decoding
// the body straight into the caller's reply. An answer nobody waits for
// (an abandoned call's) is read and dropped.
func (p *Peer) deliver(h *codec.Header) error {
	var c *call
	p.update(func(s *inFlight) {
		if c = s.calls[h.Seq]; c != nil {
			delete(s.calls, h.Seq)
		}
	})
	if c == nil || h.Error != "" {
		if err := p.conn.ReadBody(nil); err != nil {
			return err
		}
		if c != nil {
			c.finish(remoteError(h, p.codec))
		}
		return nil
	}
	var err error
	if rerr := p.conn.ReadBody(c.reply); rerr != nil {
		err = fmt.Errorf("peer: decoding the reply of %s: %w", c.method, rerr)
	}
	c.finish(err)
	return nil
}
