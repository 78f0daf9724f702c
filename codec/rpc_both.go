package codec

import (
	"fmt"
	"net/rpc"
)

// NewClientServerCodecs returns a client codec and a server codec that
// share conn, so that a stock *rpc.Client and a stock *rpc.Server run over
// one connection and call each other in both directions:
//
//	cc, sc := codec.NewClientServerCodecs(codec.Msgpack.NewConn(conn, nil))
//	go server.ServeCodec(sc)
//	client := rpc.NewClientWithCodec(cc)
//
// It is for code that holds those types. New code should use package
// peer's Peer, which is the robust path: stock net/rpc cannot cancel a
// call or bound a write, and the stock server's reading loop writes error
// responses itself (an unknown method, an argument that does not decode,
// a message the codec rejected). While such a write blocks, because the
// other end is not reading, neither direction reads; two ends over a
// stream without buffering, such as net.Pipe, can deadlock that way. A
// Peer never writes from its reader and bounds every write.
//
// There is no goroutine of its own. Whichever of net/rpc's two reading
// loops is waiting for a frame reads the stream, and hands a frame that
// belongs to the other loop over to it. Responses go to the client;
// requests, notifications and a stock gob client's requests (kind 0) go to
// the server. Cancels are read and skipped, as net/rpc cannot stop a
// handler it runs. The response net/rpc writes for a notification is
// dropped, and a message the codec rejected (a Request with an Error) is
// answered at once by the server's reading loop, as [Conn] requires.
//
// Both codecs must be in use: a frame for a loop that is not running waits
// for it, and holds up the other loop meanwhile. When reading fails both
// loops get the error, and a reply that does not decode ends the
// connection too, since net/rpc's client stops reading after one. Close of
// either codec closes conn, once. The two codecs write to conn without a
// lock of their own, as its Write is safe for concurrent use.
//
// Over [Gob], calls in both directions need gob's two-way framing, which
// stock net/rpc does not write (docs/wire.md §2.3): use this function with
// codec.Gob on both ends, not net/rpc's own gob codec nor this package's
// one-way [NewClientCodec] and [NewServerCodec].
func NewClientServerCodecs(conn Conn) (rpc.ClientCodec, rpc.ServerCodec) {
	t := newReadToken(conn)
	return &clientHalf{t: t}, &serverHalf{t: t}
}

// clientHalf is the rpc.ClientCodec of a shared connection: requests out,
// responses in.
type clientHalf struct {
	t  *readToken
	rh Header // the client loop's only
	wh Header // net/rpc writes requests under its own lock
}

var _ rpc.ClientCodec = (*clientHalf)(nil)

func (c *clientHalf) WriteRequest(r *rpc.Request, body any) error {
	c.wh = Header{Kind: Request, ServiceMethod: r.ServiceMethod, Seq: r.Seq}
	return c.t.conn.Write(&c.wh, body)
}

func (c *clientHalf) ReadResponseHeader(r *rpc.Response) error {
	if err := c.t.readHeader(clientLoop, &c.rh); err != nil {
		return err
	}
	r.ServiceMethod, r.Seq, r.Error = "", c.rh.Seq, c.rh.Error
	return nil
}

// ReadResponseBody reads a reply. net/rpc's client stops reading after any
// error here, while it holds the token: the server loop must hear of it.
func (c *clientHalf) ReadResponseBody(body any) error {
	err := c.t.conn.ReadBody(body)
	if err != nil {
		c.t.stop(fmt.Errorf("codec: the rpc.Client stopped reading: %w", err))
	}
	return err
}

func (c *clientHalf) Close() error { return c.t.close() }

// serverHalf is the rpc.ServerCodec of a shared connection: requests and
// notifications in, responses out.
type serverHalf struct {
	t       *readToken
	rh      Header // the server loop's only
	notices uint64 // the server loop's only
	wh      Header // net/rpc writes responses under its own lock
}

var _ rpc.ServerCodec = (*serverHalf)(nil)

func (s *serverHalf) ReadRequestHeader(r *rpc.Request) error {
	for {
		if err := s.t.readHeader(serverLoop, &s.rh); err != nil {
			return err
		}
		if s.rh.Kind == Request && s.rh.Error != "" {
			if err := s.answerRejected(); err != nil {
				// ServeCodec stops reading on an error here, with the token.
				s.t.stop(err)
				return err
			}
			continue
		}
		r.ServiceMethod, r.Seq = s.rh.ServiceMethod, s.rh.Seq
		if s.rh.Kind == Notification {
			s.notices++
			r.Seq = notifyBit | s.notices // WriteResponse drops its answer
		}
		return nil
	}
}

// answerRejected answers a message the codec rejected with the error the
// codec chose, at once: net/rpc never sees it, and nothing else would.
func (s *serverHalf) answerRejected() error {
	if err := s.t.conn.ReadBody(nil); err != nil {
		return err
	}
	// Not s.wh: net/rpc may be writing a response with it at this moment.
	h := Header{Kind: Response, Seq: s.rh.Seq, Error: s.rh.Error, Code: s.rh.Code}
	return s.t.conn.Write(&h, nil)
}

// ReadRequestBody reads a request's argument. An error here does not stop
// ServeCodec, which answers it and reads on; a broken stream shows at the
// next header.
func (s *serverHalf) ReadRequestBody(body any) error { return s.t.conn.ReadBody(body) }

func (s *serverHalf) WriteResponse(r *rpc.Response, body any) error {
	if r.Seq&notifyBit != 0 {
		return nil // a notification: nobody waits for the answer
	}
	s.wh = Header{Kind: Response, ServiceMethod: r.ServiceMethod, Seq: r.Seq, Error: r.Error}
	return s.t.conn.Write(&s.wh, body)
}

func (s *serverHalf) Close() error { return s.t.close() }
