package cluster

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nuid"

	"github.com/duplexrpc/duplex/peer"
)

// The defaults of MasterOptions and ClientOptions.
const (
	// DefaultPrefix is the first token of every subject of a cluster
	// whose options leave Prefix empty.
	DefaultPrefix = "duplex"
	// DefaultHeartbeat is how often a master says it is alive, when
	// Heartbeat is zero. Clients forget a master silent for three
	// heartbeats, so a master that dies leaves Workers within 1.5 s.
	DefaultHeartbeat = 500 * time.Millisecond
	// DefaultPending is the NATS messages a master takes before it
	// dispatches them, when MasterOptions.Pending is zero.
	DefaultPending = 1 << 16
)

// MasterOptions tune a Master. A nil *MasterOptions means the defaults.
type MasterOptions struct {
	// Prefix starts every subject of the cluster (docs/cluster.md): one
	// or more tokens separated by dots. Every master and client of one
	// cluster uses the same one. Empty means DefaultPrefix.
	Prefix string
	// ID names the master in Workers and in its subjects. It must be
	// unique in the cluster and a valid name (see ErrBadName). Empty
	// means a random one.
	ID string
	// Heartbeat is how often the master says it is alive. Zero means
	// DefaultHeartbeat.
	Heartbeat time.Duration
	// Pending bounds the calls, cancels and fan-outs that have reached the
	// master and wait to be dispatched. Past it NATS drops what comes (a
	// slow consumer) and those callers wait out their contexts. The
	// dispatcher only starts each call, so it takes a flood to fill it.
	// Zero means DefaultPending.
	Pending int
	// Logger receives the master's diagnostics. Nil means silence.
	Logger *slog.Logger
}

// Master makes the workers connected to this process reachable by name
// from any process that reaches the same NATS: calls for a name arrive
// over NATS and are relayed to that worker over its own connection, their
// bodies undecoded (codec.Raw). A worker is added by Add, or through the
// naming hooks of join.go, and leaves when its connection ends.
//
// A Master is safe for concurrent use. NewMaster starts its goroutines;
// Close stops them and waits. The NATS connection stays the caller's.
type Master struct {
	nc     *nats.Conn
	prefix string
	id     string
	epoch  string // this instance of the master, so that a restart is seen
	beat   time.Duration
	log    *slog.Logger

	msgs chan *nats.Msg // every subscription delivers here, in NATS's order
	subs []*nats.Subscription
	done chan struct{} // closed by Close: the goroutines return
	wg   sync.WaitGroup

	mu       sync.Mutex
	closed   bool
	draining bool
	workers  map[string]*entry
	inflight map[string]context.CancelCauseFunc // relayed calls and fan-outs, by call id
	relays   sync.WaitGroup                     // relays running
	version  uint64                             // of the worker set
	changed  chan struct{}                      // nudges the presence loop; room for one
}

// entry is one worker held by name.
type entry struct {
	name  string
	p     *peer.Peer
	enc   string
	since time.Time
	sub   *nats.Subscription
	gone  chan struct{} // closed when the entry is removed
}

// errMasterClosed ends the calls a master was relaying when it closed.
var errMasterClosed = fmt.Errorf("%w: the master closed during the call", peer.ErrClosed)

// NewMaster joins the cluster over nc. It subscribes to the master's own
// subjects and starts announcing it; workers become reachable as they are
// added.
func NewMaster(nc *nats.Conn, opts *MasterOptions) (*Master, error) {
	var o MasterOptions
	if opts != nil {
		o = *opts
	}
	if nc == nil {
		return nil, errors.New("cluster: NewMaster: nil NATS connection")
	}
	prefix, err := checkPrefix(o.Prefix)
	if err != nil {
		return nil, err
	}
	if o.ID == "" {
		o.ID = nuid.Next()
	}
	if err := checkName("master ID", o.ID); err != nil {
		return nil, err
	}
	m := &Master{
		nc: nc, prefix: prefix, id: o.ID, epoch: nuid.Next(),
		beat: o.Heartbeat, log: o.Logger,
		msgs:     make(chan *nats.Msg, max(o.Pending, 0)),
		done:     make(chan struct{}),
		workers:  make(map[string]*entry),
		inflight: make(map[string]context.CancelCauseFunc),
		changed:  make(chan struct{}, 1),
	}
	if o.Pending <= 0 {
		m.msgs = make(chan *nats.Msg, DefaultPending)
	}
	if m.beat <= 0 {
		m.beat = DefaultHeartbeat
	}
	if m.log == nil {
		m.log = slog.New(slog.DiscardHandler)
	}
	for _, subj := range []string{prefix + subjCancel, prefix + subjSync, fanoutSubject(prefix, m.id), snapshotSubject(prefix, m.id)} {
		sub, err := nc.ChanSubscribe(subj, m.msgs)
		if err != nil {
			m.unsubscribe()
			return nil, fmt.Errorf("cluster: subscribing to %s: %w", subj, err)
		}
		m.subs = append(m.subs, sub)
	}
	if err := nc.Flush(); err != nil {
		m.unsubscribe()
		return nil, fmt.Errorf("cluster: %w", err)
	}
	m.wg.Add(2)
	go m.dispatch()
	go m.announce()
	return m, nil
}

// checkPrefix checks a subject prefix, each of whose tokens must be a
// valid name, and applies the default.
func checkPrefix(prefix string) (string, error) {
	if prefix == "" {
		return DefaultPrefix, nil
	}
	for _, tok := range strings.Split(prefix, ".") {
		if err := checkName("subject prefix token", tok); err != nil {
			return "", err
		}
	}
	return prefix, nil
}

// ID returns the master's ID, as Workers reports it.
func (m *Master) ID() string { return m.id }

// Add makes p reachable as name from every client of the cluster, until
// p's connection ends or Remove or Close is called. When Add returns, NATS
// knows the name: a call made then reaches p. If name was held by another
// peer of this master, p takes it over (a worker that reconnected before
// its old connection was seen to end); the other peer stays connected,
// unnamed.
//
// p must speak a codec with a raw form (msgpack or JSON; not gob), since
// the master relays bodies undecoded. A name may also be held at another
// master at the same time (two workers given one name, or one moving
// between masters): each call then goes to one of them, never to both.
func (m *Master) Add(name string, p *peer.Peer) error {
	if err := checkName("worker name", name); err != nil {
		return err
	}
	if p == nil {
		return fmt.Errorf("%w: nil *peer.Peer", peer.ErrClosed)
	}
	enc := encodingOf(p.Codec())
	if enc == "" {
		return fmt.Errorf("%w: worker %s speaks %s, which has no raw form", ErrCodec, name, p.Codec().Name())
	}
	if err := p.Err(); err != nil {
		return err
	}
	m.mu.Lock()
	if m.closed || m.draining {
		m.mu.Unlock()
		return ErrClosed
	}
	if old := m.workers[name]; old != nil {
		if old.p == p {
			m.mu.Unlock()
			return nil
		}
		m.removeLocked(old)
	}
	sub, err := m.nc.ChanQueueSubscribe(callSubject(m.prefix, name), queueGroup, m.msgs)
	if err != nil {
		m.mu.Unlock()
		return fmt.Errorf("cluster: subscribing worker %s: %w", name, err)
	}
	e := &entry{name: name, p: p, enc: enc, since: time.Now(), sub: sub, gone: make(chan struct{})}
	m.workers[name] = e
	m.changedLocked()
	m.wg.Add(1)
	m.mu.Unlock()
	go m.watch(e)
	if err := m.nc.Flush(); err != nil {
		m.remove(e)
		return fmt.Errorf("cluster: adding worker %s: %w", name, err)
	}
	m.log.Debug("cluster: worker added", "worker", name, "master", m.id)
	return nil
}

// Remove makes the worker called name unreachable through this master.
// Its connection stays up. It reports whether the master held the name.
//
// When it returns, the NATS server has taken the unsubscribe, so a call
// made after it fails with ErrNoWorker or goes to another master holding
// the name, unless the server could not be reached within a second.
func (m *Master) Remove(name string) bool {
	m.mu.Lock()
	e := m.workers[name]
	if e != nil {
		m.removeLocked(e)
	}
	m.mu.Unlock()
	if e != nil {
		m.settle()
	}
	return e != nil
}

// settle waits until the NATS server has taken what the master sent, such
// as an unsubscribe, for at most a second; m.mu is not held.
func (m *Master) settle() {
	if err := m.nc.FlushTimeout(time.Second); err != nil && !m.nc.IsClosed() {
		m.log.Debug("cluster: flush after a change of workers", "master", m.id, "error", err)
	}
}

// watch removes e when its peer's connection ends.
func (m *Master) watch(e *entry) {
	defer m.wg.Done()
	select {
	case <-e.p.Done():
		m.remove(e)
	case <-e.gone:
	case <-m.done:
	}
}

func (m *Master) remove(e *entry) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.workers[e.name] == e {
		m.removeLocked(e)
	}
}

// removeLocked forgets e, which holds its name. m.mu is held.
//
// Its subscription is drained, not dropped: a call NATS routed here before
// the server took the unsubscribe still reaches startCall, which answers
// it with ErrNoWorker. Dropped, it would go unanswered and its caller wait
// out its whole context. A closing master, whose loop no longer reads,
// drops it.
func (m *Master) removeLocked(e *entry) {
	delete(m.workers, e.name)
	stop := e.sub.Drain
	if m.closed {
		stop = e.sub.Unsubscribe
	}
	if err := stop(); err != nil && !errors.Is(err, nats.ErrConnectionClosed) {
		m.log.Warn("cluster: unsubscribing a worker", "worker", e.name, "error", err)
	}
	close(e.gone)
	m.changedLocked()
	m.log.Debug("cluster: worker removed", "worker", e.name, "master", m.id)
}

// changedLocked records a change of the worker set and nudges the
// presence loop. m.mu is held.
func (m *Master) changedLocked() {
	m.version++
	select {
	case m.changed <- struct{}{}:
	default:
	}
}

// Workers returns the names this master holds, sorted.
func (m *Master) Workers() []string {
	m.mu.Lock()
	defer m.mu.Unlock()
	names := make([]string, 0, len(m.workers))
	for name := range m.workers {
		names = append(names, name)
	}
	slices.Sort(names)
	return names
}

// Shutdown leaves the cluster gracefully: the master stops taking calls
// (NATS sends new ones to other masters, or answers no-responders), says
// so to the clients, and waits until the calls it is relaying have been
// answered, or until ctx ends; then it closes as Close does. It returns
// ctx.Err() if ctx ended first.
func (m *Master) Shutdown(ctx context.Context) error {
	m.mu.Lock()
	if !m.closed && !m.draining {
		m.draining = true
		for _, e := range m.workers {
			m.removeLocked(e)
		}
	}
	m.mu.Unlock()
	idle := make(chan struct{})
	go func() {
		m.relays.Wait()
		close(idle)
	}()
	var err error
	select {
	case <-idle:
	case <-ctx.Done():
		err = ctx.Err()
	}
	m.Close()
	<-idle
	return err
}

// Close leaves the cluster at once: every worker becomes unreachable
// through this master, the calls it was relaying end (their callers get an
// error that Is peer.ErrClosed, and the workers a cancel), the clients are
// told, and Close waits for the master's goroutines. The workers'
// connections stay up. Close is idempotent; it does not close the NATS
// connection.
func (m *Master) Close() error {
	m.mu.Lock()
	if m.closed {
		m.mu.Unlock()
		m.wg.Wait()
		return nil
	}
	m.closed = true
	for _, e := range m.workers {
		m.removeLocked(e)
	}
	for _, cancel := range m.inflight {
		cancel(errMasterClosed)
	}
	m.mu.Unlock()
	m.unsubscribe()
	m.relays.Wait() // their answers go out before the bye that m.done sends
	close(m.done)
	m.wg.Wait()
	return nil
}

// unsubscribe drops the master's own subscriptions.
func (m *Master) unsubscribe() {
	for _, sub := range m.subs {
		sub.Unsubscribe()
	}
}
