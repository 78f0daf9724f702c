package cluster

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/nats-io/nats.go"

	"github.com/duplexrpc/duplex/peer"
)

// Calls whose master is lost. A request sent through NATS has no
// connection of its own whose end would fail it: a master that dies with
// a call in flight leaves its caller waiting. So the client's roster
// tells each request when the masters that may be relaying it are gone
// (docs/cluster.md §8).

// requestGuarded sends the request of call id to the worker called name
// and waits for its answer. If every master the roster knows to hold the
// name is forgotten meanwhile (it died), none is left to answer: the call
// fails then, with an error that Is peer.ErrClosed, as one whose
// connection ended does, and its cancel is sent in case the roster was
// wrong. Before the roster has heard from the masters (about a heartbeat
// after the client's first call), such a call waits for ctx.
func (c *Client) requestGuarded(ctx context.Context, name, id string, msg *nats.Msg) (*nats.Msg, error) {
	callCtx := ctx
	if r := c.rosterNow(); r != nil {
		if masters := r.holders(name); len(masters) > 0 {
			var cancel context.CancelCauseFunc
			callCtx, cancel = context.WithCancelCause(ctx)
			stop := r.watchGone(masters, func(master string) {
				cancel(&relayError{fmt.Sprintf("cluster: calling %s: its master %s is gone; the call may have run", name, master), peer.ErrClosed})
			})
			defer func() { stop(); cancel(nil) }()
		}
	}
	resp, err := c.nc.RequestMsgWithContext(callCtx, msg)
	if err == nil {
		return resp, nil
	}
	if ctx.Err() == nil && callCtx.Err() != nil {
		c.cancel(id)
		return nil, context.Cause(callCtx)
	}
	return nil, c.requestFailed(ctx, name, id, err)
}

// goneWatch is a request in flight at one of a few masters: it is told
// when the last of them is forgotten, since then none is left to answer.
type goneWatch struct {
	left    int  // its masters not yet forgotten; under roster.mu
	stopped bool // its request ended; under roster.mu
	fire    func(master string)
}

// lostGrace is how long a watch waits, once its last master is gone,
// before it ends its request: an answer the master sent before its bye,
// or before its connection dropped, may still be on its way through the
// client's NATS goroutines, and an answer is better than an error. At
// least a heartbeat.
const lostGrace = 250 * time.Millisecond

// sweep forgets silent masters as they fall silent, not only when the
// view is next read, so that the requests watching them end on time.
func (r *roster) sweep(every time.Duration) {
	t := time.NewTicker(max(every, time.Millisecond))
	defer t.Stop()
	for {
		select {
		case <-t.C:
			r.live()
		case <-r.ctx.Done():
			return
		}
	}
}

// holders returns the masters that hold a worker called name, as far as
// the roster knows; none if it is not ready yet.
func (r *roster) holders(name string) []string {
	select {
	case <-r.ready:
	default:
		return nil
	}
	now := time.Now()
	var ids []string
	r.mu.Lock()
	defer r.mu.Unlock()
	for id, v := range r.masters {
		if v.names[name] && now.Sub(v.seen) <= forgetAfter*max(v.beat, time.Millisecond) {
			ids = append(ids, id)
		}
	}
	return ids
}

// watchGone calls fire once the last of masters is forgotten (it died,
// or said goodbye), with that master's ID. Masters the roster does not
// know are left out; if it knows none, fire is never called. stop ends
// the watch.
func (r *roster) watchGone(masters []string, fire func(master string)) (stop func()) {
	w := &goneWatch{fire: fire}
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, id := range masters {
		if r.masters[id] == nil {
			continue
		}
		set := r.watches[id]
		if set == nil {
			set = make(map[*goneWatch]struct{})
			r.watches[id] = set
		}
		if _, dup := set[w]; !dup {
			set[w] = struct{}{}
			w.left++
		}
	}
	return func() {
		r.mu.Lock()
		defer r.mu.Unlock()
		w.stopped = true
		for _, id := range masters {
			delete(r.watches[id], w) // the set stays for the next call: one map per master
		}
	}
}

// forgetLocked drops the master id from the view. A master that said
// goodbye or restarted (gone) is gone for its watches too; one that only
// fell silent is probed first, since a slow master is not a dead one. It
// returns what to do once r.mu, which is held, is released.
func (r *roster) forgetLocked(id string, gone bool) (after []func()) {
	v := r.masters[id]
	delete(r.masters, id)
	if gone {
		return r.fireLocked(id)
	}
	if len(r.watches[id]) > 0 && !r.probing[id] && v != nil {
		r.probing[id] = true
		after = append(after, func() { go r.probe(id, v.epoch, v.beat) })
	}
	return after
}

// fireLocked ends the watches of master id, and returns the calls to make
// for those it was the last master of: each fires after the grace, unless
// its request ended meanwhile. r.mu is held.
func (r *roster) fireLocked(id string) (fires []func()) {
	for w := range r.watches[id] {
		if w.left--; w.left == 0 {
			fires = append(fires, func() {
				time.AfterFunc(r.grace, func() {
					r.mu.Lock()
					stopped := w.stopped
					r.mu.Unlock()
					if !stopped {
						w.fire(id)
					}
				})
			})
		}
	}
	delete(r.watches, id)
	return fires
}

// probe asks a master that fell silent for its snapshot. NATS answers
// no-responders at once if its connection is gone; a master that answers
// is alive, and back in the view; one that does not answer within
// another three heartbeats (a second at least) is taken for dead. Its
// watches end in both of the last cases.
func (r *roster) probe(id, epoch string, beat time.Duration) {
	ctx, cancel := context.WithTimeout(r.ctx, max(forgetAfter*beat, time.Second))
	defer cancel()
	msg, err := r.nc.RequestWithContext(ctx, snapshotSubject(r.prefix, id), nil)
	if r.ctx.Err() != nil {
		return // the client closed
	}
	if err == nil {
		var p presence
		if json.Unmarshal(msg.Data, &p) == nil && p.Epoch == epoch {
			r.handle(msg) // alive after all
		}
	}
	r.mu.Lock()
	delete(r.probing, id)
	var fires []func()
	if v := r.masters[id]; v == nil || v.epoch != epoch {
		fires = r.fireLocked(id)
	}
	r.mu.Unlock()
	fireAll(fires)
}

func fireAll(fires []func()) {
	for _, f := range fires {
		f()
	}
}
