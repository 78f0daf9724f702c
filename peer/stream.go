package peer

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"iter"
	"reflect"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/duplexrpc/duplex/codec"
)

// Streams: a call that yields many results.
//
// A streaming handler takes a *Stream[T] where a handler takes its reply,
// and sends each item with Send; its caller ranges over CallStream. The
// items travel as progress frames of the call's stream token, before its
// answer (docs/wire.md §13), so every codec carries them, and under the
// lsp dialect they are LSP's partial results.
//
// Flow control is by credits, counted in items: the consumer grants the
// producer a window (Options.StreamWindow) with the request, and grants
// again as it takes items, so the producer never has more than a window
// of items unconsumed, and a consumer that reads slowly slows the
// producer. Items, not bytes: a consumer knows how many items it can hold
// and chooses the window for their size, where a byte count would have to
// be kept of encodings, on both ends, in each codec. The window is the
// only buffer: memory on either side stays within a window of items plus
// the connection's own buffers.

// The defaults of the stream options.
const (
	// DefaultStreamWindow is the items a consumer lets its producer send
	// ahead, when Options.StreamWindow is zero.
	DefaultStreamWindow = 64
	// DefaultStreamStall is how long a producer waits for credit before
	// its stream fails, when Options.StreamStall is zero.
	DefaultStreamStall = 30 * time.Second
)

// uncreditedWindow bounds the items a consumer holds from a producer the
// dialect grants no credit to (LSP's partial results): past it, the
// stream fails rather than grow.
const uncreditedWindow = 1024

// Stream is the sending end of a stream, handed to a streaming handler:
//
//	func (t *T) Lines(ctx context.Context, q *Query, out *peer.Stream[Line]) error
//
// Send each item; return nil to end the stream, or an error, which the
// caller's loop ends with. A Stream is used by its handler's goroutine
// only, and not after the handler returns.
type Stream[T any] struct{ out *outStream }

// Send sends v as the next item, once the consumer has room for it: it
// waits while the consumer's window is full, until the consumer takes
// items, the call's context ends (the caller broke off, or cancelled), or
// the consumer has granted nothing for Options.StreamStall
// (ErrStreamStalled). A method called as a plain call, by a caller that
// does not take streams, fails with ErrNotStreamed.
//
// Under a dialect without credit (lsp), a caller that did not ask for
// partial results gets the whole result in the answer, as LSP wants: Send
// then only collects v (see Stream).
func (s *Stream[T]) Send(v T) error {
	if s == nil || s.out == nil {
		return ErrNotStreamed
	}
	if c := s.out.collect; c != nil {
		return c.add(reflect.ValueOf(&v).Elem())
	}
	return s.out.send(v)
}

// bindStream gives s its state: the registry finds streaming handlers by
// this method.
func (s *Stream[T]) bindStream(o *outStream) {
	s.out = o
	o.item = reflect.TypeFor[T]()
	if o.collect != nil {
		o.collect.start(reflect.TypeFor[T]())
	}
}

// streamItem is the type of s's items, for Registry.Methods.
func (s *Stream[T]) streamItem() reflect.Type { return reflect.TypeFor[T]() }

// streamBinder is a *Stream[T] of any T.
type streamBinder interface {
	bindStream(*outStream)
	streamItem() reflect.Type
}

var typeOfStreamBinder = reflect.TypeFor[streamBinder]()

// outStream is the producer's side of one stream.
type outStream struct {
	p      *Peer
	ctx    context.Context
	token  codec.ID // zero: the caller did not ask for a stream
	credit bool     // the dialect grants credit: wait for it

	// collect gathers the items of a call that did not ask for a stream,
	// under a dialect without credit (lsp), to answer with them all.
	collect *collector
	item    reflect.Type // the type of the items

	mu    sync.Mutex
	avail uint64        // items the consumer has room for
	more  chan struct{} // signalled when credit comes
}

func newOutStream(p *Peer, ctx context.Context, token codec.ID) *outStream {
	o := &outStream{p: p, ctx: ctx, token: token, credit: p.opts.Dialect.CreditMethod != "", more: make(chan struct{}, 1)}
	if token.IsZero() && !o.credit {
		o.collect = &collector{}
	}
	return o
}

// collected is the answer of a stream: its items, where they were
// collected; an empty list after LSP's partial results of lists, since
// LSP wants the final response "empty in terms of result values" and some
// of its methods (textDocument/documentColor) have no null result; else
// nothing (a null result).
func (o *outStream) collected() reflect.Value {
	switch {
	case o.collect != nil:
		return o.collect.all // an empty list for no items
	case !o.credit && !o.token.IsZero() && o.item != nil && o.item.Kind() == reflect.Slice:
		return reflect.MakeSlice(o.item, 0, 0)
	}
	return reflect.Value{}
}

// MaxCollected bounds the items a streaming handler sends to a caller that
// takes them in one answer (under the lsp dialect, a request without a
// partialResultToken): the answer is one frame, held whole until it is
// written, and past this many items the handler's Send fails instead.
const MaxCollected = 1 << 16

// collector gathers a stream's items into one result: a slice of them or,
// where an item is itself a slice (LSP's partial results are arrays, each
// appending to the result), their elements appended.
type collector struct {
	all  reflect.Value // the result so far
	flat bool          // the items are slices, whose elements are appended
	n    int           // the items, or elements, in it
}

// start makes the empty result of a stream of item.
func (c *collector) start(item reflect.Type) {
	c.flat = item.Kind() == reflect.Slice
	if !c.flat {
		item = reflect.SliceOf(item)
	}
	c.all = reflect.MakeSlice(item, 0, 0)
}

func (c *collector) add(v reflect.Value) error {
	n := 1
	if c.flat {
		n = v.Len()
	}
	if c.n+n > MaxCollected {
		return fmt.Errorf("peer: the stream has more than %d items for a caller that takes them in one answer (under the lsp dialect, a request without a partialResultToken): send fewer, or have the client ask for partial results", MaxCollected)
	}
	if c.flat {
		c.all = reflect.AppendSlice(c.all, v)
	} else {
		c.all = reflect.Append(c.all, v)
	}
	c.n += n
	return nil
}

func (o *outStream) send(v any) error {
	if o.token.IsZero() {
		return ErrNotStreamed
	}
	if err := o.take(); err != nil {
		return err
	}
	h := codec.Header{Kind: codec.Progress, Token: o.token}
	abandon := o.ctx.Done()
	flush, err := o.p.out.send(h, v, false, waitForRoom, abandon)
	// A flusher of the sender's own writes what is queued: the items the
	// producer sends while it writes leave together in the next write,
	// where the producer writing each itself would make a call per item.
	o.p.kick(flush, background)
	switch {
	case err == nil, errors.Is(err, codec.ErrEncode):
		return err
	case errors.Is(err, errAbandoned):
		return o.ctx.Err()
	}
	return o.p.closedErr(err)
}

// take waits for credit for one item, bounded by the context and the
// stall timeout.
func (o *outStream) take() error {
	if !o.credit {
		return o.ctx.Err()
	}
	var stall *time.Timer
	for {
		o.mu.Lock()
		if o.avail > 0 {
			o.avail--
			o.mu.Unlock()
			if stall != nil {
				stall.Stop()
			}
			return nil
		}
		o.mu.Unlock()
		if stall == nil {
			stall = time.NewTimer(o.p.opts.StreamStall)
		}
		select {
		case <-o.more:
		case <-o.ctx.Done():
			stall.Stop()
			return o.ctx.Err()
		case <-stall.C:
			return fmt.Errorf("%w: no credit for %v", ErrStreamStalled, o.p.opts.StreamStall)
		}
	}
}

// grant adds n items of room, from the consumer's credit.
func (o *outStream) grant(n uint64) {
	o.mu.Lock()
	o.avail += n
	o.mu.Unlock()
	select {
	case o.more <- struct{}{}:
	default:
	}
}

// streamToken is the stream token of our call seq: a string, so that it
// cannot be taken for the call's progress token, its number.
func streamToken(seq uint64) codec.ID { return codec.StringID("s" + strconv.FormatUint(seq, 10)) }

// streamSeq returns the call a stream token of ours names.
func streamSeq(token codec.ID) (uint64, bool) {
	s, ok := strings.CutPrefix(token.String(), "s")
	if !ok || !token.IsString() {
		return 0, false
	}
	seq, err := strconv.ParseUint(s, 10, 64)
	return seq, err == nil
}

// CallStream calls method on the other end as a stream, and ranges over
// its items as they come: the items a streaming handler sends (see
// Stream), then the outcome, an error if the handler failed.
//
//	for line, err := range peer.CallStream[Line](ctx, p, "Logs.Lines", q) {
//		if err != nil {
//			return err
//		}
//		fmt.Println(line)
//	}
//
// Breaking out of the loop, or ctx ending, cancels the call on the wire
// and ends the handler's context; the loop ends with ctx.Err() in the
// second case. The connection's end ends the loop with an error that Is
// ErrClosed. A method that does not stream answers once: its reply is the
// one item, where it decodes as a T (on every wire but gob, whose plain
// replies end the stream with no item).
//
// The consumer grants its producer Options.StreamWindow items at a time;
// the metadata of ctx goes with the call, as for Call.
func CallStream[T any](ctx context.Context, p *Peer, method string, args any) iter.Seq2[T, error] {
	return func(yield func(T, error) bool) {
		var zero T
		if err := ctx.Err(); err != nil {
			yield(zero, err)
			return
		}
		st := newInStream[T](p)
		c := &call{method: method, done: make(chan struct{}, 1), stream: st, ctx: ctx}
		c.reply = st.finalTarget()
		if err := p.register(c); err != nil {
			yield(zero, err)
			return
		}
		abandon := ctx.Done()
		if err := p.request(ctx, c, args, abandon, flushFor(abandon)); err != nil {
			if p.forget(c.seq) {
				if errors.Is(err, errAbandoned) {
					err = ctx.Err()
				}
				yield(zero, err)
			}
			return
		}
		st.credit(c.seq, uint64(st.window))
		finished := false
		defer func() {
			if !finished && p.forget(c.seq) {
				p.sendCancel(c.seq, ctx)
			}
			st.close()
		}()
		for {
			v, err, more := st.next(ctx)
			if !more {
				finished = true
				if err != nil {
					yield(zero, err)
				}
				return
			}
			if err != nil { // ctx ended
				yield(zero, err)
				return
			}
			if !yield(v, nil) {
				return
			}
			st.took(c.seq)
		}
	}
}

// itemSink is a consumer's stream, as the reader hands it items.
type itemSink interface {
	newItem() any     // a pointer for the reader to decode an item into
	push(v any) error // queues an item; an error fails the stream
	end(err error)    // the call's outcome, after its items
}

// inStream is the consumer's side of one stream: the items read and not
// yet ranged over, and then the outcome.
type inStream[T any] struct {
	p      *Peer
	window int

	mu     sync.Mutex
	items  []*T
	ended  bool
	err    error
	final  *T // a plain reply, the one item of a method that does not stream
	closed bool
	signal chan struct{}
	taken  uint64 // items ranged over since the last grant
}

func newInStream[T any](p *Peer) *inStream[T] {
	return &inStream[T]{p: p, window: p.opts.StreamWindow, signal: make(chan struct{}, 1)}
}

func (st *inStream[T]) newItem() any { return new(T) }

func (st *inStream[T]) finalTarget() any {
	if st.p.codec == codec.Gob {
		return nil // gob's plain replies cannot be told from a stream's end
	}
	return &st.final
}

func (st *inStream[T]) push(v any) error {
	st.mu.Lock()
	defer st.mu.Unlock()
	if st.closed || st.ended {
		return nil
	}
	limit := st.window
	if st.p.opts.Dialect.CreditMethod == "" {
		limit = max(st.window, uncreditedWindow)
	}
	if len(st.items) >= limit {
		return fmt.Errorf("%w: the producer sent more than the %d items it was granted", ErrStreamOverrun, limit)
	}
	st.items = append(st.items, v.(*T))
	st.wake()
	return nil
}

func (st *inStream[T]) end(err error) {
	st.mu.Lock()
	if !st.ended {
		st.ended, st.err = true, err
		if st.final != nil && err == nil && !st.emptyEnd() { // a plain reply: the one item
			st.items = append(st.items, st.final)
		}
	}
	st.wake()
	st.mu.Unlock()
}

// emptyEnd reports whether the answer is the empty list that ends LSP's
// partial results of lists, under a dialect without credit: the end of
// the items, not one more.
func (st *inStream[T]) emptyEnd() bool {
	if st.p.opts.Dialect.CreditMethod != "" {
		return false
	}
	switch v := any(*st.final).(type) {
	case json.RawMessage:
		return string(bytes.TrimSpace(v)) == "[]"
	case any:
		rv := reflect.ValueOf(v)
		return rv.Kind() == reflect.Slice && rv.Len() == 0
	}
	return false
}

func (st *inStream[T]) wake() {
	select {
	case st.signal <- struct{}{}:
	default:
	}
}

// next waits for the next item, or the outcome: more is false once the
// stream has ended and every item has been taken. err with more is ctx's.
func (st *inStream[T]) next(ctx context.Context) (v T, err error, more bool) {
	for {
		st.mu.Lock()
		if len(st.items) > 0 {
			item := st.items[0]
			st.items[0] = nil
			st.items = st.items[1:]
			st.mu.Unlock()
			return *item, nil, true
		}
		if st.ended {
			err := st.err
			st.mu.Unlock()
			return v, err, false
		}
		st.mu.Unlock()
		select {
		case <-st.signal:
		case <-ctx.Done():
			return v, ctx.Err(), true
		}
	}
}

// took notes an item ranged over, and grants the producer room again once
// half a window has been taken.
func (st *inStream[T]) took(seq uint64) {
	st.taken++
	if st.taken*2 >= uint64(st.window) {
		st.credit(seq, st.taken)
		st.taken = 0
	}
}

// credit grants the producer of our call seq n more items, where the
// dialect grants credit at all. It never waits.
func (st *inStream[T]) credit(seq, n uint64) {
	if st.p.opts.Dialect.CreditMethod == "" {
		return
	}
	h := codec.Header{Kind: codec.Credit, Token: streamToken(seq), Seq: n}
	flush, _ := st.p.out.send(h, nil, false, always, nil)
	st.p.kick(flush, noWait)
}

// close stops the stream taking items: the loop is over.
func (st *inStream[T]) close() {
	st.mu.Lock()
	st.closed = true
	st.items = nil
	st.mu.Unlock()
}

// itemFor hands a progress frame of our call seq's stream token to its
// consumer, decoding the item; ok is false when no stream call of ours is
// seq, and the frame is then served as the notification it is.
func (p *Peer) itemFor(seq uint64) (ok bool, err error) {
	var c *call
	var sink itemSink
	p.update(func(s *inFlight) {
		if c = s.calls[seq]; c != nil {
			sink = c.stream
		}
	})
	if sink == nil {
		return false, nil
	}
	v := sink.newItem()
	p.pv.V = v // the reader's own: no allocation per item
	err = p.conn.ReadBody(&p.pv)
	p.pv.V = nil
	if err != nil {
		// An item that does not decode fails the stream, not the
		// connection: its consumer hears why.
		err = fmt.Errorf("peer: decoding an item of the stream: %w", err)
	} else {
		err = sink.push(v)
	}
	if err != nil && p.forget(seq) {
		c.finish(err)
		p.sendCancel(seq, context.Background())
	}
	return true, nil
}

// creditFor adds the credit a consumer granted to the stream it names.
func (p *Peer) creditFor(h *codec.Header) {
	var o *outStream
	p.update(func(s *inFlight) { o = s.streams[h.Token] })
	if o != nil {
		o.grant(h.Seq)
	}
}

// openStream makes the stream a streaming handler's caller asked for
// (none, for a plain call: Send then fails with ErrNotStreamed) and
// enters it where the consumer's credit finds it. The reader does so
// before it reads the next frame, which may be the first credit.
func (p *Peer) openStream(in *incoming) *outStream {
	ctx := in.ctx
	if ctx == nil {
		ctx = p.ctx
	}
	o := newOutStream(p, ctx, in.h.Stream)
	if !o.token.IsZero() {
		p.update(func(s *inFlight) { s.streams[o.token] = o })
	}
	return o
}

// endStream forgets a stream whose handler has returned.
func (p *Peer) endStream(o *outStream) {
	if !o.token.IsZero() {
		p.update(func(s *inFlight) {
			if s.streams[o.token] == o {
				delete(s.streams, o.token)
			}
		})
	}
}
