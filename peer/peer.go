package peer

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

	// The in-flight state, in both directions, behind one lock, changed
	// only through update (inflight.go).
	mu    sync.Mutex
	state inFlight

	rh       codec.Header        // the reader's
	pv       codec.ProgressValue // the reader's, for an item of a stream
	ahead    readAheader         // the conn, if it says what it has buffered
	spare    atomic.Bool         // a goroutine waits on wake to be the next reader
	wake     chan bool           // to the spare: true, read; false, end (reap, endSpare)
	parks    atomic.Uint64       // the spare's parks so far, for reap
	reaping  atomic.Bool         // a reap is due (armReaper)
	lastRead atomic.Int64        // unix nanoseconds of the last frame read, for IdleTimeout
	gotFrame atomic.Bool         // a whole frame has arrived, for FirstFrameTimeout
	first    firstHeard          // what came before it, for diagnose
	timers   []*time.Timer
	timersMu sync.Mutex

	endOnce    sync.Once     // end's: the first error wins
	closeOnce  sync.Once     // closeStream's
	err        error         // why the connection ended; set once, before done closes
	done       chan struct{} // closed when the connection has ended
	live       atomic.Int32  // goroutines of this peer: the reader, handlers, flushers
	servedOnce sync.Once     // the last goroutine's: served closes once
	served     chan struct{} // closed when the connection has ended and every goroutine returned
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
		// Seqs start at 1: JavaScript clients test ids for truth, and the
		// MCP SDK ignores the cancel of request 0.
		state:  inFlight{nextSeq: 1, calls: make(map[uint64]*call), serving: make(map[uint64]*incoming), streams: make(map[codec.ID]*outStream)},
		done:   make(chan struct{}),
		served: make(chan struct{}),
		wake:   make(chan bool, 1),
	}
	if p.log == nil {
		p.log, p.panicLog = slog.New(slog.DiscardHandler), slog.Default()
	}
	p.ctx, p.cancelCtx = context.WithCancel(context.WithValue(context.Background(), peerKey{}, p))

	// The codec appends every frame whole to the send queue (a codec of
	// the program's own writes it there through sink); the sender writes
	// the queue to rwc.
	copts := codec.Options{}
	if o.Codec != nil {
		copts = *o.Codec
	}
	copts.Dialect = o.Dialect
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
	p.out.app, _ = p.conn.(codec.FrameAppender)
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
// them: their handlers' contexts stay live until then, and Shutdown waits
// for those answers. The peer is Done all the same.
func (p *Peer) end(err error, closeNow bool) {
	p.endOnce.Do(func() {
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
		var calls map[uint64]*call
		p.update(func(s *inFlight) {
			p.err = err
			s.ended = true
			calls, s.calls = s.calls, make(map[uint64]*call)
			closeNow = closeNow || s.answersDone()
			s.lingering = !closeNow
		})
		p.stopTimers()
		close(p.done)
		p.endSpare() // after done: a spare parking now sees done instead
		for _, c := range calls {
			c.finish(err)
		}
		if !errors.Is(err, errClosing) {
			p.log.Info("peer: connection ended", "codec", p.codec.Name(), "error", err)
		}
	})
	if closeNow {
		p.closeStream()
	}
}

// closeStream closes the stream, once the connection has ended.
// Every handler's context ends with it.
func (p *Peer) closeStream() {
	p.closeOnce.Do(func() {
		p.out.stop(p.err) // first: a handler woken by its context's end answers nothing
		p.cancelCtx()
		p.rwc.Close()
	})
}

// errClosing is the reason of a Close, which is not worth a log line.
var errClosing = fmt.Errorf("%w", ErrClosed)

// closeFlushWait bounds how long Close lets what is queued drain before
// it closes the stream: a healthy stream takes a queue in far less, and a
// stream that does not read must not stall a deferred Close.
const closeFlushWait = 250 * time.Millisecond

// Close flushes what is queued, for as long as the stream takes it at
// once (at most closeFlushWait, and never WriteTimeout: a remote that does
// not read cannot hold Close), closes the connection and waits until the
// peer's goroutines have returned, running handlers included; so a handler
// must not call Close on its own peer (it may start go p.Close()). Calls
// pending on either side fail with ErrClosed. Close is idempotent and
// always returns nil. Shutdown is the graceful end: it waits for answers.
func (p *Peer) Close() error {
	wait := time.NewTimer(min(closeFlushWait, p.opts.WriteTimeout))
	select {
	case <-p.out.drained():
	case <-p.done:
	case <-wait.C:
	}
	wait.Stop()
	p.fail(errClosing)
	<-p.served
	return nil
}

// Shutdown stops serving new requests (they are refused with ErrDraining),
// waits until every request already taken has been answered on the stream
// and every call this peer made has its answer, or until ctx ends, and
// then closes the peer as Close does. It returns ctx.Err() if ctx ended
// first. After the other end closed its side cleanly (a stdin that ended),
// Shutdown waits for the answers still owed for the requests it sent
// before it did.
func (p *Peer) Shutdown(ctx context.Context) error {
	var quiet chan struct{}
	p.update(func(s *inFlight) {
		s.draining = true
		if s.quiet == nil {
			s.quiet = make(chan struct{})
		}
		quiet = s.quiet
	})
	var err error
	select {
	case <-quiet: // which an end with nothing owed closes too
	case <-ctx.Done():
		err = ctx.Err()
	}
	p.Close()
	return err
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
	p.servedOnce.Do(func() {
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
	p.update(func(s *inFlight) { incoming, outgoing = s.incoming, len(s.calls) })
	return incoming, outgoing
}
