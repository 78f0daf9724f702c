package transport_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/rpc"
	"sync/atomic"
	"testing"
	"time"

	"github.com/duplexrpc/duplex/transport"
)

// Arith is a net/rpc service for the interoperability tests.
type Arith struct{}

// Args are Arith's arguments.
type Args struct{ A, B int }

// Add sets *sum to a.A + a.B.
func (Arith) Add(a Args, sum *int) error {
	*sum = a.A + a.B
	return nil
}

func newArithServer(t *testing.T) *rpc.Server {
	t.Helper()
	srv := rpc.NewServer()
	if err := srv.Register(Arith{}); err != nil {
		t.Fatal(err)
	}
	return srv
}

func callAdd(t *testing.T, client *rpc.Client) {
	t.Helper()
	var sum int
	if err := client.Call("Arith.Add", Args{2, 3}, &sum); err != nil || sum != 5 {
		t.Errorf("Arith.Add(2, 3) = %d, %v; want 5, nil", sum, err)
	}
}

// TestConnectStockClient checks that net/rpc's own rpc.DialHTTPPath works
// against a listener from Listen("http://...").
func TestConnectStockClient(t *testing.T) {
	ln := listen(t, "http://127.0.0.1:0/custom/rpc", nil)
	srv := newArithServer(t)
	served := make(chan struct{})
	go func() {
		defer close(served)
		c, err := ln.Accept()
		if err != nil {
			return
		}
		srv.ServeConn(c)
	}()
	client, err := rpc.DialHTTPPath("tcp", ln.Addr().String(), "/custom/rpc")
	if err != nil {
		t.Fatalf("rpc.DialHTTPPath: %v", err)
	}
	callAdd(t, client)
	client.Close()
	<-served
}

var stockServerRuns atomic.Int64

// TestConnectStockServer checks that Dial("http://...") works against
// net/rpc's own rpc.Server.HandleHTTP.
func TestConnectStockServer(t *testing.T) {
	srv := newArithServer(t)
	// HandleHTTP registers on http.DefaultServeMux for good; the paths are
	// unique to each run of this test.
	prefix := fmt.Sprintf("/transport-test/%d", stockServerRuns.Add(1))
	srv.HandleHTTP(prefix+"/rpc", prefix+"/debug")
	inner, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	hs := &http.Server{Handler: http.DefaultServeMux}
	go hs.Serve(inner)
	defer hs.Close()

	conn, err := transport.Dial(context.Background(), "http://"+inner.Addr().String()+prefix+"/rpc", nil)
	if err != nil {
		t.Fatalf("Dial: %v", err)
	}
	client := rpc.NewClient(conn)
	defer client.Close()
	callAdd(t, client)
}

// TestConnectRefused checks the errors for a wrong path and a handler that
// is not a CONNECT endpoint.
func TestConnectRefused(t *testing.T) {
	ln := listen(t, "http://127.0.0.1:0", nil) // serves rpc.DefaultRPCPath
	for _, path := range []string{"/elsewhere"} {
		c, err := transport.Dial(context.Background(), "http://"+ln.Addr().String()+path, nil)
		if err == nil {
			c.Close()
		}
		if !errors.Is(err, transport.ErrHandshake) {
			t.Errorf("Dial to %s: %v, want ErrHandshake", path, err)
		}
	}

	// A GET to the handler gets 405.
	hs := &http.Server{Handler: transport.ConnectHandler(func(c net.Conn) { c.Close() })}
	inner, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go hs.Serve(inner)
	defer hs.Close()
	tr := &http.Transport{DisableKeepAlives: true}
	defer tr.CloseIdleConnections()
	resp, err := (&http.Client{Transport: tr}).Get("http://" + inner.Addr().String() + "/")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusMethodNotAllowed {
		t.Errorf("GET: status %d, want 405", resp.StatusCode)
	}
}

// TestConnectReadAhead checks that bytes a client sends right behind its
// CONNECT request reach the accepted connection.
func TestConnectReadAhead(t *testing.T) {
	ln := listen(t, "http://127.0.0.1:0/rpc", nil)
	raw, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer raw.Close()
	if _, err := io.WriteString(raw, "CONNECT /rpc HTTP/1.0\n\nearly bytes"); err != nil {
		t.Fatal(err)
	}
	server := acceptOne(t, ln)
	server.SetReadDeadline(time.Now().Add(5 * time.Second))
	got := make([]byte, len("early bytes"))
	if _, err := io.ReadFull(server, got); err != nil || string(got) != "early bytes" {
		t.Errorf("server read %q, %v; want the bytes sent after the request", got, err)
	}
}

// TestConnectDialContext checks that Dial gives up when its context ends
// during a handshake the server never answers.
func TestConnectDialContext(t *testing.T) {
	silent, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer silent.Close()
	go func() {
		c, err := silent.Accept()
		if err == nil {
			defer c.Close()
			io.Copy(io.Discard, c)
		}
	}()
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	start := time.Now()
	c, err := transport.Dial(ctx, "http://"+silent.Addr().String(), nil)
	if err == nil {
		c.Close()
	}
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("Dial: %v, want context.DeadlineExceeded", err)
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Errorf("Dial took %v", d)
	}
}
