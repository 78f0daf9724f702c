package transport_test

import (
	"context"
	"errors"
	"io"
	"net"
	"testing"
	"time"

	"github.com/coder/websocket"

	"github.com/duplexrpc/duplex/codec"
	"github.com/duplexrpc/duplex/transport"
)

// A WebSocket connection is what package codec asks of a message stream,
// though neither package imports the other.
var (
	_ codec.MessageWriter = wsServer(nil)
	_ codec.MessageReader = wsServer(nil)
	_ codec.TextAccepter  = wsServer(nil)
)

// wsServer is the method set a WebSocket connection of this package has.
type wsServer interface {
	net.Conn
	WritesMessages() bool
	ReadsMessages() bool
	MessageEnded() bool
	AcceptText(bool)
}

// TestWebSocketTextAccepted: once told to accept text, the connection
// reads text messages as it reads binary ones, and answers in the kind of
// the last message it read; binary until a text message comes.
func TestWebSocketTextAccepted(t *testing.T) {
	ln := listen(t, "ws://127.0.0.1:0/rpc", nil)
	ws := rawDial(t, "ws://"+ln.Addr().String()+"/rpc", nil)
	defer ws.CloseNow()
	server, ok := acceptOne(t, ln).(wsServer)
	if !ok {
		t.Fatal("the accepted connection lacks the message methods")
	}
	server.AcceptText(true)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()

	answer := func(want websocket.MessageType) {
		t.Helper()
		if _, err := server.Write([]byte("answer")); err != nil {
			t.Fatal(err)
		}
		typ, got, err := ws.Read(ctx)
		if err != nil || typ != want || string(got) != "answer" {
			t.Fatalf("answer: %v %q, %v; want %v", typ, got, err, want)
		}
	}
	answer(websocket.MessageBinary) // nothing read yet: the default
	for _, kind := range []websocket.MessageType{websocket.MessageText, websocket.MessageBinary, websocket.MessageText} {
		if err := ws.Write(ctx, kind, []byte(`{"id":1}`)); err != nil {
			t.Fatal(err)
		}
		buf := make([]byte, 64)
		n, err := server.Read(buf)
		if err != nil || string(buf[:n]) != `{"id":1}` || !server.MessageEnded() {
			t.Fatalf("read %q, %v, ended %v; want the whole %v message", buf[:n], err, server.MessageEnded(), kind)
		}
		answer(kind)
	}
}

// TestWebSocketMessageEnds: every Read returns bytes of one message, and
// MessageEnded says which Read returned a message's last byte, however
// small the reads.
func TestWebSocketMessageEnds(t *testing.T) {
	ln := listen(t, "ws://127.0.0.1:0/rpc", nil)
	ws := rawDial(t, "ws://"+ln.Addr().String()+"/rpc", nil)
	defer ws.CloseNow()
	server := acceptOne(t, ln).(wsServer)
	if !server.ReadsMessages() || !server.WritesMessages() {
		t.Fatal("a WebSocket connection does not say it keeps message boundaries")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	msgs := []string{"abcde", "", "fg", "h"}
	for _, m := range msgs {
		if err := ws.Write(ctx, websocket.MessageBinary, []byte(m)); err != nil {
			t.Fatal(err)
		}
	}
	var got []string
	var cur []byte
	buf := make([]byte, 2)
	for len(got) < 3 {
		n, err := server.Read(buf)
		if err != nil {
			t.Fatal(err)
		}
		cur = append(cur, buf[:n]...)
		if server.MessageEnded() {
			got, cur = append(got, string(cur)), nil
		}
	}
	if len(got) != 3 || got[0] != "abcde" || got[1] != "fg" || got[2] != "h" {
		t.Fatalf("messages read %q; want abcde, fg, h (the empty one has no bytes)", got)
	}
}

// TestWebSocketTextRefusedAgain: AcceptText(false), as for the msgpack
// and gob codecs, refuses text as a connection never told does.
func TestWebSocketTextRefusedAgain(t *testing.T) {
	ln := listen(t, "ws://127.0.0.1:0/rpc", nil)
	ws := rawDial(t, "ws://"+ln.Addr().String()+"/rpc", nil)
	server := acceptOne(t, ln).(wsServer)
	server.AcceptText(true)
	server.AcceptText(false)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := ws.Write(ctx, websocket.MessageText, []byte("{}")); err != nil {
		t.Fatal(err)
	}
	go ws.Read(ctx) // answers the close
	if _, err := server.Read(make([]byte, 8)); !errors.Is(err, transport.ErrTextMessage) {
		t.Fatalf("Read: %v; want ErrTextMessage", err)
	}
}

// TestWebSocketCloseWithoutStatus: a close frame with no status, which a
// browser's close() and the ws package's send, is a clean end: io.EOF.
func TestWebSocketCloseWithoutStatus(t *testing.T) {
	ln := listen(t, "ws://127.0.0.1:0/rpc", nil)
	ws := rawDial(t, "ws://"+ln.Addr().String()+"/rpc", nil)
	server := acceptOne(t, ln)
	closed := make(chan error, 1)
	go func() { closed <- ws.Close(websocket.StatusNoStatusRcvd, "") }()
	if _, err := server.Read(make([]byte, 8)); err != io.EOF {
		t.Fatalf("Read after a close without status: %v; want io.EOF", err)
	}
	server.Close()
	<-closed
}
