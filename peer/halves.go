package peer

import (
	"errors"
	"net/rpc"
	"sync"
	"sync/atomic"

	"github.com/duplexrpc/duplex/codec"
)

// notifyBit marks the Seq handed to net/rpc for a notification, so that the
// response net/rpc writes for it is dropped.
const notifyBit = 1 << 63

// clientHalf is the rpc.ClientCodec of a peer: requests out, responses in.
type clientHalf struct {
	p         *Peer
	rh, wh    codec.Header
	synthetic bool // the header just read was made up by demux.cancel
}

var _ rpc.ClientCodec = (*clientHalf)(nil)

func (c *clientHalf) WriteRequest(r *rpc.Request, body any) error {
	if pc, ok := body.(*pending); ok {
		pc.seq = r.Seq
		body = pc.args
	}
	c.wh = codec.Header{Kind: codec.Request, ServiceMethod: r.ServiceMethod, Seq: r.Seq}
	err := c.p.conn.Write(&c.wh, body)
	if err != nil && !errors.Is(err, codec.ErrEncode) {
		c.p.fail(err) // the stream broke: end everything, not just this call
	}
	return err
}

func (c *clientHalf) ReadResponseHeader(r *rpc.Response) error {
	synthetic, err := c.p.demux.readHeader(clientSide, &c.rh)
	if err != nil {
		c.p.fail(err)
		return err
	}
	c.synthetic = synthetic
	if !synthetic {
		c.p.touch()
	}
	r.ServiceMethod, r.Seq, r.Error = "", c.rh.Seq, c.rh.Error
	return nil
}

// ReadResponseBody decodes a reply. For calls made through Peer.Call, body
// is the call's *pending: a reply that does not decode fails that call only,
// and the reply of an abandoned call is discarded, never written into the
// caller's value after Call returned.
func (c *clientHalf) ReadResponseBody(body any) error {
	if c.synthetic {
		c.synthetic = false
		return nil
	}
	pc, ok := body.(*pending)
	if !ok {
		// A call made with Go, or a reply nobody waits for: net/rpc ends
		// its read loop on an error here, so the connection must end too,
		// or the server loop would wait for the read token for ever.
		if err := c.p.conn.ReadBody(body); err != nil {
			c.p.demux.stop(err)
			c.p.fail(err)
			return err
		}
		return nil
	}
	if !pc.state.CompareAndSwap(callWaiting, callDelivering) {
		return c.p.conn.ReadBody(nil)
	}
	pc.decodeErr = c.p.conn.ReadBody(pc.reply)
	return nil // a broken stream shows at the next header
}

func (c *clientHalf) Close() error { return c.p.conn.Close() }

// serverHalf is the rpc.ServerCodec of a peer: requests in, responses out.
// It bounds the requests being served: one over the bound is answered at
// once with ErrBusy, so the connection is always read — a handler at the
// bound that waits on its own outgoing call still gets its response.
type serverHalf struct {
	p        *Peer
	rh       codec.Header // the reader's only
	notices  uint64       // the reader's only
	inFlight atomic.Int64

	wmu sync.Mutex // responses are written from many handlers' goroutines
	wh  codec.Header

	bodies atomic.Uint64 // request bodies read: each hands reading over (serve.go)
	live   atomic.Int32  // server goroutines: the reader and running handlers
}

var _ rpc.ServerCodec = (*serverHalf)(nil)

func (s *serverHalf) ReadRequestHeader(r *rpc.Request) error {
	for {
		if _, err := s.p.demux.readHeader(serverSide, &s.rh); err != nil {
			s.p.fail(err) // now, not once the running handlers have returned
			return err
		}
		s.p.touch()
		if s.inFlight.Load() < s.p.maxInFlight {
			s.inFlight.Add(1)
			r.ServiceMethod, r.Seq = s.rh.ServiceMethod, s.rh.Seq
			if s.rh.Kind == codec.Notification {
				s.notices++
				r.Seq = notifyBit | s.notices
			}
			return nil
		}
		if err := s.p.conn.ReadBody(nil); err != nil {
			s.p.demux.stop(err)
			s.p.fail(err)
			return err
		}
		if s.rh.Kind == codec.Notification {
			s.p.log.Warn("peer: notification dropped: too many requests in flight", "method", s.rh.ServiceMethod)
			continue
		}
		s.p.log.Warn("peer: request refused: too many requests in flight", "method", s.rh.ServiceMethod)
		busy := codec.Header{Kind: codec.Response, ServiceMethod: s.rh.ServiceMethod, Seq: s.rh.Seq, Error: ErrBusy.Error()}
		if err := s.p.conn.Write(&busy, nil); err != nil {
			s.p.demux.stop(err)
			return err
		}
	}
}

// ReadRequestBody reads a request's body, after which a successor reads
// the next request while this goroutine runs the handler.
func (s *serverHalf) ReadRequestBody(body any) error {
	err := s.p.conn.ReadBody(body)
	s.handOver()
	return err
}

func (s *serverHalf) WriteResponse(r *rpc.Response, body any) error {
	s.inFlight.Add(-1)
	if r.Seq&notifyBit != 0 {
		if r.Error != "" {
			s.p.log.Debug("peer: notification failed", "method", r.ServiceMethod, "error", r.Error)
		}
		return nil
	}
	s.wmu.Lock()
	s.wh = codec.Header{Kind: codec.Response, ServiceMethod: r.ServiceMethod, Seq: r.Seq, Error: r.Error}
	err := s.p.conn.Write(&s.wh, body)
	s.wmu.Unlock()
	if err != nil && !errors.Is(err, codec.ErrEncode) {
		s.p.fail(err)
	} else if err != nil {
		s.p.log.Error("peer: reply not sent", "method", r.ServiceMethod, "error", err)
	}
	return err
}

func (s *serverHalf) Close() error { return s.p.conn.Close() }
