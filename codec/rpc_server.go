package codec

import (
	"net/rpc"
	"sync/atomic"
)

// serverCodec is a Conn seen as net/rpc's ServerCodec: it reads requests and
// notifications and writes responses, except to notifications. A response
// arriving on a one-direction connection answers nothing here and is
// skipped, and so is a cancel: net/rpc cannot stop a call it runs.
type serverCodec struct {
	conn    Conn
	rh      Header
	wh      Header // net/rpc writes responses under its own lock
	notices atomic.Uint64
}

var _ rpc.ServerCodec = (*serverCodec)(nil)

// NewServerCodec returns conn as an rpc.ServerCodec, for
// (*rpc.Server).ServeCodec. The codec owns conn: Close closes it.
func NewServerCodec(conn Conn) rpc.ServerCodec {
	if d, ok := conn.(oneWay); ok {
		d.oneWay(Request)
	}
	return &serverCodec{conn: conn}
}

func (s *serverCodec) ReadRequestHeader(r *rpc.Request) error {
	for {
		if err := s.conn.ReadHeader(&s.rh); err != nil {
			return err
		}
		switch s.rh.Kind {
		case Request, 0:
			if s.rh.Kind == Request && s.rh.Error != "" {
				if err := s.answerRejected(); err != nil {
					return err
				}
				continue
			}
			r.ServiceMethod, r.Seq = s.rh.ServiceMethod, s.rh.Seq
			return nil
		case Notification, Progress: // net/rpc knows no progress: a notification like any
			r.ServiceMethod, r.Seq = s.rh.ServiceMethod, notifyBit|s.notices.Add(1)
			return nil
		}
		// A Response or a Cancel: skipped.
		if err := s.conn.ReadBody(nil); err != nil {
			return err
		}
	}
}

// answerRejected answers a message the codec rejected (a Request with an
// Error) with the error the codec chose. net/rpc never sees it. The read
// loop writes the answer itself, at once: stock net/rpc's reader writes
// its own errors too, and nothing else here would.
func (s *serverCodec) answerRejected() error {
	if err := s.conn.ReadBody(nil); err != nil {
		return err
	}
	// Not s.wh: net/rpc may be writing a response with it at this moment.
	h := Header{Kind: Response, Seq: s.rh.Seq, Error: s.rh.Error, Code: s.rh.Code}
	return s.conn.Write(&h, nil)
}

func (s *serverCodec) ReadRequestBody(body any) error { return s.conn.ReadBody(body) }

func (s *serverCodec) WriteResponse(r *rpc.Response, body any) error {
	if r.Seq&notifyBit != 0 {
		return nil // a notification: nobody waits for the answer
	}
	s.wh = Header{Kind: Response, ServiceMethod: r.ServiceMethod, Seq: r.Seq, Error: r.Error}
	return s.conn.Write(&s.wh, body)
}

func (s *serverCodec) Close() error { return s.conn.Close() }
