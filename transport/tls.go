package transport

import (
	"container/list"
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"log/slog"
	"net"
	"sync"
	"time"

	"github.com/duplexrpc/duplex/internal/backoff"
)

// maxPendingHandshakes bounds the TLS handshakes one listener runs at once,
// each a goroutine, a socket and TLS state: tens of KiB, so tens of MiB in
// all. Past it the oldest handshake is abandoned, its connection closed, to
// make room. The accept loop never waits for a slot: a flood of silent
// clients costs bounded memory and cannot queue a good client behind it,
// since the good one is the newest (it once waited ceil(N/64) handshake
// timeouts behind N silent ones).
const maxPendingHandshakes = 1024

// listenTLS listens on TCP and yields *tls.Conn whose handshake has
// completed.
func listenTLS(ctx context.Context, address string, opts *Options) (net.Listener, error) {
	cfg, err := serverTLSConfig(opts)
	if err != nil {
		return nil, err
	}
	inner, err := listenNet(ctx, "tcp", address)
	if err != nil {
		return nil, err
	}
	return newTLSListener(inner, cfg, opts), nil
}

// serverTLSConfig returns the configured server config, or ErrNoCertificate.
func serverTLSConfig(opts *Options) (*tls.Config, error) {
	cfg := opts.tlsConfig()
	if cfg == nil || len(cfg.Certificates) == 0 && cfg.GetCertificate == nil && cfg.GetConfigForClient == nil {
		return nil, ErrNoCertificate
	}
	return cfg, nil
}

// dialTLS dials TCP and completes the TLS handshake within ctx.
func dialTLS(ctx context.Context, address string, opts *Options) (net.Conn, error) {
	d := tls.Dialer{Config: opts.tlsConfig()}
	return d.DialContext(ctx, "tcp", address)
}

// tlsListener runs the server side of the TLS handshake for each TCP
// connection in a goroutine of its own, bounded by Options.HandshakeTimeout,
// and passes only the connections that complete it to Accept. A client that
// stalls or fails the handshake (such as one whose certificate the server
// does not trust under mutual TLS) is closed without ever being seen by
// Accept, and never delays other clients.
type tlsListener struct {
	queue   *queueListener
	inner   net.Listener
	config  *tls.Config
	timeout time.Duration
	log     *slog.Logger
	ctx     context.Context
	cancel  context.CancelFunc
	wg      sync.WaitGroup // the accept loop and each handshake
}

// newTLSListener wraps inner; closing the result closes inner and waits for
// the handshakes in progress to abort.
func newTLSListener(inner net.Listener, cfg *tls.Config, opts *Options) net.Listener {
	l := &tlsListener{
		queue:   newQueueListener(inner.Addr()),
		inner:   inner,
		config:  cfg,
		timeout: opts.handshakeTimeout(),
		log:     opts.logger(),
	}
	l.ctx, l.cancel = context.WithCancel(context.Background())
	l.queue.stop = l.stop
	l.wg.Add(1)
	go l.acceptLoop()
	return l.queue
}

func (l *tlsListener) stop() error {
	l.cancel()
	err := l.inner.Close()
	l.wg.Wait()
	return err
}

func (l *tlsListener) acceptLoop() {
	defer l.wg.Done()
	var pending handshakes
	var delay time.Duration
	for {
		raw, err := l.inner.Accept()
		if err != nil {
			if l.ctx.Err() != nil {
				return
			}
			l.queue.deliverErr(err)
			if errors.Is(err, net.ErrClosed) {
				return
			}
			// Back off on errors such as running out of file descriptors.
			delay = backoff.Next(delay)
			if !sleepCtx(l.ctx, delay) {
				return
			}
			continue
		}
		delay = 0
		e := pending.add(raw)
		l.wg.Add(1)
		go func() {
			defer l.wg.Done()
			defer pending.remove(e)
			l.handshake(raw)
		}()
	}
}

func (l *tlsListener) handshake(raw net.Conn) {
	tc := tls.Server(raw, l.config)
	ctx, cancel := context.WithTimeout(l.ctx, l.timeout)
	err := tc.HandshakeContext(ctx)
	cancel()
	if err != nil {
		l.log.Warn("transport: TLS handshake failed", "remote", raw.RemoteAddr(), "error", err)
		raw.Close()
		return
	}
	if l.queue.deliver(l.ctx, tc) != nil {
		tc.Close()
	}
}

// handshakes are the connections whose TLS handshake is in progress,
// oldest first.
type handshakes struct {
	mu    sync.Mutex
	conns list.List // of net.Conn
}

// add records raw, abandoning the oldest handshake if maxPendingHandshakes
// are in progress.
func (h *handshakes) add(raw net.Conn) *list.Element {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.conns.Len() >= maxPendingHandshakes {
		oldest := h.conns.Front()
		h.conns.Remove(oldest)
		oldest.Value.(net.Conn).Close() // its handshake fails at once
	}
	return h.conns.PushBack(raw)
}

// remove forgets a handshake that ended; one abandoned is gone already.
func (h *handshakes) remove(e *list.Element) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.conns.Remove(e) // a no-op for an element already removed
}

// sleepCtx sleeps for d and reports whether ctx is still alive.
func sleepCtx(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}

// TLSState returns the TLS state of a connection and whether it runs over
// TLS. It understands the connections this package returns for tls:// and
// wss:// (on both ends), and any connection with a
// ConnectionState() tls.ConnectionState method, such as *tls.Conn.
//
// On a connection from a tls:// or wss:// listener or dialer the handshake
// has completed, so the state is final.
func TLSState(c net.Conn) (tls.ConnectionState, bool) {
	switch c := c.(type) {
	case interface {
		tlsState() (tls.ConnectionState, bool)
	}:
		return c.tlsState()
	case interface{ ConnectionState() tls.ConnectionState }:
		return c.ConnectionState(), true
	}
	return tls.ConnectionState{}, false
}

// PeerCertificates returns the certificates the peer presented in the TLS
// handshake, leaf first, or nil when c is not a TLS connection or the peer
// sent none. A server uses it to authorise a client by its certificate.
//
// With Options.TLSConfig's ClientAuth set to RequireAndVerifyClientCert (or
// VerifyClientCertIfGiven), a client certificate not signed by ClientCAs
// fails the handshake, so the certificates seen here have been verified;
// TLSState's VerifiedChains holds the chains.
func PeerCertificates(c net.Conn) []*x509.Certificate {
	state, ok := TLSState(c)
	if !ok {
		return nil
	}
	return state.PeerCertificates
}
