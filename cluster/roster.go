package cluster

import (
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"slices"
	"sync"
	"time"

	"github.com/nats-io/nats.go"
)

// Worker is a worker of the cluster, as its master announces it.
type Worker struct {
	Name   string    // the name it is called by
	Master string    // the ID of the master it is connected to
	Codec  string    // the codec it speaks, as codec.ByName knows it
	Since  time.Time // when the master added it, by the master's clock
}

// Workers returns the workers connected to the cluster, sorted by name,
// and for each the master it is connected to. It reflects a connect or a
// disconnect within milliseconds, and a master's death within three of its
// heartbeats (1.5 s by default). The client's first call waits about one
// heartbeat to hear from every master, or until ctx ends. A name held at
// two masters (one worker between two, or two workers given one name) is
// listed once for each.
func (c *Client) Workers(ctx context.Context) ([]Worker, error) {
	r, err := c.watch(ctx)
	if err != nil {
		return nil, err
	}
	var list []Worker
	for _, v := range r.live() {
		list = append(list, v.workers...)
	}
	slices.SortFunc(list, func(a, b Worker) int {
		return cmp.Or(cmp.Compare(a.Name, b.Name), cmp.Compare(a.Master, b.Master))
	})
	return list, nil
}

// watch starts watching the cluster's presence, once, and waits until the
// client has had time to hear from every master.
func (c *Client) watch(ctx context.Context) (*roster, error) {
	c.rosterOnce.Do(c.startRoster)
	if c.rosterErr != nil {
		return nil, c.rosterErr
	}
	if c.roster == nil {
		return nil, ErrClosed
	}
	select {
	case <-c.closed: // first: once closed, a ready roster is no answer
		return nil, ErrClosed
	default:
	}
	select {
	case <-c.roster.ready:
		return c.roster, nil
	case <-c.closed:
		return nil, ErrClosed
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

// startRoster starts the client's roster; rosterOnce runs it.
func (c *Client) startRoster() {
	c.roster, c.rosterErr = startRoster(c.nc, c.prefix, c.beat, c.log)
}

// rosterNow starts the roster if it is not started and returns it; nil
// if the client is closed or the roster could not start.
func (c *Client) rosterNow() *roster {
	c.rosterOnce.Do(c.startRoster)
	select {
	case <-c.closed:
		return nil
	default:
	}
	return c.roster
}

// roster is a client's view of the masters and their workers.
type roster struct {
	nc     *nats.Conn
	prefix string
	inbox  string // where masters answer the roster's requests
	log    *slog.Logger
	subs   []*nats.Subscription
	ready  chan struct{} // closed a little over a heartbeat after the start
	timer  *time.Timer
	grace  time.Duration   // see lostGrace
	ctx    context.Context // ended by stop: ends the sweep and probes
	end    context.CancelFunc

	mu      sync.Mutex
	masters map[string]*masterView
	watches map[string]map[*goneWatch]struct{} // by master ID
	probing map[string]bool                    // masters being probed
}

// masterView is what a client knows of one master.
type masterView struct {
	id      string
	epoch   string
	version uint64
	beat    time.Duration
	seen    time.Time // the last message from it
	asked   time.Time // the last time the roster asked it for its snapshot
	workers []Worker
	names   map[string]bool // of workers
}

// forgetAfter is how many of its heartbeats a master may stay silent
// before a client forgets it.
const forgetAfter = 3

func startRoster(nc *nats.Conn, prefix string, beat time.Duration, log *slog.Logger) (*roster, error) {
	r := &roster{
		nc: nc, prefix: prefix, inbox: nc.NewInbox(), log: log, ready: make(chan struct{}),
		masters: make(map[string]*masterView), watches: make(map[string]map[*goneWatch]struct{}), probing: make(map[string]bool),
	}
	for _, subj := range []string{prefix + subjPresence, r.inbox} {
		sub, err := nc.Subscribe(subj, r.handle)
		if err != nil {
			r.stop()
			return nil, fmt.Errorf("cluster: subscribing to %s: %w", subj, err)
		}
		r.subs = append(r.subs, sub)
	}
	// Every master answers at once; those whose answers are lost are
	// heard within a heartbeat.
	if err := nc.PublishRequest(prefix+subjSync, r.inbox, nil); err != nil {
		r.stop()
		return nil, fmt.Errorf("cluster: %w", err)
	}
	r.timer = time.AfterFunc(beat+beat/5+50*time.Millisecond, func() { close(r.ready) })
	r.grace = max(beat, lostGrace)
	r.ctx, r.end = context.WithCancel(context.Background())
	go r.sweep(beat / 2)
	return r, nil
}

func (r *roster) stop() {
	if r.end != nil {
		r.end()
	}
	for _, sub := range r.subs {
		sub.Unsubscribe()
	}
	if r.timer != nil {
		r.timer.Stop()
	}
}

// handle takes one presence message: published, or an answer to the
// roster's request.
func (r *roster) handle(msg *nats.Msg) {
	var p presence
	if err := json.Unmarshal(msg.Data, &p); err != nil || p.Master == "" {
		r.log.Debug("cluster: presence message dropped", "error", err)
		return
	}
	now := time.Now()
	var fires []func()
	defer func() { fireAll(fires) }() // after the unlock below
	r.mu.Lock()
	defer r.mu.Unlock()
	v := r.masters[p.Master]
	switch p.Kind {
	case presenceBye:
		if v != nil && v.epoch == p.Epoch {
			fires = r.forgetLocked(p.Master, true)
		}
	case presenceSnapshot:
		if v != nil && v.epoch == p.Epoch && p.Version < v.version {
			v.seen = now // an older snapshot, overtaken
			return
		}
		if v != nil && v.epoch != p.Epoch {
			fires = r.forgetLocked(p.Master, true) // it restarted: the old instance is gone
		}
		v = &masterView{id: p.Master, epoch: p.Epoch, version: p.Version, beat: time.Duration(p.Beat) * time.Millisecond, seen: now}
		v.workers = make([]Worker, len(p.Workers))
		v.names = make(map[string]bool, len(p.Workers))
		for i, w := range p.Workers {
			v.workers[i] = Worker{Name: w.Name, Master: p.Master, Codec: w.Codec, Since: w.Since}
			v.names[w.Name] = true
		}
		r.masters[p.Master] = v
	case presenceBeat:
		if v != nil && v.epoch == p.Epoch && v.version >= p.Version {
			v.seen = now
			return
		}
		if v != nil && v.epoch == p.Epoch {
			v.seen = now // alive; its snapshot is on its way or lost
		}
		beat := time.Duration(p.Beat) * time.Millisecond
		if v == nil || now.Sub(v.asked) >= beat {
			if v != nil {
				v.asked = now
			}
			if err := r.nc.PublishRequest(snapshotSubject(r.prefix, p.Master), r.inbox, nil); err != nil {
				r.log.Debug("cluster: asking for a snapshot", "master", p.Master, "error", err)
			}
		}
	}
}

// live returns the masters heard from lately, forgetting the others.
func (r *roster) live() []*masterView {
	now := time.Now()
	var fires []func()
	r.mu.Lock()
	list := make([]*masterView, 0, len(r.masters))
	for id, v := range r.masters {
		if now.Sub(v.seen) > forgetAfter*max(v.beat, time.Millisecond) {
			fires = append(fires, r.forgetLocked(id, false)...)
			continue
		}
		list = append(list, v)
	}
	r.mu.Unlock()
	fireAll(fires)
	return list
}
