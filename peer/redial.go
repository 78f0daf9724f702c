package peer

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"sync"
	"time"

	"github.com/duplexrpc/duplex/codec"
)

// DialFunc opens a new connection to the other end. An error wrapped by
// Permanent stops the Redialer instead of being retried.
type DialFunc func(ctx context.Context) (io.ReadWriteCloser, error)

var errPermanent = errors.New("permanent")

type permanentError struct{ err error }

func (e permanentError) Error() string   { return e.err.Error() }
func (e permanentError) Unwrap() []error { return []error{e.err, errPermanent} }

// Permanent marks a DialFunc's error as one that redialing cannot mend (a
// malformed address, say): the Redialer stops, in state Stopped, with it.
// A connection that ends with codec.ErrWrongCodec stops it too: at once
// when the other end's first bytes showed another wire (another codec,
// HTTP, TLS), and after three connections in a row when the other end
// only hung up on our first frame without a byte, the likeliest sign of a
// codec it does not speak (see Peer.Err).
func Permanent(err error) error {
	if err == nil {
		return nil
	}
	return permanentError{err}
}

// State is the connection state of a Redialer.
type State int

// The states a Redialer moves through.
const (
	Connecting   State = iota // dialing
	Connected                 // a peer is up
	Disconnected              // waiting out the backoff before redialing
	Stopped                   // closed; it will not dial again
)

func (s State) String() string {
	switch s {
	case Connecting:
		return "connecting"
	case Connected:
		return "connected"
	case Disconnected:
		return "disconnected"
	case Stopped:
		return "stopped"
	}
	return fmt.Sprintf("State(%d)", int(s))
}

// RedialOptions tune a Redialer. A nil *RedialOptions means the defaults.
type RedialOptions struct {
	// Peer tunes every peer the redialer makes. Nil means the defaults.
	Peer *Options
	// MinBackoff is the wait before the first redial; each failure doubles
	// it up to MaxBackoff. Each wait is drawn at random from its upper half
	// so that many workers cut off at once do not redial at once. Zero
	// means 100ms and 30s.
	MinBackoff, MaxBackoff time.Duration
	// OnConnect, if set, is called with every new peer, on every dial
	// that succeeds, before the Redialer reports it Connected and before
	// Peer returns it: the place to run a worker's setup again after each
	// redial, such as announcing itself to the master. The peer already
	// serves. If the peer ends during OnConnect, the Redialer redials.
	OnConnect func(*Peer)
	// NoGreeting stops the Redialer from sending a HeartbeatMethod
	// notification when it has sent nothing within GreetingDelay of a
	// connect (see Greet). The greeting is what keeps a worker that waits
	// silently to be called from being closed by the master Hub's
	// FirstFrameTimeout; leave it on unless the other end cannot bear an
	// unknown notification.
	NoGreeting bool
	// OnState, if set, is called on every change of state, in order, with
	// the error that caused it (nil for Connecting and Connected). It must
	// not block for long.
	OnState func(s State, p *Peer, err error)
	// Logger receives the redialer's diagnostics. Nil means silence.
	Logger *slog.Logger
}

// Redialer keeps one peer connected: it dials, makes a peer serving what
// bind registers on every new connection, and when the connection ends
// dials again after an exponential backoff with jitter. It is the worker's
// side of the reverse-call pattern.
//
// A Redialer is safe for concurrent use. Its constructor starts its
// goroutine; Close stops it and waits.
type Redialer struct {
	dial  DialFunc
	codec codec.Codec
	bind  Binder
	opts  RedialOptions
	log   *slog.Logger

	cancel  context.CancelFunc
	stopped chan struct{}

	mu      sync.Mutex
	state   State
	current *Peer
	stopErr error         // why it stopped, once Stopped
	changed chan struct{} // closed and replaced on every change
}

// NewRedialer starts keeping a peer connected through dial.
func NewRedialer(dial DialFunc, c codec.Codec, bind Binder, opts *RedialOptions) *Redialer {
	r := &Redialer{dial: dial, codec: c, bind: bind, stopped: make(chan struct{}), changed: make(chan struct{})}
	if opts != nil {
		r.opts = *opts
	}
	if r.opts.MinBackoff <= 0 {
		r.opts.MinBackoff = 100 * time.Millisecond
	}
	if r.opts.MaxBackoff <= 0 {
		r.opts.MaxBackoff = 30 * time.Second
	}
	r.opts.MaxBackoff = max(r.opts.MaxBackoff, r.opts.MinBackoff)
	r.log = r.opts.Logger
	if r.log == nil {
		r.log = slog.New(slog.DiscardHandler)
	}
	ctx, cancel := context.WithCancel(context.Background())
	r.cancel = cancel
	go r.run(ctx)
	return r
}

func (r *Redialer) run(ctx context.Context) {
	defer close(r.stopped)
	hungUp := 0 // connections in a row hung up on at their first frame
	for failures := 0; ; {
		r.setState(Connecting, nil, nil)
		p, err := r.connect(ctx)
		if err == nil && !r.opts.NoGreeting {
			Greet(p)
		}
		if err == nil && r.opts.OnConnect != nil {
			r.opts.OnConnect(p)
		}
		if err == nil {
			connectedAt := time.Now()
			r.setState(Connected, p, nil)
			select {
			case <-p.Done():
				err = p.Err()
			case <-ctx.Done():
				p.Close()
				r.setState(Stopped, nil, ctx.Err())
				return
			}
			// A connection that lasted resets the backoff; one dropped
			// at once (a master refusing us) does not.
			if time.Since(connectedAt) > r.opts.MaxBackoff {
				failures = 0
			}
		}
		if ctx.Err() != nil {
			r.setState(Stopped, nil, ctx.Err())
			return
		}
		wrongCodec := errors.Is(err, codec.ErrWrongCodec)
		if errors.Is(err, errHungUp) {
			// A guess: the other end hung up on our first frame. Only
			// a few such ends in a row are taken for a codec it does
			// not speak.
			hungUp++
			if wrongCodec = hungUp >= wrongCodecHangUps; wrongCodec {
				err = fmt.Errorf("%w; %d connections in a row ended so", err, hungUp)
			}
		} else if p != nil {
			hungUp = 0
		}
		if wrongCodec || errors.Is(err, errPermanent) {
			// Redialing cannot mend a bad address, nor two ends given
			// different codecs.
			r.log.Error("peer: giving up", "error", err)
			r.setState(Stopped, nil, err)
			return
		}
		r.setState(Disconnected, nil, err)
		wait := r.backoff(failures)
		failures++
		r.log.Info("peer: redialing", "in", wait, "after", err)
		select {
		case <-time.After(wait):
		case <-ctx.Done():
			r.setState(Stopped, nil, ctx.Err())
			return
		}
	}
}

func (r *Redialer) connect(ctx context.Context) (*Peer, error) {
	rwc, err := r.dial(ctx)
	if err != nil {
		return nil, fmt.Errorf("peer: dial: %w", err)
	}
	return NewWithOptions(rwc, r.codec, r.bind, r.opts.Peer)
}

// backoff is MinBackoff doubled per failure, capped at MaxBackoff, and
// drawn at random from the upper half of that.
func (r *Redialer) backoff(failures int) time.Duration {
	d := r.opts.MaxBackoff
	if failures < 32 {
		d = min(r.opts.MinBackoff<<failures, r.opts.MaxBackoff)
	}
	return d/2 + rand.N(d/2+1)
}

func (r *Redialer) setState(s State, p *Peer, err error) {
	r.mu.Lock()
	r.state, r.current = s, p
	if s == Stopped {
		r.stopErr = err
	}
	close(r.changed)
	r.changed = make(chan struct{})
	r.mu.Unlock()
	if r.opts.OnState != nil {
		r.opts.OnState(s, p, err)
	}
}

// State returns the current state.
func (r *Redialer) State() State {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.state
}

// Peer waits until a peer is connected and returns it, or returns an error
// when ctx ends or the redialer has stopped: ErrClosed, wrapping the reason
// it stopped for on its own (codec.ErrWrongCodec, a permanent dial error).
// The peer may end at any time; calls on it then fail with ErrClosed, and
// Peer returns the next one.
func (r *Redialer) Peer(ctx context.Context) (*Peer, error) {
	for {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		r.mu.Lock()
		p, s, changed, stopErr := r.current, r.state, r.changed, r.stopErr
		r.mu.Unlock()
		if s == Stopped {
			switch {
			case stopErr == nil, errors.Is(stopErr, context.Canceled):
			case errors.Is(stopErr, ErrClosed):
				return nil, fmt.Errorf("peer: redialer stopped: %w", stopErr)
			default:
				return nil, fmt.Errorf("%w: redialer stopped: %w", ErrClosed, stopErr)
			}
			return nil, ErrClosed
		}
		if p != nil && p.Err() == nil {
			return p, nil
		}
		select {
		case <-changed:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
}

// Close stops redialing, closes the current peer and waits. It is
// idempotent.
func (r *Redialer) Close() error {
	r.cancel()
	<-r.stopped
	return nil
}

// GreetingDelay is how long Greet waits before it greets. Waiting first
// lets a master that speaks another codec, and speaks first, be the one
// whose frame is read: the worker then stops at once with
// codec.ErrWrongCodec. A master that waits hangs up on the greeting
// instead, which the worker diagnoses too, after three connections. It is
// far below DefaultFirstFrameTimeout.
const GreetingDelay = 200 * time.Millisecond

// Greet sends the other end one HeartbeatMethod notification if p has sent
// it nothing within GreetingDelay, so that a Hub's FirstFrameTimeout does
// not close a worker that waits, silent, to be called. A Redialer greets
// on every connection it makes (RedialOptions.NoGreeting); a worker made
// with New calls Greet itself. Receivers drop the notification.
func Greet(p *Peer) {
	t := time.AfterFunc(GreetingDelay, func() {
		if !p.out.queuedAny.Load() && p.Err() == nil {
			p.Notify(p.ctx, HeartbeatMethod, 0)
		}
	})
	context.AfterFunc(p.ctx, func() { t.Stop() })
}
