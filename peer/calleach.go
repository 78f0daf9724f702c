package peer

import (
	"context"
	"errors"
	"fmt"

	"github.com/duplexrpc/duplex/codec"
)

// errNilPeer is the result of a nil peer in a fan-out.
var errNilPeer = fmt.Errorf("%w: nil *Peer", ErrClosed)

// CallEach calls method on each of peers at once and waits for all the
// answers or for ctx to end; calls still pending then fail with ctx.Err()
// and are abandoned as Call abandons them, cancel message included.
// newReply makes each peer's reply value; results are in the order of
// peers. Hub.CallAll is CallEach over a hub's peers; a relay that serves
// a chosen set of peers calls it directly.
//
// Each call sends the metadata of ctx (WithMetadata). It never waits on
// one peer's write: a peer whose send queue is full
// fails at once with ErrQueueFull, and each request is written as far as
// its socket takes it at once, the rest by that peer's flusher. It uses
// no goroutine per peer of its own. A nil peer's result is an error
// that Is ErrClosed.
func CallEach(ctx context.Context, peers []*Peer, method string, args any, newReply func() any) []Result {
	results := make([]Result, len(peers))
	calls := make([]*call, len(peers))
	fan := make(chan *call, len(peers)) // room for every completion: nobody blocks
	left := 0
	md := OutgoingMetadata(ctx)
	for i, p := range peers {
		results[i] = Result{Peer: p, Reply: newReply()}
		if p == nil {
			results[i].Err = errNilPeer
			continue
		}
		c := &call{method: method, reply: results[i].Reply, fan: fan, idx: i}
		if started, err := p.fanOut(c, args, md); !started {
			results[i].Err = err
			continue
		}
		calls[i] = c
		left++
	}
	expired := ctx.Done()
	for left > 0 {
		select {
		case c := <-fan:
			results[c.idx].Err, calls[c.idx] = c.err, nil
			left--
		case <-expired:
			expired = nil
			for i, c := range calls {
				if c != nil && peers[i].forget(c.seq) {
					peers[i].sendCancel(c.seq, ctx)
					results[i].Err, calls[i] = ctx.Err(), nil
					left--
				}
			}
			// The rest are being delivered and complete on fan.
		}
	}
	return results
}

// Result is one peer's outcome of a CallAll.
type Result struct {
	Peer  *Peer
	Reply any
	Err   error
}

// CallAll calls method on every connected peer at once, as CallEach does.
func (h *Hub) CallAll(ctx context.Context, method string, args any, newReply func() any) []Result {
	return CallEach(ctx, h.Peers(), method, args, newReply)
}

// fanOut starts c without waiting for room in the send queue. started is
// false if c will never complete on its channel; err says why.
func (p *Peer) fanOut(c *call, args any, md Metadata) (started bool, err error) {
	if err := p.register(c); err != nil {
		return false, err
	}
	h := codec.Header{Kind: codec.Request, ServiceMethod: p.registry.wireName(c.method), Seq: c.seq, Meta: md}
	// Invariant 5: a fan-out never waits for room in one peer's queue.
	flush, err := p.out.send(h, args, false, failIfFull, nil)
	p.kick(flush, noWait)
	if err == nil {
		return true, nil
	}
	if !p.forget(c.seq) {
		return true, nil // the connection ended: its error completes c
	}
	if !errors.Is(err, codec.ErrEncode) && !errors.Is(err, ErrQueueFull) {
		err = p.closedErr(err)
	}
	return false, err
}
