package cluster

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/nats-io/nats.go"

	"github.com/duplexrpc/duplex/codec"
)

// How a master serves what NATS brings it.
//
// One goroutine, the dispatcher, takes every message of every
// subscription from one channel, so they are handled in the order NATS
// delivered them: a cancel never overtakes the call it names. It only
// starts things: each call and fan-out is relayed in a goroutine of its
// own, whose context ends when the caller cancels, when the caller's
// deadline passes (it travels as a timeout), or when the master closes.
// The relay then calls the worker with the body as it came (codec.Raw),
// reads the reply as it comes, and sends it back, once.

// dispatch is the dispatcher's loop.
func (m *Master) dispatch() {
	defer m.wg.Done()
	for {
		select {
		case msg := <-m.msgs:
			m.handle(msg)
		case <-m.done:
			return
		}
	}
}

func (m *Master) handle(msg *nats.Msg) {
	switch subj := msg.Subject; {
	case subj == m.prefix+subjCancel:
		m.cancelCall(headerOf(msg, hCall))
	case subj == m.prefix+subjSync, subj == snapshotSubject(m.prefix, m.id):
		m.respondSnapshot(msg)
	case subj == fanoutSubject(m.prefix, m.id):
		m.startFanout(msg)
	default:
		if name, ok := workerOf(m.prefix, subj); ok {
			m.startCall(name, msg)
		}
	}
}

// cancelCall ends the context of the relayed call or fan-out id, if it is
// still running here.
func (m *Master) cancelCall(id string) {
	m.mu.Lock()
	cancel := m.inflight[id]
	m.mu.Unlock()
	if cancel != nil {
		cancel(context.Canceled)
	}
}

// begin admits a relayed call or fan-out: it returns its context, or
// false if the master is closing. The caller must call end(id, cancel)
// when the relay is done.
func (m *Master) begin(msg *nats.Msg) (ctx context.Context, cancel context.CancelCauseFunc, id string, ok bool) {
	ctx, cancel = context.WithCancelCause(context.Background())
	if d, ok := timeoutOf(msg); ok {
		var stop context.CancelFunc
		ctx, stop = context.WithTimeout(ctx, d)
		outer := cancel
		cancel = func(cause error) { outer(cause); stop() }
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.closed || m.draining {
		cancel(errMasterClosed)
		return nil, nil, "", false
	}
	id = headerOf(msg, hCall)
	if id != "" {
		m.inflight[id] = cancel
	}
	m.relays.Add(1)
	return ctx, cancel, id, true
}

// end retires what begin admitted.
func (m *Master) end(id string, cancel context.CancelCauseFunc) {
	m.mu.Lock()
	if id != "" {
		delete(m.inflight, id)
	}
	m.mu.Unlock()
	cancel(nil)
	m.relays.Done()
}

// startCall relays a call or notification for the worker called name.
func (m *Master) startCall(name string, msg *nats.Msg) {
	m.mu.Lock()
	e := m.workers[name]
	m.mu.Unlock()
	if e == nil {
		m.fail(msg, statusNoWorker, fmt.Sprintf("%s: %q (at master %s)", ErrNoWorker, name, m.id))
		return
	}
	if enc := headerOf(msg, hCodec); encodingOfName(enc) != e.enc {
		m.fail(msg, statusCodec, fmt.Sprintf("%s: worker %s speaks %s; the caller encodes in %s", ErrCodec, name, e.p.Codec().Name(), enc))
		return
	}
	ctx, cancel, id, ok := m.begin(msg)
	if !ok {
		m.fail(msg, statusClosed, errMasterClosed.Error())
		return
	}
	go m.relay(ctx, cancel, id, e, msg)
}

// relay makes one call to the worker and answers it.
func (m *Master) relay(ctx context.Context, cancel context.CancelCauseFunc, id string, e *entry, msg *nats.Msg) {
	defer m.end(id, cancel)
	ctx, err := withMetadata(ctx, msg)
	if err != nil {
		m.fail(msg, statusFailed, err.Error())
		return
	}
	method := headerOf(msg, hMethod)
	var reply codec.Raw
	if headerOf(msg, hKind) == kindNotify {
		err = e.p.Notify(ctx, method, codec.Raw(msg.Data))
	} else {
		err = e.p.Call(ctx, method, codec.Raw(msg.Data), &reply)
	}
	if msg.Reply == "" {
		return // nobody waits for the outcome
	}
	if err != nil {
		m.failWith(msg, failureOf(causeOf(ctx, err)))
		return
	}
	m.respond(msg, reply)
}

// causeOf is err, or, for a call whose context the master ended, the
// reason it did.
func causeOf(ctx context.Context, err error) error {
	if ctx.Err() != nil && errors.Is(err, ctx.Err()) {
		if cause := context.Cause(ctx); cause != nil {
			return cause
		}
	}
	return err
}

// respond answers msg with a result.
func (m *Master) respond(msg *nats.Msg, body []byte) {
	if int64(len(body)) > m.nc.MaxPayload()-1024 {
		m.fail(msg, statusFailed, fmt.Sprintf("cluster: a reply of %d bytes is over NATS's max payload (%d)", len(body), m.nc.MaxPayload()))
		return
	}
	r := nats.NewMsg(msg.Reply)
	r.Header.Set(hMaster, m.id)
	r.Data = body
	m.send(r)
}

// fail answers msg with an error of the master's.
func (m *Master) fail(msg *nats.Msg, status, text string) {
	m.failWith(msg, failure{status: status, text: text})
}

// failWith answers msg with a failure; a worker's error has its code in
// a header and its data as the body.
func (m *Master) failWith(msg *nats.Msg, f failure) {
	if msg.Reply == "" {
		return
	}
	r := nats.NewMsg(msg.Reply)
	r.Header.Set(hMaster, m.id)
	r.Header.Set(hStatus, f.status)
	r.Header.Set(hError, f.text)
	if f.code != 0 {
		r.Header.Set(hCode, strconv.Itoa(f.code))
	}
	if int64(len(f.data)) <= m.nc.MaxPayload()-1024 {
		r.Data = f.data // data too big for NATS is dropped: the error still goes
	}
	m.send(r)
}

func (m *Master) send(r *nats.Msg) {
	if err := m.nc.PublishMsg(r); err != nil {
		m.log.Warn("cluster: answer not sent", "error", err)
	}
}

// remaining is what is left until ctx's deadline, for hTimeout.
func remaining(ctx context.Context) (time.Duration, bool) {
	d, ok := ctx.Deadline()
	if !ok {
		return 0, false
	}
	return time.Until(d), true
}
