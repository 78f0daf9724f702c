package transport_test

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"io"
	"net"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/duplexrpc/duplex/transport"
)

func pathFor(scheme string) string {
	if scheme == "wss" {
		return "/rpc"
	}
	return ""
}

// TestMutualTLSRefusesUntrustedClient checks that a client whose
// certificate the server does not trust, or that has none, never reaches
// Accept and sees its connection fail, while a trusted client that dials
// afterwards is accepted.
func TestMutualTLSRefusesUntrustedClient(t *testing.T) {
	for _, scheme := range []string{"tls", "wss"} {
		t.Run(scheme, func(t *testing.T) {
			p := newPKI(t)
			ln := listen(t, scheme+"://127.0.0.1:0"+pathFor(scheme), p.serverOptions(true))
			addr := scheme + "://" + ln.Addr().String() + pathFor(scheme)

			accepted := make(chan net.Conn, 3)
			go func() {
				for {
					c, err := ln.Accept()
					if err != nil {
						return
					}
					accepted <- c
				}
			}()

			for _, tc := range []struct {
				name string
				cert *tls.Certificate
			}{{"rogue client", &p.rogue}, {"client without certificate", nil}} {
				ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
				c, err := transport.Dial(ctx, addr, p.clientOptions(tc.cert))
				cancel()
				if err == nil {
					// With TLS 1.3 the client finishes its handshake before
					// the server checks its certificate; the refusal then
					// arrives as the first read's error.
					c.SetReadDeadline(time.Now().Add(5 * time.Second))
					_, err = c.Read(make([]byte, 1))
					c.Close()
				}
				if err == nil || errors.Is(err, os.ErrDeadlineExceeded) {
					t.Errorf("%s: got %v, want the server to refuse the connection", tc.name, err)
				}
			}

			good, err := transport.Dial(context.Background(), addr, p.clientOptions(&p.client))
			if err != nil {
				t.Fatalf("trusted client: Dial: %v", err)
			}
			select {
			case c := <-accepted:
				defer closeBoth(good, c)
				if got := peerName(c); got != "good-client" {
					t.Errorf("first accepted connection is from %q, want good-client (refused clients must not be accepted)", got)
				}
			case <-time.After(5 * time.Second):
				good.Close()
				t.Fatal("trusted client not accepted")
			}
		})
	}
}

// TestTLSClientRefusesUntrustedServer checks that Dial fails when the
// client does not trust the server's certificate.
func TestTLSClientRefusesUntrustedServer(t *testing.T) {
	for _, scheme := range []string{"tls", "wss"} {
		t.Run(scheme, func(t *testing.T) {
			p := newPKI(t)
			ln := listen(t, scheme+"://127.0.0.1:0"+pathFor(scheme), p.serverOptions(false))
			go func() {
				if c, err := ln.Accept(); err == nil {
					c.Close()
				}
			}()
			addr := scheme + "://" + ln.Addr().String() + pathFor(scheme)
			// An empty pool: nothing is trusted.
			opts := &transport.Options{TLSConfig: &tls.Config{RootCAs: x509.NewCertPool()}}
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			c, err := transport.Dial(ctx, addr, opts)
			if err == nil {
				c.Close()
				t.Fatal("Dial succeeded, want a certificate error")
			}
			var unknown x509.UnknownAuthorityError
			if !errors.As(err, &unknown) {
				t.Errorf("Dial: %v, want an x509.UnknownAuthorityError", err)
			}
		})
	}
}

// TestTLSHandshakeTimeout checks that a client that connects and never
// starts its handshake is dropped after HandshakeTimeout, and does not
// hold up Accept for a well-behaved client meanwhile.
func TestTLSHandshakeTimeout(t *testing.T) {
	p := newPKI(t)
	opts := p.serverOptions(false)
	opts.HandshakeTimeout = 500 * time.Millisecond
	ln := listen(t, "tls://127.0.0.1:0", opts)

	silent, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer silent.Close()

	start := time.Now()
	client, server := connect(t, ln, "tls://"+ln.Addr().String(), p.clientOptions(nil))
	_, _ = client, server
	if d := time.Since(start); d > opts.HandshakeTimeout {
		t.Errorf("a silent client delayed a good one by %v", d)
	}

	silent.SetReadDeadline(time.Now().Add(5 * time.Second))
	_, err = silent.Read(make([]byte, 1))
	if errors.Is(err, os.ErrDeadlineExceeded) || err == nil {
		t.Errorf("silent client: Read = %v, want the server to hang up after the handshake timeout", err)
	}
	if d := time.Since(start); d < opts.HandshakeTimeout/2 {
		t.Errorf("silent client dropped after %v, before the handshake timeout %v", d, opts.HandshakeTimeout)
	}
}

// 256 silent connections to a tls:// or wss:// listener, each holding a
// handshake open, do not queue a good client: it dials, handshakes and
// exchanges bytes within 2 s (it once waited a handshake timeout per 64
// silent ones).
func TestTLSSilentFloodDoesNotQueueGoodClients(t *testing.T) {
	p := newPKI(t)
	for _, addr := range []string{"tls://127.0.0.1:0", "wss://127.0.0.1:0/rpc"} {
		t.Run(strings.SplitN(addr, ":", 2)[0], func(t *testing.T) {
			opts := p.serverOptions(false)
			opts.HandshakeTimeout = 5 * time.Second
			ln := listen(t, addr, opts).(transport.Listener)
			host := ln.Addr().String()
			var silent []net.Conn
			defer func() {
				for _, c := range silent {
					c.Close()
				}
			}()
			for range 256 {
				c, err := net.Dial("tcp", host)
				if err != nil {
					t.Fatal(err)
				}
				silent = append(silent, c)
			}
			time.Sleep(100 * time.Millisecond) // let the listener take them all

			start := time.Now()
			client, server := connect(t, ln, ln.URL(), p.clientOptions(nil))
			go server.Write([]byte("ok"))
			got := make([]byte, 2)
			client.SetReadDeadline(time.Now().Add(5 * time.Second))
			if _, err := io.ReadFull(client, got); err != nil || string(got) != "ok" {
				t.Fatalf("good client read %q, %v", got, err)
			}
			if d := time.Since(start); d > 2*time.Second {
				t.Fatalf("behind 256 silent connections a good client took %v; want under 2s", d)
			}
		})
	}
}

// TestTLSListenNeedsCertificate checks the error for a TLS listener
// without a certificate.
func TestTLSListenNeedsCertificate(t *testing.T) {
	for _, addr := range []string{"tls://127.0.0.1:0", "wss://127.0.0.1:0/rpc"} {
		for _, opts := range []*transport.Options{nil, {TLSConfig: &tls.Config{}}} {
			ln, err := transport.Listen(context.Background(), addr, opts)
			if err == nil {
				ln.Close()
			}
			if !errors.Is(err, transport.ErrNoCertificate) {
				t.Errorf("Listen(%q, %+v) = %v, want ErrNoCertificate", addr, opts, err)
			}
		}
	}
}

// TestTLSStateOfPlainConn checks that TLSState and PeerCertificates report
// nothing for connections without TLS.
func TestTLSStateOfPlainConn(t *testing.T) {
	a, b := transport.Pipe()
	defer a.Close()
	defer b.Close()
	if _, ok := transport.TLSState(a); ok {
		t.Error("TLSState(pipe) reports TLS")
	}
	if certs := transport.PeerCertificates(a); certs != nil {
		t.Errorf("PeerCertificates(pipe) = %v, want nil", certs)
	}
	ln := listen(t, "ws://127.0.0.1:0/", nil)
	client, server := connect(t, ln, "ws://"+ln.Addr().String()+"/", nil)
	for _, c := range []net.Conn{client, server} {
		if _, ok := transport.TLSState(c); ok {
			t.Errorf("TLSState(ws conn) reports TLS")
		}
	}
}
