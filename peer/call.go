package peer

import (
	"context"
	"errors"
	"fmt"
	"net/rpc"
	"sync"
	"sync/atomic"

	"github.com/duplexrpc/duplex/codec"
)

// The states of a call made through Call: its reply is either delivered
// into the caller's value or abandoned, never both.
const (
	callWaiting    int32 = iota
	callDelivering       // the reply is being decoded into the caller's value
	callAbandoned        // the caller gave up; the reply is discarded
)

// pending is the argument and the reply that Call hands net/rpc for one
// call: the client half unwraps it to learn the call's Seq and to decide,
// once, whether the reply may still be written into the caller's value.
// Completed ones are reused, with their done channel: a call costs no
// allocation of its own. Abandoned ones are never reused, since a late
// reply may still look at them.
type pending struct {
	args, reply any
	seq         uint64
	state       atomic.Int32
	decodeErr   error
	done        chan *rpc.Call
}

// pendingPool holds completed pendings. A pending's done channel is made
// on its first use by Call: calls started by a Hub share the Hub's own.
var pendingPool = sync.Pool{New: func() any { return new(pending) }}

func (pc *pending) release() {
	pc.args, pc.reply, pc.decodeErr = nil, nil, nil
	pc.state.Store(callWaiting)
	pendingPool.Put(pc)
}

// Call calls method on the other end and waits for the reply, or for ctx
// to end.
//
// When ctx ends first Call returns ctx.Err() at once and the call is
// abandoned: its reply, if it ever comes, is discarded and never written
// into reply. The remote handler is not told; it runs to completion.
//
// A reply that does not decode into reply fails this call only. A remote
// error is an rpc.ServerError (ErrBusy for a peer that refused the call at
// its MaxInFlight). When the connection is gone the error Is ErrClosed.
func (p *Peer) Call(ctx context.Context, method string, args, reply any) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	pc, call := p.start(method, args, reply, nil)
	select {
	case <-call.Done:
	case <-ctx.Done():
		if p.abandon(pc, call) {
			return ctx.Err()
		}
		<-call.Done // the reply is being decoded: it is the answer
	}
	err := p.finish(pc, call)
	pc.release()
	return err
}

// start sends a call whose completion net/rpc reports on done, or on the
// call's own channel if done is nil.
func (p *Peer) start(method string, args, reply any, done chan *rpc.Call) (*pending, *rpc.Call) {
	pc := pendingPool.Get().(*pending)
	pc.args, pc.reply = args, reply
	if done == nil {
		if pc.done == nil {
			pc.done = make(chan *rpc.Call, 1)
		}
		done = pc.done
	}
	p.outgoing.Add(1)
	return pc, p.send(method, pc, pc, done)
}

// send hands a call to rpc.Client, corking the connection around it:
// rpc.Client writes one request at a time behind its own lock, and the
// cork makes callers queued on that lock share one write to the stream.
func (p *Peer) send(method string, args, reply any, done chan *rpc.Call) *rpc.Call {
	if p.corker == nil {
		return p.client.Go(method, args, reply, done)
	}
	p.corker.Cork()
	call := p.client.Go(method, args, reply, done)
	if err := p.corker.Uncork(); err != nil {
		p.fail(err) // the request may not have left: end every call
	}
	return call
}

// abandon gives up on a call whose caller stopped waiting. It reports
// false when the reply is already being delivered: the call then completes
// as usual. It never reads call.Done, which a Hub shares between calls.
func (p *Peer) abandon(pc *pending, call *rpc.Call) bool {
	if !pc.state.CompareAndSwap(callWaiting, callAbandoned) {
		return false
	}
	// If the call is still pending, the synthetic response removes it from
	// net/rpc's map; if it has just completed, net/rpc discards it.
	p.demux.cancel(pc.seq)
	p.outgoing.Add(-1)
	return true
}

// finish returns the outcome of a completed call.
func (p *Peer) finish(pc *pending, call *rpc.Call) error {
	p.outgoing.Add(-1)
	if call.Error != nil {
		return p.callError(call.Error)
	}
	if pc.decodeErr != nil {
		return fmt.Errorf("peer: decoding reply of %s: %w", call.ServiceMethod, pc.decodeErr)
	}
	return nil
}

// callError sorts the errors net/rpc reports: remote errors stay remote,
// a failure to encode the arguments fails this call only, and anything
// else means the connection is gone.
func (p *Peer) callError(err error) error {
	var remote rpc.ServerError
	switch {
	case errors.As(err, &remote):
		return remoteError(remote)
	case errors.Is(err, codec.ErrEncode):
		return err
	}
	if e := p.Err(); e != nil {
		return e
	}
	if errors.Is(err, rpc.ErrShutdown) {
		return ErrClosed
	}
	return fmt.Errorf("%w: %w", ErrClosed, err)
}

// Go starts a call and returns at once, as rpc.Client.Go does: the call is
// sent on done (made with room for one call if nil) when it completes.
// Unlike Call, Go follows net/rpc to the letter: a reply that does not
// decode into reply ends the connection, and there is no context.
func (p *Peer) Go(method string, args, reply any, done chan *rpc.Call) *rpc.Call {
	return p.send(method, args, reply, done)
}

// Notify sends a notification: a call that expects no answer, so neither a
// result nor a remote error comes back. It returns once the frame is
// written. Where the wire has no notifications of its own (gob, between
// two peers of this package) the framing says so in its kind.
func (p *Peer) Notify(method string, args any) error {
	if err := p.Err(); err != nil {
		return err
	}
	h := codec.Header{Kind: codec.Notification, ServiceMethod: method}
	err := p.conn.Write(&h, args)
	if err != nil && !errors.Is(err, codec.ErrEncode) {
		p.fail(err)
		return p.Err()
	}
	return err
}
