package transport

import (
	"crypto/tls"
	"log"
	"log/slog"
	"time"
)

// Defaults used when the matching Options field is zero.
const (
	DefaultHandshakeTimeout = 10 * time.Second
	DefaultMaxMessageSize   = 16 << 20 // 16 MiB
	DefaultGracePeriod      = 5 * time.Second
)

// Options configures Listen, Dial, the HTTP handlers and StartCommand. A nil
// *Options means all defaults, and so does each zero field. Fields that do
// not apply to a scheme are ignored.
type Options struct {
	// TLSConfig configures tls:// and wss://, both directions.
	//
	// Listening, it must hold a certificate (Certificates or
	// GetCertificate); set ClientAuth and ClientCAs for mutual TLS. Nil
	// makes Listen fail with ErrNoCertificate.
	//
	// Dialing, nil verifies the server against the system roots, and an
	// empty ServerName is taken from the address. Set RootCAs to trust a
	// private CA, Certificates to present a client certificate.
	TLSConfig *tls.Config

	// HandshakeTimeout bounds the server side of each accepted
	// connection's handshake: the TLS handshake and the HTTP request
	// headers of a WebSocket upgrade or HTTP CONNECT. Zero means
	// DefaultHandshakeTimeout. Dialing is bounded by Dial's context
	// instead.
	HandshakeTimeout time.Duration

	// MaxMessageSize caps the size of one incoming WebSocket message; a
	// bigger message closes that connection with ErrMessageTooLarge. Zero
	// means DefaultMaxMessageSize; negative means no limit.
	MaxMessageSize int64

	// PingInterval, when positive, makes each WebSocket connection send a
	// ping every interval and close itself with ErrPingTimeout when no
	// pong arrives within PingTimeout. Pongs are noticed by Read, so
	// keepalive needs someone reading the connection, as an RPC
	// connection always has. Zero means no keepalive pings.
	PingInterval time.Duration

	// PingTimeout is how long a keepalive ping waits for its pong. Zero
	// means PingInterval.
	PingTimeout time.Duration

	// OriginPatterns lists the browser origins (host patterns in
	// path.Match syntax, such as "example.com" or "*.example.com") allowed
	// to open a WebSocket from another site. Nil allows only same-origin
	// browser requests; requests without an Origin header (non-browser
	// clients) are always allowed. Allowing foreign origins exposes the
	// endpoint to cross-site request forgery; []string{"*"} allows any.
	OriginPatterns []string

	// GracePeriod is how long closing a child process (StartCommand) waits
	// for it to exit after its standard input is closed, before killing
	// it. Zero means DefaultGracePeriod.
	GracePeriod time.Duration

	// Logger receives errors that no caller would otherwise see: failed
	// TLS handshakes, refused upgrades and the HTTP server's own errors on
	// accepted connections, at warn level. Nil discards them. It is
	// log/slog's, as package peer's loggers are.
	Logger *slog.Logger
}

func (o *Options) tlsConfig() *tls.Config {
	if o == nil {
		return nil
	}
	return o.TLSConfig
}

func (o *Options) handshakeTimeout() time.Duration {
	if o == nil || o.HandshakeTimeout <= 0 {
		return DefaultHandshakeTimeout
	}
	return o.HandshakeTimeout
}

func (o *Options) maxMessageSize() int64 {
	switch {
	case o == nil || o.MaxMessageSize == 0:
		return DefaultMaxMessageSize
	case o.MaxMessageSize < 0:
		return -1
	}
	return o.MaxMessageSize
}

func (o *Options) pingInterval() time.Duration {
	if o == nil || o.PingInterval <= 0 {
		return 0
	}
	return o.PingInterval
}

func (o *Options) pingTimeout() time.Duration {
	if o == nil || o.PingTimeout <= 0 {
		return o.pingInterval()
	}
	return o.PingTimeout
}

func (o *Options) originPatterns() []string {
	if o == nil {
		return nil
	}
	return o.OriginPatterns
}

func (o *Options) gracePeriod() time.Duration {
	if o == nil || o.GracePeriod <= 0 {
		return DefaultGracePeriod
	}
	return o.GracePeriod
}

// logger returns the logger, never nil.
func (o *Options) logger() *slog.Logger {
	if o == nil || o.Logger == nil {
		return discardLog
	}
	return o.Logger
}

// httpErrorLog is the logger for http.Server, which would otherwise log to
// the standard logger: the slog logger at warn level.
func (o *Options) httpErrorLog() *log.Logger {
	return slog.NewLogLogger(o.logger().Handler(), slog.LevelWarn)
}

var discardLog = slog.New(slog.DiscardHandler)
