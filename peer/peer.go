package peer

import (
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/rpc"
	"sync"
	"sync/atomic"
	"time"

	"github.com/duplexrpc/duplex/codec"
)

// Binder registers the services a peer serves, on that peer's own
// rpc.Server, before the peer reads its first frame. It is handed the new
// *Peer so that handlers can call back whoever called them.
type Binder func(p *Peer, s *rpc.Server) error

// Peer calls and serves net/rpc methods over one connection.
//
// A Peer is safe for concurrent use. It reads the connection from the
// moment it is made until the connection ends or Close is called; Close
// waits for its goroutines, including running handlers, to return.
type Peer struct {
	id     uint64
	onEnd  func(*Peer)
	rwc    io.ReadWriteCloser
	codec  codec.Codec
	conn   codec.Conn
	corker codec.Corker // conn, if it is one
	demux  *demux
	client *rpc.Client
	server *rpc.Server
	ch     clientHalf
	sh     serverHalf
	log    *slog.Logger

	maxInFlight int64
	outgoing    atomic.Int64 // calls made through Call or a Hub, not yet done

	idle      time.Duration
	lastRead  atomic.Int64 // unix nanoseconds of the last frame read, for IdleTimeout
	timers    []*time.Timer
	timersMu  sync.Mutex
	heartbeat time.Duration

	once    sync.Once
	errMu   sync.Mutex
	err     error
	done    chan struct{} // closed when the connection has ended
	served  chan struct{} // closed when reading has ended and no handler runs
	closing atomic.Bool
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
		id:          lastID.Add(1),
		onEnd:       onEnd,
		rwc:         rwc,
		codec:       c,
		conn:        c.NewConn(rwc, o.Codec),
		server:      rpc.NewServer(),
		log:         o.Logger,
		maxInFlight: int64(o.MaxInFlight),
		idle:        o.IdleTimeout,
		heartbeat:   o.Heartbeat,
		done:        make(chan struct{}),
		served:      make(chan struct{}),
	}
	p.demux = newDemux(p.conn)
	p.corker, _ = p.conn.(codec.Corker)
	p.ch.p, p.sh.p = p, p
	if bind != nil {
		if err := bind(p, p.server); err != nil {
			p.conn.Close()
			return nil, fmt.Errorf("peer: binding services: %w", err)
		}
	}
	p.touch()
	p.client = rpc.NewClientWithCodec(&p.ch)
	if onStart != nil {
		onStart(p) // before serving: a peer is known before its requests run
	}
	p.sh.start()
	p.startTimers()
	return p, nil
}

// ended runs in the peer's last server goroutine, once reading has failed
// and every handler has returned.
func (p *Peer) ended() {
	p.fail(p.demux.readErr())
	close(p.served) // before onEnd, which may call Close
	if p.onEnd != nil {
		p.onEnd(p)
	}
}

// fail ends the connection with err, once: the first error wins.
func (p *Peer) fail(err error) {
	p.once.Do(func() {
		switch {
		case p.closing.Load():
			err = ErrClosed
		case err == nil, errors.Is(err, io.EOF):
			err = fmt.Errorf("%w: the other end closed it", ErrClosed)
		case !errors.Is(err, ErrClosed):
			err = fmt.Errorf("%w: %w", ErrClosed, err)
		}
		p.errMu.Lock()
		p.err = err
		p.errMu.Unlock()
		p.stopTimers()
		p.conn.Close()
		close(p.done)
		if !p.closing.Load() {
			p.log.Info("peer: connection ended", "codec", p.codec.Name(), "error", err)
		}
	})
}

// Close closes the connection and waits until the peer's goroutines have
// returned, running handlers included; so a handler must not call Close on
// its own peer (it may start go p.Close()). Calls pending on either side
// fail with ErrClosed. Close is idempotent and always returns nil.
func (p *Peer) Close() error {
	p.closing.Store(true)
	p.fail(ErrClosed)
	p.client.Close()
	<-p.served
	return nil
}

// Done is closed when the connection has ended, by Close or otherwise.
func (p *Peer) Done() <-chan struct{} { return p.done }

// Err returns nil while the connection is up, and after it ended an error
// that Is ErrClosed and says why.
func (p *Peer) Err() error {
	p.errMu.Lock()
	defer p.errMu.Unlock()
	return p.err
}

// Conn returns the connection the peer speaks over, to learn its address
// or TLS identity. Reading or writing it would corrupt the stream.
func (p *Peer) Conn() io.ReadWriteCloser { return p.rwc }

// ID returns a number that identifies the peer within the process.
func (p *Peer) ID() uint64 { return p.id }

// Codec returns the wire format the peer speaks.
func (p *Peer) Codec() codec.Codec { return p.codec }

// InFlight returns the calls in progress on the connection: incoming
// requests being served and outgoing calls awaiting replies.
func (p *Peer) InFlight() (incoming, outgoing int) {
	return int(p.sh.inFlight.Load()), int(p.outgoing.Load())
}
