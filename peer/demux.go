package peer

import (
	"sync"

	"github.com/duplexrpc/duplex/codec"
)

// side is one of net/rpc's two read loops on a connection.
type side uint8

const (
	nobody     side = iota
	clientSide      // rpc.Client's input loop: reads responses
	serverSide      // the server loop (serve.go): reads requests
)

// route says which loop a frame belongs to. A frame whose wire does not say
// (a stock net/rpc gob client's) is a request.
func route(k codec.Kind) side {
	if k == codec.Response {
		return clientSide
	}
	return serverSide
}

// demux shares one codec.Conn between net/rpc's two read loops without a
// goroutine of its own. Whichever loop holds the read token reads the next
// header from the socket itself; if the frame is its own it keeps the token
// and reads the body too, and if it belongs to the other loop it hands over
// the header and the token and waits. Traffic in one direction never pays a
// hand-off; a frame for the other loop pays the one wake-up that net/rpc's
// layout needs anyway.
type demux struct {
	conn codec.Conn

	mu      sync.Mutex
	wake    sync.Cond
	owner   side         // the loop that may read the socket
	ready   side         // the loop a read header waits for
	hdr     codec.Header // that header
	err     error        // the read error that ended the connection
	cancels []uint64     // Seqs of abandoned calls owed a synthetic response
}

func newDemux(conn codec.Conn) *demux {
	d := &demux{conn: conn}
	d.wake.L = &d.mu
	return d
}

// readHeader returns the next header for the loop me. synthetic is true
// for a made-up response that ends an abandoned call; it has no body.
func (d *demux) readHeader(me side, h *codec.Header) (synthetic bool, err error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	for {
		if me == clientSide && len(d.cancels) > 0 {
			seq := d.cancels[len(d.cancels)-1]
			d.cancels = d.cancels[:len(d.cancels)-1]
			*h = codec.Header{Kind: codec.Response, Seq: seq, Error: ErrCancelled.Error()}
			return true, nil
		}
		if d.ready == me {
			*h, d.ready = d.hdr, nobody
			return false, nil
		}
		if d.err != nil {
			return false, d.err
		}
		if d.owner != nobody && d.owner != me {
			d.wake.Wait()
			continue
		}
		d.owner = me
		d.mu.Unlock()
		err := d.conn.ReadHeader(h)
		d.mu.Lock()
		if err != nil {
			d.err, d.owner = err, nobody
			d.wake.Broadcast()
			return false, err
		}
		if to := route(h.Kind); to != me {
			d.hdr, d.ready, d.owner = *h, to, to
			d.wake.Broadcast()
			continue
		}
		return false, nil
	}
}

// cancel makes the client loop answer seq with a synthetic error response,
// which removes the abandoned call from rpc.Client's pending map. A real
// response arriving later finds no call and is discarded by net/rpc.
func (d *demux) cancel(seq uint64) {
	d.mu.Lock()
	d.cancels = append(d.cancels, seq)
	d.mu.Unlock()
	d.wake.Broadcast()
}

// stop ends reading with err, for a loop that fails outside readHeader.
func (d *demux) stop(err error) {
	d.mu.Lock()
	if d.err == nil {
		d.err = err
	}
	d.owner = nobody
	d.mu.Unlock()
	d.wake.Broadcast()
}

// readErr returns the error that ended reading, if any.
func (d *demux) readErr() error {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.err
}
