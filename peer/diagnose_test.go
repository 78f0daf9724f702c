package peer_test

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/duplexrpc/duplex/codec"
	"github.com/duplexrpc/duplex/peer"
	"github.com/duplexrpc/duplex/transport"
	"github.com/duplexrpc/duplex/transport/transporttest"
)

// fakeServer accepts connections on loopback and hands each to serve, in a
// goroutine; the cleanup closes the listener and waits for them. It
// returns the address.
func fakeServer(t *testing.T, serve func(n int, c net.Conn)) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for n := 1; ; n++ {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			wg.Add(1)
			go func() {
				defer wg.Done()
				defer c.Close()
				serve(n, c)
			}()
		}
	}()
	t.Cleanup(func() {
		ln.Close()
		wg.Wait()
	})
	return ln.Addr().String()
}

// hangUp reads what comes first and closes the connection without a
// word, as a peer of another codec does.
func hangUp(c net.Conn) {
	c.SetReadDeadline(time.Now().Add(10 * time.Second))
	var b [4096]byte
	c.Read(b[:])
}

// callOver dials addr over plain TCP, makes one call with c and returns its
// error.
func callOver(t *testing.T, addr string, c codec.Codec) error {
	t.Helper()
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	p, err := peer.New(conn, c, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	var got int
	return p.Call(ctx, "Arith.Multiply", struct{ A, B int }{2, 3}, &got)
}

// wantDiagnosis fails unless err Is ErrClosed and codec.ErrWrongCodec and
// says each of says.
func wantDiagnosis(t *testing.T, err error, says ...string) {
	t.Helper()
	if !errors.Is(err, peer.ErrClosed) || !errors.Is(err, codec.ErrWrongCodec) {
		t.Fatalf("error %v; want ErrClosed and codec.ErrWrongCodec", err)
	}
	for _, s := range says {
		if !strings.Contains(err.Error(), s) {
			t.Fatalf("error %q; want it to say %q", err, s)
		}
	}
}

// TestRedialerStopsWhenHungUpOn is the classic mismatch: a worker whose
// master speaks another codec greets it, the master hangs up on the
// greeting, and the worker never reads a byte. After three such ends in a
// row the Redialer stops, within 5 s, with an error that Is
// codec.ErrWrongCodec and names the worker's codec.
func TestRedialerStopsWhenHungUpOn(t *testing.T) {
	pairs := []struct{ worker, master codec.Codec }{
		{codec.JSONRPC2, codec.Msgpack},
		{codec.Msgpack, codec.JSONRPC2},
		{codec.Gob, codec.LSP},
		{codec.JSONRPC2Lines, codec.Gob},
		{codec.LSP, codec.MsgpackUgorji},
	}
	for _, pair := range pairs {
		t.Run(pair.worker.Name()+"→"+pair.master.Name(), func(t *testing.T) {
			t.Parallel()
			hubSaw := make(chan error, 10)
			_, addr := startHub(t, pair.master, bindTestServices(), &peer.HubOptions{
				OnDisconnect: func(_ *peer.Peer, err error) { hubSaw <- err },
			})
			var dials atomic.Int32
			stopped := make(chan error, 1)
			start := time.Now()
			r := peer.NewRedialer(func(ctx context.Context) (io.ReadWriteCloser, error) {
				dials.Add(1)
				var d net.Dialer
				return d.DialContext(ctx, "tcp", addr)
			}, pair.worker, bindTestServices(), &peer.RedialOptions{OnState: func(s peer.State, _ *peer.Peer, err error) {
				if s == peer.Stopped {
					stopped <- err
				}
			}})
			defer r.Close()
			var err error
			select {
			case err = <-stopped:
			case <-time.After(5 * time.Second):
				t.Fatalf("still redialing after 5s and %d dials", dials.Load())
			}
			t.Logf("stopped after %v: %v", time.Since(start).Round(time.Millisecond), err)
			wantDiagnosis(t, err, "this end speaks "+pair.worker.Name(), "3 connections in a row")
			if n := dials.Load(); n != 3 {
				t.Errorf("dialed %d times; want 3", n)
			}
			if s := r.State(); s != peer.Stopped {
				t.Errorf("state %v; want stopped", s)
			}
			_, err = r.Peer(context.Background())
			wantDiagnosis(t, err, "this end speaks "+pair.worker.Name())
			// The master knew all along, from the first bytes.
			wantDiagnosis(t, <-hubSaw, "this end speaks "+pair.master.Name())
		})
	}
}

// TestHangUpsMustComeInARow has a server hang up on a worker twice, then
// serve it properly once, then hang up for good: the Redialer stops only
// after the third hang-up in a row, at the sixth dial.
func TestHangUpsMustComeInARow(t *testing.T) {
	addr := fakeServer(t, func(n int, c net.Conn) {
		if n != 3 {
			hangUp(c)
			return
		}
		p, err := peer.New(c, codec.Msgpack, nil)
		if err != nil {
			return
		}
		p.Notify(context.Background(), "Worker.Hello", "hi")
		time.Sleep(300 * time.Millisecond)
		p.Close()
	})
	var dials atomic.Int32
	stopped := make(chan error, 1)
	r := peer.NewRedialer(func(ctx context.Context) (io.ReadWriteCloser, error) {
		dials.Add(1)
		var d net.Dialer
		return d.DialContext(ctx, "tcp", addr)
	}, codec.Msgpack, nil, &peer.RedialOptions{
		MinBackoff: time.Millisecond, MaxBackoff: 10 * time.Millisecond,
		OnState: func(s peer.State, _ *peer.Peer, err error) {
			if s == peer.Stopped {
				stopped <- err
			}
		},
	})
	defer r.Close()
	select {
	case err := <-stopped:
		wantDiagnosis(t, err, "3 connections in a row")
	case <-time.After(10 * time.Second):
		t.Fatalf("still redialing after 10s and %d dials", dials.Load())
	}
	if n := dials.Load(); n != 6 {
		t.Fatalf("stopped at dial %d; want 6 (two hang-ups, a good connection, three hang-ups)", n)
	}
}

// TestDialerHearsHTTP dials a WebSocket listener, an HTTP server, over
// plain TCP with every codec: the server answers 400, and the caller's
// error says so, names its own codec and Is codec.ErrWrongCodec. A real
// listener answers at once only to bytes that hold a line end (the JSON
// codecs'); a fake one answers every codec.
func TestDialerHearsHTTP(t *testing.T) {
	ln, err := transport.Listen(context.Background(), "ws://127.0.0.1:0/rpc", nil)
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	for _, c := range []codec.Codec{codec.JSONRPC, codec.JSONRPC2, codec.LSP, codec.JSONRPC2Lines} {
		err := callOver(t, ln.Addr().String(), c)
		wantDiagnosis(t, err, `answered in HTTP ("HTTP/1.1 400 Bad Request")`, "ws://", "this end speaks "+c.Name())
	}
	fake := fakeServer(t, func(_ int, c net.Conn) {
		hangUp(c)
		io.WriteString(c, "HTTP/1.1 400 Bad Request\r\nConnection: close\r\n\r\n400 Bad Request")
	})
	for _, c := range codec.All() {
		err := callOver(t, fake, c)
		wantDiagnosis(t, err, `answered in HTTP ("HTTP/1.1 400 Bad Request")`, "this end speaks "+c.Name())
	}
}

// TestDialerHearsTLS dials TLS servers over plain TCP. One that sends an
// alert is named for it; Go's, which hangs up without a word, is taken
// for a hang-up on our first frame. Both are codec.ErrWrongCodec.
func TestDialerHearsTLS(t *testing.T) {
	alert := fakeServer(t, func(_ int, c net.Conn) {
		hangUp(c)
		c.Write([]byte{0x15, 0x03, 0x03, 0x00, 0x02, 0x02, 0x46}) // fatal protocol_version
	})
	for _, c := range codec.All() {
		wantDiagnosis(t, callOver(t, alert, c), "sent a TLS record (an alert)", "tls://", "this end speaks "+c.Name())
	}

	ca := transporttest.NewCA(t, "test CA")
	opts := &transport.Options{TLSConfig: &tls.Config{Certificates: []tls.Certificate{ca.Issue(t, "server", "127.0.0.1")}}}
	ln, err := transport.Listen(context.Background(), "tls://127.0.0.1:0", opts)
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	wantDiagnosis(t, callOver(t, ln.Addr().String(), codec.Msgpack), "hung up", "after our first frame", "this end speaks msgpack")
}

// TestHubHearsHTTPAndTLS: the end that listens names a WebSocket client
// and a TLS client for what they are, even on the codecs that answer bytes
// they cannot read with an error and read on.
func TestHubHearsHTTPAndTLS(t *testing.T) {
	for _, c := range []codec.Codec{codec.Msgpack, codec.JSONRPC2, codec.JSONRPC2Lines, codec.LSP} {
		t.Run(c.Name(), func(t *testing.T) {
			saw := make(chan error, 2)
			_, addr := startHub(t, c, nil, &peer.HubOptions{OnDisconnect: func(_ *peer.Peer, err error) { saw <- err }})
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			if conn, err := transport.Dial(ctx, "ws://"+addr+"/rpc", nil); err == nil {
				conn.Close()
				t.Fatal("a WebSocket handshake with a plain hub succeeded")
			}
			wantDiagnosis(t, <-saw, `sent an HTTP request ("GET /rpc HTTP/1.1")`, "this end speaks "+c.Name())
			if conn, err := (&tls.Dialer{Config: &tls.Config{InsecureSkipVerify: true}}).DialContext(ctx, "tcp", addr); err == nil {
				conn.Close()
				t.Fatal("a TLS handshake with a plain hub succeeded")
			}
			wantDiagnosis(t, <-saw, "sent a TLS record (a handshake)", "this end speaks "+c.Name())
		})
	}
}

// TestPartFrameThenClose: bytes that start a frame of our wire and stop
// are reported as they came, and are not a wrong codec.
func TestPartFrameThenClose(t *testing.T) {
	addr := fakeServer(t, func(_ int, c net.Conn) {
		hangUp(c)
		c.Write([]byte{0x94, 0x01})
	})
	err := callOver(t, addr, codec.Msgpack)
	if !errors.Is(err, peer.ErrClosed) || errors.Is(err, codec.ErrWrongCodec) || !strings.Contains(err.Error(), `sent "\x94\x01"`) {
		t.Fatalf("error %v; want ErrClosed naming the bytes, not ErrWrongCodec", err)
	}
}

// TestCleanEndsAreNotWrongCodec: connections that end in ways a healthy
// system's do are never taken for a wrong codec.
func TestCleanEndsAreNotWrongCodec(t *testing.T) {
	t.Run("after traffic", func(t *testing.T) {
		t.Parallel()
		a, b := peerPair(t, codec.Msgpack, bindTestServices(), nil)
		var got int
		if err := b.Call(context.Background(), "Arith.Multiply", struct{ A, B int }{6, 7}, &got); err != nil || got != 42 {
			t.Fatalf("call: %d, %v", got, err)
		}
		a.Close()
		<-b.Done()
		if err := b.Err(); !errors.Is(err, peer.ErrClosed) || errors.Is(err, codec.ErrWrongCodec) {
			t.Fatalf("the caller's peer ended with %v; want a plain ErrClosed", err)
		}
	})
	t.Run("silent master long after the greeting", func(t *testing.T) {
		t.Parallel()
		// A master that never calls this worker, and goes away: the
		// worker heard nothing, but its greeting went out long before.
		hub, addr := startHub(t, codec.Msgpack, nil, nil)
		conn, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		w, err := peer.New(conn, codec.Msgpack, nil)
		if err != nil {
			t.Fatal(err)
		}
		defer w.Close()
		if err := w.Notify(context.Background(), "Master.Hello", "w1"); err != nil {
			t.Fatal(err)
		}
		waitFor(t, "the worker at the hub", func() bool { return hub.Len() == 1 })
		time.Sleep(2500 * time.Millisecond)
		hub.Close()
		<-w.Done()
		if err := w.Err(); !errors.Is(err, peer.ErrClosed) || errors.Is(err, codec.ErrWrongCodec) {
			t.Fatalf("the worker ended with %v; want a plain ErrClosed", err)
		}
	})
	for _, early := range []bool{false, true} {
		t.Run(fmt.Sprint("full hub, calling at once=", early), func(t *testing.T) {
			t.Parallel()
			// A full hub refuses a worker again and again; the worker
			// keeps redialing, however soon it speaks.
			hub, addr := startHub(t, codec.Msgpack, nil, &peer.HubOptions{MaxConns: 1})
			dialWorker(t, addr, codec.Msgpack, "first")
			waitFor(t, "the first worker at the hub", func() bool { return hub.Len() == 1 })
			var mu sync.Mutex
			var ends []error
			opts := &peer.RedialOptions{
				MinBackoff: time.Millisecond, MaxBackoff: 5 * time.Millisecond,
				OnState: func(s peer.State, _ *peer.Peer, err error) {
					if s == peer.Disconnected || s == peer.Stopped {
						mu.Lock()
						ends = append(ends, err)
						mu.Unlock()
					}
				},
			}
			if early {
				opts.OnConnect = func(p *peer.Peer) {
					ctx, cancel := context.WithTimeout(context.Background(), time.Second)
					defer cancel()
					p.Call(ctx, "Arith.Multiply", struct{ A, B int }{1, 1}, new(int))
				}
			}
			r := peer.NewRedialer(func(ctx context.Context) (io.ReadWriteCloser, error) {
				var d net.Dialer
				return d.DialContext(ctx, "tcp", addr)
			}, codec.Msgpack, nil, opts)
			defer r.Close()
			waitFor(t, "six refusals", func() bool {
				mu.Lock()
				defer mu.Unlock()
				return len(ends) >= 6
			})
			r.Close()
			mu.Lock()
			defer mu.Unlock()
			for i, err := range ends {
				if errors.Is(err, codec.ErrWrongCodec) {
					t.Fatalf("refusal %d taken for a wrong codec: %v", i+1, err)
				}
			}
		})
	}
}
