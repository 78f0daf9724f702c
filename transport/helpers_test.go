package transport_test

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"io"
	"net"
	"os"
	"os/exec"
	"testing"
	"time"

	"github.com/duplexrpc/duplex/transport"
	"github.com/duplexrpc/duplex/transport/transporttest"
)

// pki holds the certificates of one test: a server and a client signed by
// a trusted authority, and a client signed by one nobody trusts.
type pki struct {
	pool   *x509.CertPool
	server tls.Certificate
	client tls.Certificate
	rogue  tls.Certificate
}

func newPKI(tb testing.TB) *pki {
	tb.Helper()
	ca := transporttest.NewCA(tb, "test CA")
	rogueCA := transporttest.NewCA(tb, "rogue CA")
	return &pki{
		pool:   ca.Pool(),
		server: ca.Issue(tb, "server", "127.0.0.1", "::1", "localhost"),
		client: ca.Issue(tb, "good-client"),
		rogue:  rogueCA.Issue(tb, "rogue-client"),
	}
}

// serverOptions serves the server certificate; with mutual, it also
// requires a client certificate signed by the test CA.
func (p *pki) serverOptions(mutual bool) *transport.Options {
	cfg := &tls.Config{Certificates: []tls.Certificate{p.server}}
	if mutual {
		cfg.ClientAuth = tls.RequireAndVerifyClientCert
		cfg.ClientCAs = p.pool
	}
	return &transport.Options{TLSConfig: cfg}
}

// clientOptions trusts the test CA and presents cert, if any.
func (p *pki) clientOptions(cert *tls.Certificate) *transport.Options {
	cfg := &tls.Config{RootCAs: p.pool}
	if cert != nil {
		cfg.Certificates = []tls.Certificate{*cert}
	}
	return &transport.Options{TLSConfig: cfg}
}

// listen listens on addr and closes the listener when the test ends.
func listen(tb testing.TB, addr string, opts *transport.Options) net.Listener {
	tb.Helper()
	ln, err := transport.Listen(context.Background(), addr, opts)
	if err != nil {
		tb.Fatalf("Listen(%q): %v", addr, err)
	}
	tb.Cleanup(func() { ln.Close() })
	return ln
}

// connect dials addr and returns both ends, closed when the test ends. The
// dial context is cancelled as soon as Dial returns, which must not affect
// the connection.
func connect(tb testing.TB, ln net.Listener, addr string, opts *transport.Options) (client, server net.Conn) {
	tb.Helper()
	type result struct {
		c   net.Conn
		err error
	}
	accepted := make(chan result, 1)
	go func() {
		c, err := ln.Accept()
		accepted <- result{c, err}
	}()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	client, err := transport.Dial(ctx, addr, opts)
	cancel()
	if err != nil {
		ln.Close()
		<-accepted
		tb.Fatalf("Dial(%q): %v", addr, err)
	}
	select {
	case r := <-accepted:
		if r.err != nil {
			client.Close()
			tb.Fatalf("Accept: %v", r.err)
		}
		tb.Cleanup(func() { closeBoth(client, r.c) })
		return client, r.c
	case <-time.After(10 * time.Second):
		client.Close()
		ln.Close()
		tb.Fatal("Accept did not return")
		return nil, nil
	}
}

// startHelper runs the test binary as a child in the given helperMain mode.
func startHelper(tb testing.TB, mode string, opts *transport.Options) *transport.Process {
	tb.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = helperEnviron(mode)
	cmd.Stderr = os.Stderr
	p, err := transport.StartCommand(cmd, opts)
	if err != nil {
		tb.Fatalf("StartCommand: %v", err)
	}
	tb.Cleanup(func() { p.Close() })
	return p
}

// helperEnviron is the environment of a helper child. Under the race
// detector a child would sleep a second on exit, so it is told not to.
func helperEnviron(mode string) []string {
	return append(os.Environ(), helperEnv+"="+mode, "GORACE="+os.Getenv("GORACE")+" atexit_sleep_ms=0")
}

// readResult runs r.Read in a goroutine and returns its outcome later.
func readResult(r io.Reader, size int) <-chan error {
	errc := make(chan error, 1)
	go func() {
		_, err := io.ReadFull(r, make([]byte, size))
		errc <- err
	}()
	return errc
}

// waitErr waits for an error from errc, failing the test after timeout.
func waitErr(tb testing.TB, errc <-chan error, timeout time.Duration) error {
	tb.Helper()
	select {
	case err := <-errc:
		return err
	case <-time.After(timeout):
		tb.Fatalf("no result within %v", timeout)
		return nil
	}
}

// closeBoth closes two ends at once, the way two peers would; closing a
// WebSocket end waits for its peer to answer, which a peer does only while
// reading or closing.
func closeBoth(a, b io.Closer) {
	done := make(chan struct{})
	go func() {
		defer close(done)
		a.Close()
	}()
	b.Close()
	<-done
}
