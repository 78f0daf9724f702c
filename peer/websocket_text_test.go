package peer_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"

	"github.com/duplexrpc/duplex/codec"
	"github.com/duplexrpc/duplex/peer"
	"github.com/duplexrpc/duplex/transport"
)

// wsHub serves c on a WebSocket listener of package transport until the
// test ends, and returns its URL.
func wsHub(t *testing.T, c codec.Codec, bind peer.Binder, opts *peer.HubOptions) string {
	t.Helper()
	ln, err := transport.Listen(context.Background(), "ws://127.0.0.1:0/rpc", nil)
	if err != nil {
		t.Fatal(err)
	}
	hub := peer.NewHub(c, bind, opts)
	served := make(chan error, 1)
	go func() { served <- hub.Serve(ln) }()
	t.Cleanup(func() {
		hub.Close()
		<-served
	})
	return ln.URL()
}

// rawWS dials url as a browser or a Node client does, with the WebSocket
// library itself.
func rawWS(t *testing.T, url string) *websocket.Conn {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	ws, _, err := websocket.Dial(ctx, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ws.CloseNow() })
	return ws
}

// TestWebSocketTextForJSON: a JSON client that sends each message as a
// text message, without a newline or a header whatever the codec, is
// served, and answered in text; Go's call back to it goes in text too.
func TestWebSocketTextForJSON(t *testing.T) {
	for _, c := range []codec.Codec{codec.JSONRPC2, codec.JSONRPC2Lines, codec.LSP} {
		t.Run(c.Name(), func(t *testing.T) {
			url := wsHub(t, c, bindTestServices(), &peer.HubOptions{})
			ws := rawWS(t, url)
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			req := `{"jsonrpc":"2.0","method":"Arith.Multiply","params":{"A":6,"B":7},"id":1}`
			if err := ws.Write(ctx, websocket.MessageText, []byte(req)); err != nil {
				t.Fatal(err)
			}
			typ, got, err := ws.Read(ctx)
			if err != nil || typ != websocket.MessageText || !strings.Contains(string(got), `{"jsonrpc":"2.0","id":1,"result":42}`) {
				t.Fatalf("answer: %v %q, %v; want a text message with the result 42", typ, got, err)
			}
		})
	}
}

// Doorman hands on the peer of every client that says hello.
type Doorman struct{ hello chan *peer.Peer }

// Hello is a notification: the client's first message.
func (l *Doorman) Hello(ctx context.Context, _ string, _ *struct{}) error {
	p, _ := peer.FromContext(ctx)
	l.hello <- p
	return nil
}

// TestWebSocketTextGoCallsBack: after a text message from the client, the
// master's own call to it goes in text, and the client's text answer,
// without a newline, completes it.
func TestWebSocketTextGoCallsBack(t *testing.T) {
	lobby := &Doorman{hello: make(chan *peer.Peer, 1)}
	url := wsHub(t, codec.JSONRPC2Lines, func(_ *peer.Peer, r *peer.Registry) error { return r.Register(lobby) }, nil)
	ws := rawWS(t, url)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := ws.Write(ctx, websocket.MessageText, []byte(`{"jsonrpc":"2.0","method":"Doorman.Hello","params":["hi"]}`)); err != nil {
		t.Fatal(err)
	}
	p := <-lobby.hello
	called := make(chan error, 1)
	go func() {
		var reply string
		err := p.Call(ctx, "Client.Name", nil, &reply)
		if err == nil && reply != "node" {
			err = errors.New("reply " + reply)
		}
		called <- err
	}()
	typ, got, err := ws.Read(ctx)
	if err != nil || typ != websocket.MessageText || !strings.Contains(string(got), `"method":"Client.Name"`) {
		t.Fatalf("the master's call: %v %q, %v; want a text message calling Client.Name", typ, got, err)
	}
	id := got[strings.Index(string(got), `"id":`)+5:]
	id = id[:strings.IndexAny(string(id), ",}")]
	if err := ws.Write(ctx, websocket.MessageText, []byte(`{"jsonrpc":"2.0","id":`+string(id)+`,"result":"node"}`)); err != nil {
		t.Fatal(err)
	}
	if err := <-called; err != nil {
		t.Fatalf("the master's call back: %v", err)
	}
}

// TestWebSocketTextRefusedForBinaryCodecs: msgpack and gob frames are not
// text, so a text message ends the connection with status 1003, and the
// hub's error says why.
func TestWebSocketTextRefusedForBinaryCodecs(t *testing.T) {
	for _, c := range []codec.Codec{codec.Msgpack, codec.Gob} {
		t.Run(c.Name(), func(t *testing.T) {
			ended := make(chan error, 1)
			url := wsHub(t, c, bindTestServices(), &peer.HubOptions{OnDisconnect: func(_ *peer.Peer, err error) { ended <- err }})
			ws := rawWS(t, url)
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			if err := ws.Write(ctx, websocket.MessageText, []byte(`{"jsonrpc":"2.0","method":"x","id":1}`)); err != nil {
				t.Fatal(err)
			}
			if _, _, err := ws.Read(ctx); websocket.CloseStatus(err) != websocket.StatusUnsupportedData {
				t.Errorf("the client read %v; want close status 1003", err)
			}
			if err := <-ended; !errors.Is(err, transport.ErrTextMessage) {
				t.Errorf("the hub's peer ended with %v; want ErrTextMessage", err)
			}
		})
	}
}
