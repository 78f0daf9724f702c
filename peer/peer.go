package peer

// The engine's invariants. Each has a test that breaks if it is broken
// (docs/peer.md names them).
//
//  1. The reader never writes, and never waits on a lock that a writer
//     holds while writing. It queues the frames it must send (send.go's
//     reader mode) and leaves the writing to a flusher.
//  2. Every write is bounded: by the sender's context while it waits for
//     room in the queue, and by WriteTimeout once on the stream. A write
//     that stalls past it ends this peer, and no other.
//  3. A request counts as in flight until its response has been written to
//     the stream, so MaxInFlight bounds goroutines and memory even against
//     a client that never reads its answers.
//  4. Close and Shutdown flush what is queued, and Shutdown waits for every
//     answer it promised, on a signal, never by polling.
//  5. A fan-out (Hub.CallAll) never waits on one peer's write, and returns
//     at its context with a per-peer error for the stragglers.
//  6. A handler panic fails that call only: the caller gets an error that
//     does not carry the panic's text, the stack is logged, and the peer
//     and the process go on.

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/duplexrpc/duplex/codec"
)

// Binder registers the services a peer serves, before the peer reads its
// first frame. It is handed the new *Peer so that handlers can call back
// whoever called them. Wherever a Binder is taken, nil is allowed: the
// peer then serves nothing, and requests to it fail with net/rpc's
// "rpc: can't find service".
type Binder func(p *Peer, r *Registry) error

// Peer calls and serves methods over one connection, in both directions.
//
// A Peer is safe for concurrent use. It reads the connection from the
// moment it is made until the connection ends or Close is called; Close
// waits for its goroutines, running handlers included, to return.
type Peer struct {
	id       uint64
	rwc      io.ReadWriteCloser
	codec    codec.Codec
	conn     codec.Conn
	registry *Registry
	out      sender
	opts     Options
	log      *slog.Logger
	panicLog *slog.Logger // handler panics: never silent
	onEnd    func(*Peer)

	// ctx is the parent of every handler's context: it carries the peer
	// and ends with the connection.
	ctx       context.Context
	cancelCtx context.CancelFunc

	// The in-flight state, in both directions, behind one lock.
	mu        sync.Mutex
	nextSeq   uint64
	calls     map[uint64]*call     // our requests awaiting an answer
	serving   map[uint64]*incoming // their requests whose handler can be cancelled
	inFlight  int                  // their requests not yet answered on the stream, and notifications being served
	draining  bool                 // Shutdown: refuse new requests
	quiet     chan struct{}        // closed when draining and nothing is in flight
	ordered   orderedQueue         // notifications waiting, with OrderedNotifications
	ended     bool                 // the connection is gone: no new calls
	lingering bool                 // ended, but owes answers: the stream stays open for them

	rh       codec.Header // the reader's
	ahead    readAheader  // the conn, if it says what it has buffered
	spare    atomic.Bool  // a goroutine waits on wake to be the next reader
	wake     chan struct{}
	lastRead atomic.Int64 // unix nanoseconds of the last frame read, for IdleTimeout
	gotFrame atomic.Bool  // a whole frame has arrived, for FirstFrameTimeout
	first    firstHeard   // what came before it, for diagnose
	timers   []*time.Timer
	timersMu sync.Mutex

	once      sync.Once
	closeOnce sync.Once
	err       error         // why the connection ended; set once, before done closes
	done      chan struct{} // closed when the connection has ended
	live      atomic.Int32  // goroutines of this peer: the reader, handlers, flushers
	endMu     sync.Once
	served    chan struct{} // closed when the connection has ended and every goroutine returned
}

// New returns a peer that speaks c over rwc, serving what bind registers
// (nil: nothing). On error rwc is closed.
func New(rwc io.ReadWriteCloser, c codec.Codec, bind Binder) (*Peer, error) {
	return NewWithOptions(rwc, c, bind, nil)
}

// NewWithOptions is New with options; nil means the defaults.
func NewWithOptions(rwc io.ReadWriteCloser, c codec.Codec, bind Binder, opts *Options) (*Peer, error) {
	return newPeer(rwc, c, bind, opts, nil, nil)
}

// lastID numbers peers, for Hub.Lookup and logs.
var lastID atomic.Uint64

// newPeer makes a peer; onStart runs before it reads anything and onEnd
// after it has ended, in its last goroutine.
func newPeer(rwc io.ReadWriteCloser, c codec.Codec, bind Binder, opts *Options, onStart, onEnd func(*Peer)) (*Peer, error) {
	o := opts.orDefault()
	p := &Peer{
		id:       lastID.Add(1),
		rwc:      rwc,
		codec:    c,
		registry: NewRegistry(),
		opts:     o,
		log:      o.Logger,
		panicLog: o.Logger,
		onEnd:    onEnd,
		calls:    make(map[uint64]*call),
		serving:  make(map[uint64]*incoming),
		done:     make(chan struct{}),
		served:   make(chan struct{}),
		wake:     make(chan struct{}, 1),
	}
	if p.log == nil {
		p.log, p.panicLog = slog.New(slog.DiscardHandler), slog.Default()
	}
	p.ctx, p.cancelCtx = context.WithCancel(context.WithValue(context.Background(), peerKey{}, p))

	// The codec writes every frame whole into the send queue; the
	// sender writes the queue to rwc.
	copts := codec.Options{}
	if o.Codec != nil {
		copts = *o.Codec
	}
	p.out = sender{
		w:        watchedWriter{rwc, &p.first},
		messages: codec.WritesMessages(rwc, &copts),
		timeout:  o.WriteTimeout,
		limit:    o.SendQueue,
		fail:     p.fail,
		written:  p.answered,
		spawn:    p.goStart,
		try:      watchedTry(tryWriter(rwc), &p.first),
	}
	p.out.init()
	copts.FramePerWrite = true
	codec.AcceptText(rwc, c) // a WebSocket takes text messages for the JSON codecs
	in, _ := rwc.(codec.MessageReader)
	p.conn = c.NewConn(streamOf{rwc, sink{&p.out}, &p.out, &p.first, in}, &copts)
	p.out.conn = p.conn
	p.ahead, _ = p.conn.(readAheader)

	if bind != nil {
		if err := bind(p, p.registry); err != nil {
			p.cancelCtx()
			rwc.Close()
			return nil, fmt.Errorf("peer: binding services: %w", err)
		}
	}
	p.touch()
	if onStart != nil {
		onStart(p) // before serving: a peer is known before its requests run
	}
	p.goRead()
	p.startTimers()
	return p, nil
}

// streamOf is the connection as the codec sees it: reads from the
// transport, writes to the send queue. The codec reads only when it needs
// more bytes, so a read is where the reader may wait: what was left
// queued for it goes out first. The first bytes read are kept, for the
// diagnosis of a connection that ends before its first frame.
type streamOf struct {
	rwc   io.ReadWriteCloser
	w     io.Writer
	out   *sender
	first *firstHeard
	in    codec.MessageReader // rwc, if it says where messages end (WebSocket)
}

// readAheader is a codec.Conn that says whether further frames are
// buffered (every Conn of package codec is one).
type readAheader interface{ ReadAhead() bool }

func (s streamOf) Read(b []byte) (int, error) {
	s.out.readerWaits()
	n, err := s.rwc.Read(b)
	s.first.heard(b[:n])
	return n, err
}
func (s streamOf) Write(b []byte) (int, error) { return s.w.Write(b) }
func (s streamOf) Close() error                { return s.rwc.Close() }

// ReadsMessages and MessageEnded pass on those of the transport, so that
// over a WebSocket the codec reads one message as one frame.
func (s streamOf) ReadsMessages() bool { return s.in != nil && s.in.ReadsMessages() }
func (s streamOf) MessageEnded() bool  { return s.in.MessageEnded() }

var _ codec.MessageReader = streamOf{}

// fail ends the connection with err, once: the first error wins. Every
// pending call fails with the same error, every handler's context ends,
// and the stream is closed.
func (p *Peer) fail(err error) { p.end(err, true) }

// end ends the connection with err. With closeNow false (the other end
// closed its side cleanly), the stream stays open for writing until the
// answers to the requests already taken are written, as net/rpc's server
// does, so that a client that half-closes after its requests still gets
// them; the peer is Done all the same.
func (p *Peer) end(err error, closeNow bool) {
	p.once.Do(func() {
		if diagnosis := p.diagnose(err); diagnosis != nil {
			err = diagnosis
		}
		switch {
		case errors.Is(err, ErrClosed):
		case err == nil, errors.Is(err, io.EOF):
			err = fmt.Errorf("%w: the other end closed it", ErrClosed)
		default:
			err = fmt.Errorf("%w: %w", ErrClosed, err)
		}
		p.mu.Lock()
		p.err = err
		p.ended = true
		calls := p.calls
		p.calls = make(map[uint64]*call)
		closeNow = closeNow || p.answersDone()
		p.lingering = !closeNow
		p.wakeQuiet()
		p.mu.Unlock()
		p.stopTimers()
		p.cancelCtx()
		close(p.done)
		for _, c := range calls {
			c.complete(err)
		}
		if !errors.Is(err, errClosing) {
			p.log.Info("peer: connection ended", "codec", p.codec.Name(), "error", err)
		}
	})
	if closeNow {
		p.closeStream()
	}
}

// answersDone reports that no answer is owed: nothing is in flight. p.mu
// is held.
func (p *Peer) answersDone() bool { return p.inFlight == 0 && !p.ordered.running }

// closeStream closes the stream, once the connection has ended.
func (p *Peer) closeStream() {
	p.closeOnce.Do(func() {
		p.out.stop(p.err)
		p.rwc.Close()
	})
}

// lingerOver reports, once, that a connection that ended while answers
// were owed has written them: its stream is to be closed, outside p.mu
// (closeStream takes the sender's lock). p.mu is held.
func (p *Peer) lingerOver() bool {
	if p.lingering && p.answersDone() {
		p.lingering = false
		return true
	}
	return false
}

// errClosing is the reason of a Close, which is not worth a log line.
var errClosing = fmt.Errorf("%w", ErrClosed)

// Close flushes what is queued (for at most WriteTimeout), closes the
// connection and waits until the peer's goroutines have returned, running
// handlers included; so a handler must not call Close on its own peer (it
// may start go p.Close()). Calls pending on either side fail with
// ErrClosed. Close is idempotent and always returns nil.
func (p *Peer) Close() error {
	select {
	case <-p.out.drained():
	case <-p.done:
	case <-time.After(p.opts.WriteTimeout):
	}
	p.fail(errClosing)
	<-p.served
	return nil
}

// Shutdown stops serving new requests (they are refused with ErrDraining),
// waits until every request already taken has been answered on the stream
// and every call this peer made has its answer, or until ctx ends, and
// then closes the peer as Close does. It returns ctx.Err() if ctx ended
// first.
func (p *Peer) Shutdown(ctx context.Context) error {
	p.mu.Lock()
	p.draining = true
	if p.quiet == nil {
		p.quiet = make(chan struct{})
	}
	quiet := p.quiet
	p.wakeQuiet()
	p.mu.Unlock()
	var err error
	select {
	case <-quiet:
	case <-p.done:
	case <-ctx.Done():
		err = ctx.Err()
	}
	p.Close()
	return err
}

// wakeQuiet signals Shutdown once nothing is in flight. p.mu is held.
func (p *Peer) wakeQuiet() {
	if p.quiet == nil || !p.draining && !p.ended {
		return
	}
	if p.ended || p.inFlight == 0 && len(p.calls) == 0 && !p.ordered.running {
		select {
		case <-p.quiet:
		default:
			close(p.quiet)
		}
	}
}

// goStart counts a goroutine of the peer before starting it.
func (p *Peer) goStart(f func()) {
	p.live.Add(1)
	go func() {
		defer p.goEnd()
		f()
	}()
}

// goEnd is the last thing each of the peer's goroutines does: the last
// one out, once the connection has ended, ends the peer.
func (p *Peer) goEnd() {
	if p.live.Add(-1) != 0 {
		return
	}
	select {
	case <-p.done:
	default:
		return // a reader is always counted while the connection lives
	}
	p.endMu.Do(func() {
		close(p.served) // before onEnd, which may call Close
		if p.onEnd != nil {
			p.onEnd(p)
		}
	})
}

// Done is closed when the connection has ended, by Close or otherwise.
func (p *Peer) Done() <-chan struct{} { return p.done }

// Err returns nil while the connection is up, and after it ended an error
// that Is ErrClosed and says why. A connection that ended before the other
// end sent a good frame says what the other end did, and the error also Is
// codec.ErrWrongCodec when that shows another wire: it sent bytes of
// another codec, answered in HTTP or TLS, or closed the connection soon
// after our first frame without sending a byte (the usual answer to a
// codec it cannot read; a server that refuses connections by closing them
// cleanly looks the same). A connection that ever carried a good frame
// from the other end is never diagnosed so.
func (p *Peer) Err() error {
	select {
	case <-p.done:
		return p.err
	default:
		return nil
	}
}

// Conn returns the connection the peer speaks over, to learn its address
// or TLS identity. Reading or writing it would corrupt the stream.
func (p *Peer) Conn() io.ReadWriteCloser { return p.rwc }

// ID returns a number that identifies the peer within the process.
func (p *Peer) ID() uint64 { return p.id }

// Registry returns the services the peer serves.
func (p *Peer) Registry() *Registry { return p.registry }

// InFlight returns the calls in progress on the connection: incoming
// requests not yet answered on the stream, and outgoing calls awaiting
// their answers.
func (p *Peer) InFlight() (incoming, outgoing int) {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.inFlight, len(p.calls)
}
