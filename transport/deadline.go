package transport

import (
	"sync"
	"time"
)

// deadline is the read or write deadline of one connection. Blocked
// operations select on done; an operation that cannot be abandoned
// cooperatively (a WebSocket read) registers a hook with watch instead.
type deadline struct {
	mu    sync.Mutex
	gen   uint64 // counts set calls, so a stale timer cannot fire
	timer *time.Timer
	ch    chan struct{} // closed while the deadline has passed
	hook  func()        // run when the deadline passes, between watch and unwatch
}

func newDeadline() *deadline {
	return &deadline{ch: make(chan struct{})}
}

// set moves the deadline to t; the zero time means none.
func (d *deadline) set(t time.Time) {
	d.mu.Lock()
	d.gen++
	gen := d.gen
	if d.timer != nil {
		d.timer.Stop()
		d.timer = nil
	}
	if isClosed(d.ch) {
		d.ch = make(chan struct{})
	}
	past := false
	if !t.IsZero() {
		if dur := time.Until(t); dur > 0 {
			d.timer = time.AfterFunc(dur, func() { d.expire(gen) })
		} else {
			past = true
		}
	}
	d.mu.Unlock()
	if past {
		d.expire(gen)
	}
}

func (d *deadline) expire(gen uint64) {
	d.mu.Lock()
	if gen != d.gen || isClosed(d.ch) {
		d.mu.Unlock()
		return
	}
	close(d.ch)
	hook := d.hook
	d.mu.Unlock()
	if hook != nil {
		hook()
	}
}

// done returns a channel that is closed once the deadline has passed.
func (d *deadline) done() <-chan struct{} {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.ch
}

// watch arranges for f to run if the deadline passes before unwatch. It
// reports false, arranging nothing, if the deadline has already passed.
func (d *deadline) watch(f func()) bool {
	d.mu.Lock()
	defer d.mu.Unlock()
	if isClosed(d.ch) {
		return false
	}
	d.hook = f
	return true
}

func (d *deadline) unwatch() {
	d.mu.Lock()
	d.hook = nil
	d.mu.Unlock()
}

// stop cancels a pending timer; used by Close.
func (d *deadline) stop() {
	d.mu.Lock()
	d.gen++
	if d.timer != nil {
		d.timer.Stop()
		d.timer = nil
	}
	d.mu.Unlock()
}

func isClosed(ch <-chan struct{}) bool {
	select {
	case <-ch:
		return true
	default:
		return false
	}
}
