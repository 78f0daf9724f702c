package codec

import (
	"net/rpc"
)

// clientCodec is a Conn seen as net/rpc's ClientCodec: it writes requests
// and reads responses. A request that arrives anyway — a foreign server
// calling back on a one-direction connection — is answered with an error;
// notifications and cancels (of such requests) are skipped.
type clientCodec struct {
	conn Conn
	rh   Header // read scratch; net/rpc reads from one goroutine
	wh   Header // write scratch; net/rpc writes under its own lock
}

var _ rpc.ClientCodec = (*clientCodec)(nil)

// NewClientCodec returns conn as an rpc.ClientCodec, for
// rpc.NewClientWithCodec. The codec owns conn: Close closes it.
func NewClientCodec(conn Conn) rpc.ClientCodec {
	if d, ok := conn.(oneWay); ok {
		d.oneWay(Response)
	}
	return &clientCodec{conn: conn}
}

// oneWay is implemented by Conns whose wire is written differently when the
// connection carries calls one way only (gob, to be byte-identical with
// net/rpc). reads is the kind of frame the connection reads.
type oneWay interface{ oneWay(reads Kind) }

func (c *clientCodec) WriteRequest(r *rpc.Request, body any) error {
	c.wh = Header{Kind: Request, ServiceMethod: r.ServiceMethod, Seq: r.Seq}
	return c.conn.Write(&c.wh, body)
}

func (c *clientCodec) ReadResponseHeader(r *rpc.Response) error {
	for {
		if err := c.conn.ReadHeader(&c.rh); err != nil {
			return err
		}
		switch c.rh.Kind {
		case Response, 0:
			r.ServiceMethod, r.Seq, r.Error = "", c.rh.Seq, c.rh.Error
			return nil
		case Request:
			if err := c.conn.ReadBody(nil); err != nil {
				return err
			}
			h := Header{Kind: Response, Seq: c.rh.Seq, Error: "rpc: this connection serves no methods"}
			if err := c.conn.Write(&h, nil); err != nil {
				return err
			}
		default: // a notification nobody serves, or a Cancel
			if err := c.conn.ReadBody(nil); err != nil {
				return err
			}
		}
	}
}

func (c *clientCodec) ReadResponseBody(body any) error { return c.conn.ReadBody(body) }

func (c *clientCodec) Close() error { return c.conn.Close() }
