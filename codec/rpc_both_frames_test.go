package codec_test

import (
	"encoding/json"
	"io"
	"net"
	"testing"
	"time"

	"github.com/duplexrpc/duplex/codec"
	"github.com/duplexrpc/duplex/internal/rpctest"
)

// This file checks, frame by frame, what the server half of
// NewClientServerCodecs does with notifications, cancels and messages the
// codec rejected, writing the other end's frames by hand.

// rawEnd returns a Conn of c on the end of a loopback connection whose
// other end is a sharedEnd serving extra, for a test that writes frames by
// hand. halfClose ends what the test writes, after which the sharedEnd
// reads the end of the stream, answers what it was sent and closes.
func rawEnd(t *testing.T, c codec.Codec, extra ...any) (raw codec.Conn, halfClose func(), e *sharedEnd) {
	t.Helper()
	aConn, bConn := loopback(t)
	e = newSharedEnd(t, c, aConn, extra...)
	bConn.SetDeadline(time.Now().Add(10 * time.Second))
	halfClose = func() {
		if err := bConn.(*net.TCPConn).CloseWrite(); err != nil {
			t.Fatalf("CloseWrite: %v", err)
		}
	}
	return c.NewConn(bConn, nil), halfClose, e
}

// readReply reads one frame, its body into reply.
func readReply(t *testing.T, conn codec.Conn, reply any) codec.Header {
	t.Helper()
	var h codec.Header
	if err := conn.ReadHeader(&h); err != nil {
		t.Fatalf("ReadHeader: %v", err)
	}
	if err := conn.ReadBody(reply); err != nil {
		t.Fatalf("ReadBody of %+v: %v", h, err)
	}
	return h
}

// answers says whether h is a successful response to the request seq.
// (Gob's carries the method too, as net/rpc writes it.)
func answers(h codec.Header, seq uint64) bool {
	return h.Kind == codec.Response && h.Seq == seq && h.Error == ""
}

// wantEOF checks that the stream ends with no further frame.
func wantEOF(t *testing.T, conn codec.Conn) {
	t.Helper()
	var h codec.Header
	if err := conn.ReadHeader(&h); err != io.EOF {
		t.Errorf("after the last answer: got %+v, %v; want io.EOF", h, err)
	}
}

// Notes records the notifications it is sent.
type Notes struct{ got chan int }

// Record records v.
func (n *Notes) Record(v int, _ *int) error {
	n.got <- v
	return nil
}

// TestClientServerCodecsNotification sends a notification and then a
// request: the server runs both and answers only the request. Its
// ServeCodec writes every answer before it closes, so the frames read
// before the end of the stream are all it wrote.
func TestClientServerCodecsNotification(t *testing.T) {
	for _, c := range codec.All() {
		t.Run(c.Name(), func(t *testing.T) {
			t.Parallel()
			notes := &Notes{got: make(chan int, 1)}
			raw, halfClose, e := rawEnd(t, c, notes)
			write(t, raw, codec.Header{Kind: codec.Notification, ServiceMethod: "Notes.Record"}, 42)
			write(t, raw, codec.Header{Kind: codec.Request, ServiceMethod: "Arith.Multiply", Seq: 7}, &rpctest.Args{A: 7, B: 8})
			halfClose()
			var got int
			h := readReply(t, raw, &got)
			if !answers(h, 7) || got != 56 {
				t.Errorf("read %+v, %d; want the response to Seq 7, 56", h, got)
			}
			wantEOF(t, raw)
			waitClosed(t, e.served, "ServeCodec to return")
			select {
			case v := <-notes.got:
				if v != 42 {
					t.Errorf("the notification recorded %d; want 42", v)
				}
			default:
				t.Errorf("the notification was not served")
			}
		})
	}
}

// TestClientServerCodecsSkipsCancel cancels a request the server is
// running: the cancel is read past, the stream stays in step, and the
// handler runs to its end, since net/rpc cannot stop it. A cancel handed
// to net/rpc as a request would be answered with an error.
func TestClientServerCodecsSkipsCancel(t *testing.T) {
	for _, c := range codec.All() {
		t.Run(c.Name(), func(t *testing.T) {
			t.Parallel()
			blocker := rpctest.NewBlocker()
			raw, halfClose, e := rawEnd(t, c, blocker)
			write(t, raw, codec.Header{Kind: codec.Request, ServiceMethod: "Blocker.Wait", Seq: 1}, 5)
			<-blocker.Started
			write(t, raw, codec.Header{Kind: codec.Cancel, Seq: 1}, nil)
			write(t, raw, codec.Header{Kind: codec.Request, ServiceMethod: "Arith.Multiply", Seq: 2}, &rpctest.Args{A: 7, B: 8})
			var got int
			if h := readReply(t, raw, &got); !answers(h, 2) || got != 56 {
				t.Errorf("first answer: got %+v, %d; want the response to Seq 2, 56", h, got)
			}
			close(blocker.Release)
			if h := readReply(t, raw, &got); !answers(h, 1) || got != 5 {
				t.Errorf("second answer: got %+v, %d; want the response to Seq 1, 5", h, got)
			}
			halfClose()
			wantEOF(t, raw)
			waitClosed(t, e.served, "ServeCodec to return")
		})
	}
}

// TestClientServerCodecsRejected sends a JSON-RPC 2.0 message the codec
// rejects: the server's reading loop answers it with the codec's error,
// and reads on.
func TestClientServerCodecsRejected(t *testing.T) {
	aConn, bConn := loopback(t)
	newSharedEnd(t, codec.JSONRPC2, aConn)
	raw := &rawSocket{t: t, conn: bConn, dec: json.NewDecoder(bConn)}
	raw.send(`{"jsonrpc":"2.0","method":"Arith.Multiply","params":"bar","id":7}`)
	wantError(t, raw.recv(), `7`, -32600)
	raw.send(`{"jsonrpc":"2.0","method":"Arith.Multiply","params":{"A":2,"B":3},"id":8}`)
	wantResult(t, raw.recv(), `8`, `6`)
}
