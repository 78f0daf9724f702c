package main

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"strings"
	"sync/atomic"

	"github.com/duplexrpc/duplex/codec"
	"github.com/duplexrpc/duplex/peer"
	"github.com/duplexrpc/duplex/transport"
)

// schemeOf is the scheme of an address, "tcp" for a bare host:port.
func schemeOf(addr string) string {
	s, _, ok := strings.Cut(addr, "://")
	if !ok {
		return "tcp"
	}
	return strings.ToLower(s)
}

// transportOptions are package transport's options for addr: the TLS
// configuration that the flags make, for tls:// and wss://.
func (o *options) transportOptions(addr string, listening bool) (*transport.Options, error) {
	s := schemeOf(addr)
	if s != "tls" && s != "wss" {
		if o.caFile != "" || o.certFile != "" || o.keyFile != "" || o.serverName != "" || o.insecure {
			return nil, usageError("the TLS flags apply to tls:// and wss:// addresses, not to %s", addr)
		}
		return nil, nil
	}
	cfg := &tls.Config{ServerName: o.serverName, InsecureSkipVerify: o.insecure}
	if (o.certFile == "") != (o.keyFile == "") {
		return nil, usageError("-cert and -key go together")
	}
	if o.certFile != "" {
		cert, err := tls.LoadX509KeyPair(o.certFile, o.keyFile)
		if err != nil {
			return nil, usageError("-cert %s -key %s: %v", o.certFile, o.keyFile, err)
		}
		cfg.Certificates = []tls.Certificate{cert}
	}
	if o.caFile != "" {
		pem, err := os.ReadFile(o.caFile)
		if err != nil {
			return nil, usageError("-cacert: %v", err)
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pem) {
			return nil, usageError("-cacert %s: no PEM certificate in it", o.caFile)
		}
		if listening {
			cfg.ClientCAs, cfg.ClientAuth = pool, tls.RequireAndVerifyClientCert
		} else {
			cfg.RootCAs = pool
		}
	}
	if listening && len(cfg.Certificates) == 0 {
		return nil, usageError("listening on %s needs -cert and -key", addr)
	}
	return &transport.Options{TLSConfig: cfg}, nil
}

// dial connects to addr, within -connect-timeout, and wraps the connection
// for the wire dump.
func (o *options) dial(ctx context.Context, e *env, addr string) (*wireConn, error) {
	topts, err := o.transportOptions(addr, false)
	if err != nil {
		return nil, err
	}
	if o.connectTimeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, o.connectTimeout)
		defer cancel()
	}
	conn, err := transport.Dial(ctx, addr, topts)
	switch {
	case err == nil:
		return o.wrap(e, conn, ""), nil
	case errors.Is(err, transport.ErrBadAddress), errors.Is(err, transport.ErrUnknownScheme):
		return nil, usageError("%v", err)
	case errors.Is(err, context.DeadlineExceeded) && ctx.Err() != nil:
		return nil, &failure{exit: exitConn, kind: kindTimeout, err: fmt.Errorf("cannot connect to %s within %v", addr, o.connectTimeout)}
	}
	return nil, connError(fmt.Errorf("cannot connect to %s: %w", addr, err))
}

// listenOn listens on addr, with the TLS flags for tls:// and wss://.
func (o *options) listenOn(ctx context.Context, addr string) (transport.Listener, error) {
	topts, err := o.transportOptions(addr, true)
	if err != nil {
		return nil, err
	}
	ln, err := transport.Listen(ctx, addr, topts)
	switch {
	case err == nil:
		return ln, nil
	case errors.Is(err, transport.ErrBadAddress), errors.Is(err, transport.ErrUnknownScheme):
		return nil, usageError("%v", err)
	}
	return nil, connError(fmt.Errorf("cannot listen on %s: %w", addr, err))
}

// wrap wraps conn to count what it reads, notice a clean end, and, with
// -v, dump its frames labelled with label.
func (o *options) wrap(e *env, conn net.Conn, label string) *wireConn {
	w := &wireConn{Conn: conn, messages: codec.WritesMessages(conn, nil)}
	if o.verbose {
		d := &dumper{env: e, hex: o.hex, label: label, codec: wireCodec(o.codec)}
		w.in, w.out = d.direction("<--"), d.direction("-->")
	}
	return w
}

// wireConn is a connection that says whether anything came from the other
// end and whether it ended cleanly, and dumps its frames with -v.
type wireConn struct {
	net.Conn
	messages bool // every Write is one message (WebSocket): said on, for the codec
	in, out  *frames
	n        int // a master's number for the worker on it
	got      atomic.Int64
	sent     atomic.Int64
	eof      atomic.Bool
}

func (c *wireConn) Read(b []byte) (int, error) {
	n, err := c.Conn.Read(b)
	if n > 0 {
		c.got.Add(int64(n))
		c.in.feed(b[:n])
	}
	if errors.Is(err, io.EOF) {
		c.eof.Store(true)
	}
	return n, err
}

// Write dumps b before it writes it, so that an answer read meanwhile is
// never dumped before its request.
func (c *wireConn) Write(b []byte) (int, error) {
	c.out.feed(b)
	n, err := c.Conn.Write(b)
	c.sent.Add(int64(n))
	return n, err
}

// WritesMessages makes the wrapper a codec.MessageWriter like the
// connection it wraps.
func (c *wireConn) WritesMessages() bool { return c.messages }

// ReadsMessages, MessageEnded and AcceptText pass on those of the
// connection it wraps, a WebSocket's (codec.MessageReader,
// codec.TextAccepter), so that the codec reads one message as one frame
// and a JSON codec takes text messages.
func (c *wireConn) ReadsMessages() bool {
	m, ok := c.Conn.(codec.MessageReader)
	return ok && m.ReadsMessages()
}

func (c *wireConn) MessageEnded() bool { return c.Conn.(codec.MessageReader).MessageEnded() }

func (c *wireConn) AcceptText(accept bool) {
	if t, ok := c.Conn.(codec.TextAccepter); ok {
		t.AcceptText(accept)
	}
}

// silent reports whether the other end sent nothing at all: it may speak
// another codec.
func (c *wireConn) silent() bool { return c.got.Load() == 0 }

// codecHint adds to the error of a connection the remote closed without a
// word that it may speak another codec, unless the error says so already:
// package peer's diagnosis (codec.ErrWrongCodec) names what the remote did
// and which codec this end speaks.
func (c *wireConn) codecHint(err error, codecName string) error {
	if errors.Is(err, codec.ErrWrongCodec) {
		return connError(err)
	}
	if !errors.Is(err, peer.ErrClosed) || !c.silent() || strings.Contains(err.Error(), "does it speak") {
		return err
	}
	return connError(fmt.Errorf("%w (the remote closed the connection without a word: does it speak -codec %s?)", err, codecName))
}

var (
	_ codec.MessageWriter = (*wireConn)(nil)
	_ codec.MessageReader = (*wireConn)(nil)
	_ codec.TextAccepter  = (*wireConn)(nil)
)
