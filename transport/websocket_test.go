package transport_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"os"
	"testing"
	"time"

	"github.com/coder/websocket"

	"github.com/duplexrpc/duplex/transport"
)

// rawDial opens a WebSocket to a transport listener with the library
// directly, playing a browser.
func rawDial(t *testing.T, url string, header http.Header) *websocket.Conn {
	t.Helper()
	ws, err := rawDialErr(url, header)
	if err != nil {
		t.Fatalf("websocket.Dial(%q): %v", url, err)
	}
	t.Cleanup(func() { ws.CloseNow() })
	ws.SetReadLimit(-1)
	return ws
}

func rawDialErr(url string, header http.Header) (*websocket.Conn, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	tr := &http.Transport{DisableKeepAlives: true}
	defer tr.CloseIdleConnections()
	ws, _, err := websocket.Dial(ctx, url, &websocket.DialOptions{
		HTTPClient: &http.Client{Transport: tr},
		HTTPHeader: header,
	})
	return ws, err
}

// acceptOne accepts one connection from ln, closed when the test ends.
func acceptOne(t *testing.T, ln net.Listener) net.Conn {
	t.Helper()
	c, err := ln.Accept()
	if err != nil {
		t.Fatalf("Accept: %v", err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// TestWebSocketMessagePerWrite checks that each Write is one binary
// message, and that Read joins consecutive messages into one stream.
func TestWebSocketMessagePerWrite(t *testing.T) {
	ln := listen(t, "ws://127.0.0.1:0/rpc", nil)
	ws := rawDial(t, "ws://"+ln.Addr().String()+"/rpc", nil)
	defer ws.CloseNow() // before the server end closes, so that it need not wait
	server := acceptOne(t, ln)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()

	writes := [][]byte{[]byte("first"), bytes.Repeat([]byte{0xAB}, 70000), {0x01}}
	for _, w := range writes {
		if _, err := server.Write(w); err != nil {
			t.Fatalf("Write: %v", err)
		}
	}
	for i, want := range writes {
		typ, got, err := ws.Read(ctx)
		if err != nil {
			t.Fatalf("message %d: %v", i, err)
		}
		if typ != websocket.MessageBinary || !bytes.Equal(got, want) {
			t.Errorf("message %d: got %v of %d bytes, want binary of %d bytes", i, typ, len(got), len(want))
		}
	}

	var all []byte
	for _, m := range []string{"one", "", "two", "three"} {
		if err := ws.Write(ctx, websocket.MessageBinary, []byte(m)); err != nil {
			t.Fatal(err)
		}
		all = append(all, m...)
	}
	got := make([]byte, len(all))
	if _, err := io.ReadFull(server, got); err != nil {
		t.Fatalf("ReadFull: %v", err)
	}
	if !bytes.Equal(got, all) {
		t.Errorf("read %q, want %q", got, all)
	}
}

// TestWebSocketTextMessage checks that a text message closes the
// connection with ErrTextMessage on the server and status 1003 on the
// client.
func TestWebSocketTextMessage(t *testing.T) {
	ln := listen(t, "ws://127.0.0.1:0/rpc", nil)
	ws := rawDial(t, "ws://"+ln.Addr().String()+"/rpc", nil)
	server := acceptOne(t, ln)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()

	if err := ws.Write(ctx, websocket.MessageText, []byte(`{"method":"x"}`)); err != nil {
		t.Fatal(err)
	}
	clientErr := make(chan error, 1)
	go func() {
		_, _, err := ws.Read(ctx)
		clientErr <- err
	}()
	_, err := server.Read(make([]byte, 10))
	if !errors.Is(err, transport.ErrTextMessage) {
		t.Errorf("server Read: %v, want ErrTextMessage", err)
	}
	if _, err2 := server.Read(make([]byte, 10)); !errors.Is(err2, transport.ErrTextMessage) {
		t.Errorf("second server Read: %v, want the same error", err2)
	}
	if got := websocket.CloseStatus(waitErr(t, clientErr, 5*time.Second)); got != websocket.StatusUnsupportedData {
		t.Errorf("client sees close status %v, want %v", got, websocket.StatusUnsupportedData)
	}
}

// TestWebSocketMessageTooLarge checks that a message over MaxMessageSize
// closes the connection with ErrMessageTooLarge on both ends, while one at
// the limit passes.
func TestWebSocketMessageTooLarge(t *testing.T) {
	const limit = 1024
	ln := listen(t, "ws://127.0.0.1:0/rpc", &transport.Options{MaxMessageSize: limit})
	client, server := connect(t, ln, "ws://"+ln.Addr().String()+"/rpc", nil)

	if _, err := client.Write(make([]byte, limit)); err != nil {
		t.Fatal(err)
	}
	if _, err := io.ReadFull(server, make([]byte, limit)); err != nil {
		t.Fatalf("message at the limit: %v", err)
	}

	clientErr := readResult(client, 1)
	if _, err := client.Write(make([]byte, limit+1)); err != nil {
		t.Fatal(err)
	}
	_, err := io.ReadFull(server, make([]byte, limit+1))
	if !errors.Is(err, transport.ErrMessageTooLarge) {
		t.Errorf("server Read: %v, want ErrMessageTooLarge", err)
	}
	if err := waitErr(t, clientErr, 5*time.Second); !errors.Is(err, transport.ErrMessageTooLarge) {
		t.Errorf("client Read: %v, want ErrMessageTooLarge", err)
	}
}

// TestWebSocketKeepalive checks that a peer that stops answering pings is
// dropped with ErrPingTimeout, and that a live one is not.
func TestWebSocketKeepalive(t *testing.T) {
	t.Run("live peer", func(t *testing.T) {
		opts := &transport.Options{PingInterval: 50 * time.Millisecond, PingTimeout: 2 * time.Second}
		ln := listen(t, "ws://127.0.0.1:0/rpc", opts)
		client, server := connect(t, ln, "ws://"+ln.Addr().String()+"/rpc", opts)
		clientErr, serverErr := readResult(client, 3), readResult(server, 3)
		time.Sleep(500 * time.Millisecond) // several ping rounds each way
		if _, err := client.Write([]byte("abc")); err != nil {
			t.Fatal(err)
		}
		if _, err := server.Write([]byte("xyz")); err != nil {
			t.Fatal(err)
		}
		for name, errc := range map[string]<-chan error{"client": clientErr, "server": serverErr} {
			if err := waitErr(t, errc, 5*time.Second); err != nil {
				t.Errorf("%s Read: %v", name, err)
			}
		}
	})

	t.Run("silent peer", func(t *testing.T) {
		opts := &transport.Options{PingInterval: 50 * time.Millisecond, PingTimeout: 150 * time.Millisecond}
		ln := listen(t, "ws://127.0.0.1:0/rpc", opts)
		ws := rawDial(t, "ws://"+ln.Addr().String()+"/rpc", nil)
		defer ws.CloseNow() // it never reads, so never answers a ping
		server := acceptOne(t, ln)
		start := time.Now()
		_, err := server.Read(make([]byte, 1))
		if !errors.Is(err, transport.ErrPingTimeout) {
			t.Errorf("server Read: %v, want ErrPingTimeout", err)
		}
		if d := time.Since(start); d > 3*time.Second {
			t.Errorf("took %v to notice", d)
		}
		if _, err := server.Write([]byte("x")); err == nil {
			t.Error("Write after ping timeout succeeded")
		}
	})
}

// TestWebSocketOrigin checks that a browser from another origin is refused
// unless OriginPatterns allows it.
func TestWebSocketOrigin(t *testing.T) {
	evil := http.Header{"Origin": {"http://evil.example"}}
	for _, tc := range []struct {
		patterns []string
		ok       bool
	}{{nil, false}, {[]string{"good.example"}, false}, {[]string{"evil.example"}, true}, {[]string{"*"}, true}} {
		ln := listen(t, "ws://127.0.0.1:0/rpc", &transport.Options{OriginPatterns: tc.patterns})
		go func() {
			if c, err := ln.Accept(); err == nil {
				c.Close()
			}
		}()
		ws, err := rawDialErr("ws://"+ln.Addr().String()+"/rpc", evil)
		if ws != nil {
			ws.CloseNow()
		}
		if (err == nil) != tc.ok {
			t.Errorf("OriginPatterns %q: dial error %v, want success %v", tc.patterns, err, tc.ok)
		}
		ln.Close()
	}
}

// TestWebSocketHandler mounts the handler on a server of the test's own,
// whose ReadTimeout must not cut upgraded connections off.
func TestWebSocketHandler(t *testing.T) {
	conns := make(chan net.Conn, 1)
	mux := http.NewServeMux()
	mux.Handle("/ws", transport.WebSocketHandler(func(c net.Conn) { conns <- c }, nil))
	inner, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: mux, ReadTimeout: 100 * time.Millisecond, WriteTimeout: 100 * time.Millisecond}
	go srv.Serve(inner)
	defer srv.Close()

	client, err := transport.Dial(context.Background(), "ws://"+inner.Addr().String()+"/ws", nil)
	if err != nil {
		t.Fatal(err)
	}
	server := <-conns
	defer closeBoth(client, server)

	if got, want := client.RemoteAddr().String(), inner.Addr().String(); got != want {
		t.Errorf("client RemoteAddr = %s, want %s", got, want)
	}
	if got, want := server.RemoteAddr().String(), client.LocalAddr().String(); got != want {
		t.Errorf("server RemoteAddr = %s, want client's LocalAddr %s", got, want)
	}

	time.Sleep(300 * time.Millisecond) // past the server's timeouts
	if _, err := client.Write([]byte("ping")); err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 4)
	if _, err := io.ReadFull(server, buf); err != nil {
		t.Fatalf("Read after the server's ReadTimeout: %v", err)
	}
	if _, err := server.Write(buf); err != nil {
		t.Fatalf("Write after the server's WriteTimeout: %v", err)
	}
	if _, err := io.ReadFull(client, buf); err != nil || string(buf) != "ping" {
		t.Fatalf("client Read = %q, %v", buf, err)
	}
}

// TestWebSocketListenerPath checks that a WebSocket listener answers only
// its path and reports its real port.
func TestWebSocketListenerPath(t *testing.T) {
	ln := listen(t, "ws://127.0.0.1:0/rpc", nil)
	if _, port, _ := net.SplitHostPort(ln.Addr().String()); port == "0" || port == "" {
		t.Errorf("Addr() = %v, want the bound port", ln.Addr())
	}
	c, err := transport.Dial(context.Background(), "ws://"+ln.Addr().String()+"/other", nil)
	if err == nil {
		c.Close()
		t.Fatal("Dial to another path succeeded")
	}
}

// TestWebSocketDeadline checks read deadlines: one that has passed fails
// the next Read and leaves the connection usable; one that passes during a
// Read fails it with a timeout.
func TestWebSocketDeadline(t *testing.T) {
	ln := listen(t, "ws://127.0.0.1:0/rpc", nil)
	client, server := connect(t, ln, "ws://"+ln.Addr().String()+"/rpc", nil)

	server.SetReadDeadline(time.Now().Add(-time.Second))
	if _, err := server.Read(make([]byte, 1)); !errors.Is(err, os.ErrDeadlineExceeded) {
		t.Errorf("Read past the deadline: %v, want os.ErrDeadlineExceeded", err)
	}
	server.SetReadDeadline(time.Time{})
	if _, err := client.Write([]byte("x")); err != nil {
		t.Fatal(err)
	}
	if _, err := server.Read(make([]byte, 1)); err != nil {
		t.Fatalf("Read after clearing the deadline: %v", err)
	}

	server.SetReadDeadline(time.Now().Add(50 * time.Millisecond))
	_, err := server.Read(make([]byte, 1))
	var ne net.Error
	if !errors.As(err, &ne) || !ne.Timeout() {
		t.Errorf("Read blocked past the deadline: %v, want a timeout", err)
	}
}
