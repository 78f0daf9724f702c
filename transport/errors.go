package transport

import "errors"

// Errors returned by this package. They are wrapped with details (the
// scheme, the limit, the exit status), so test for them with [errors.Is].
var (
	// ErrUnknownScheme means an address URL names a scheme this package
	// does not implement.
	ErrUnknownScheme = errors.New("transport: unknown address scheme")

	// ErrBadAddress means an address could not be parsed or lacks a part
	// its scheme needs, such as a port or a socket path.
	ErrBadAddress = errors.New("transport: bad address")

	// ErrNoCertificate means a tls:// or wss:// listener was asked for
	// without a certificate in Options.TLSConfig.
	ErrNoCertificate = errors.New("transport: listening with TLS needs Options.TLSConfig with a certificate")

	// ErrTextMessage means the peer sent a WebSocket text message on a
	// connection that takes binary messages only: one whose codec's frames
	// are not text (msgpack, gob), or one nobody called AcceptText on. The
	// connection is closed with status 1003 (unsupported data). Package
	// peer lets text in for the JSON codecs (see codec.AcceptText).
	ErrTextMessage = errors.New("transport: websocket text message received on a connection that takes binary messages only")

	// ErrMessageTooLarge means a WebSocket message exceeded
	// Options.MaxMessageSize on the receiving side; that side closes the
	// connection with status 1009, and both sides report this error.
	ErrMessageTooLarge = errors.New("transport: websocket message too large")

	// ErrPingTimeout means a WebSocket peer did not answer a keepalive
	// ping in time; the connection is closed.
	ErrPingTimeout = errors.New("transport: websocket peer did not answer ping")

	// ErrHandshake means the peer refused or garbled the HTTP CONNECT
	// handshake.
	ErrHandshake = errors.New("transport: HTTP CONNECT handshake failed")

	// ErrProcessExited means a child process ended; reads from its
	// transport return it (wrapping the exit error) once its output is
	// drained, unless the process exited cleanly, which reads as io.EOF.
	ErrProcessExited = errors.New("transport: process exited")

	// ErrAddrInUse means a mem:// name already has a listener.
	ErrAddrInUse = errors.New("transport: memory address already in use")

	// ErrNoListener means no mem:// listener has the dialed name, the
	// in-memory counterpart of "connection refused".
	ErrNoListener = errors.New("transport: no memory listener at address")
)
