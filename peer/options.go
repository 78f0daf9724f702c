package peer

import (
	"context"
	"log/slog"
	"time"

	"github.com/duplexrpc/duplex/codec"
)

// The defaults of Options.
const (
	// DefaultMaxInFlight is the number of incoming requests a peer takes
	// at once when Options.MaxInFlight is zero.
	DefaultMaxInFlight = 4096
	// DefaultWriteTimeout bounds a write that makes no progress, as
	// yamux's ConnectionWriteTimeout does, when Options.WriteTimeout is
	// zero.
	DefaultWriteTimeout = 10 * time.Second
	// DefaultSendQueue is the bytes queued for writing past which senders
	// wait, when Options.SendQueue is zero.
	DefaultSendQueue = 1 << 20
	// DefaultNotificationQueue is the ordered notifications that may wait
	// to be served, when Options.NotificationQueue is zero.
	DefaultNotificationQueue = 16384
	// DefaultProgressQueue is the progress values of one call that may
	// wait for its callback, when Options.ProgressQueue is zero.
	DefaultProgressQueue = 256
)

// Interceptor runs around every incoming request and notification, before
// its handler: for authorization, logging and metrics. It is given the
// handler's context (FromContext names the calling peer) and the method;
// it calls serve to run the handler, possibly with a derived context, or
// returns an error without calling it to refuse the call, in which case
// the caller gets that error. A panic in serve comes back as its error.
type Interceptor func(ctx context.Context, method string, serve func(context.Context) error) error

// Outgoing describes a call or notification this peer makes, to a
// CallInterceptor.
type Outgoing struct {
	Peer   *Peer  // the peer making it
	Method string // the method as the caller named it (before Registry.MapName)
	Notify bool   // a notification: nothing answers it
}

// CallInterceptor runs around every call (Call) and notification (Notify)
// the peer makes: for tracing, metrics and authorization. It calls invoke
// to make the call, with ctx or a context derived from it, whose metadata
// (WithMetadata) is what the call sends; invoke returns the call's
// outcome, the error Call or Notify then returns. Returning without
// calling invoke refuses the call with that error. Go, CallEach and
// Hub.CallAll do not run it.
type CallInterceptor func(ctx context.Context, call Outgoing, invoke func(context.Context) error) error

// Options tune a Peer. A nil *Options means the defaults.
type Options struct {
	// Codec tunes the wire (frame size limit, one frame per write). Nil
	// means codec's defaults.
	Codec *codec.Options

	// Dialect is how the connection spells the cancel of a request and
	// the progress of one, and whether a request the caller cancelled is
	// still answered: codec.LSPDialect, codec.MCPDialect, or one of the
	// program's own. Nil means Codec.Dialect, and if that is nil too,
	// codec.DefaultDialect.
	Dialect *codec.Dialect

	// MaxInFlight bounds the incoming requests and notifications a peer
	// has taken and not yet answered on the stream: handlers running, and
	// answers waiting to be written. One over the bound is answered at
	// once with ErrBusy (a notification is dropped), without running; the
	// connection is always read. Zero means DefaultMaxInFlight.
	MaxInFlight int

	// WriteTimeout bounds a write to the stream that makes no progress.
	// Past it the peer ends with ErrWriteTimeout: the other end is not
	// reading. Zero means DefaultWriteTimeout.
	WriteTimeout time.Duration

	// SendQueue is the bytes that may be queued for writing before
	// senders wait for room, each bounded by its own context. Zero means
	// DefaultSendQueue.
	SendQueue int

	// Intercept, if set, runs around every incoming request and
	// notification.
	Intercept Interceptor

	// InterceptCall, if set, runs around every outgoing call and
	// notification.
	InterceptCall CallInterceptor

	// OrderedNotifications serves incoming notifications one at a time,
	// in the order they arrived (Neovim relies on this for buffer
	// events), instead of each in a goroutine of its own. They wait in a
	// queue that never blocks the reader; when NotificationQueue of them
	// wait, the connection ends with ErrNotificationOverflow, because a
	// notification dropped from an ordered stream would go unnoticed.
	OrderedNotifications bool
	// NotificationQueue bounds the ordered notifications waiting. Zero
	// means DefaultNotificationQueue.
	NotificationQueue int

	// RequestsAfterNotifications, with OrderedNotifications, starts a
	// request only once every notification read before it has been
	// served, as LSP's text synchronization needs: a textDocument/hover
	// read after a textDocument/didChange must see the change. Such a
	// request waits its turn in the ordered queue, holding its MaxInFlight
	// place, and is started on a goroutine of its own when the queue
	// reaches it; so requests still run at once with each other and with
	// the notifications read after them. A notification's handler must
	// then not wait on anything that needs a request of the other end to
	// be served first (a call whose handler calls back): that request
	// waits behind it. Without OrderedNotifications it does nothing.
	RequestsAfterNotifications bool

	// StreamWindow is the items a stream's consumer (CallStream) lets its
	// producer send ahead of what it has taken: the window of its credit.
	// Zero means DefaultStreamWindow.
	StreamWindow int
	// StreamStall bounds how long a streaming handler's Send waits for
	// its consumer to grant room; past it the stream fails with
	// ErrStreamStalled. Zero means DefaultStreamStall.
	StreamStall time.Duration

	// ProgressQueue bounds the progress values of one call that wait for
	// its WithProgress callback; past it the oldest is dropped. Zero
	// means DefaultProgressQueue.
	ProgressQueue int

	// IdleTimeout closes the connection with ErrIdle when no frame has
	// arrived for this long. Zero means never. Pair it with a Heartbeat on
	// the other side that is well below it.
	IdleTimeout time.Duration

	// FirstFrameTimeout closes the connection with ErrNoFirstFrame unless
	// one whole frame has arrived within this long of the peer's start, so
	// that a connection that sends nothing, or half a frame, is not held
	// for ever. For a peer a Hub accepts, zero means
	// DefaultFirstFrameTimeout; for one made with New, zero means never.
	// Negative means never. A worker that waits silently to be called
	// must be called or greet within it: a Redialer greets (see
	// RedialOptions.NoGreeting).
	FirstFrameTimeout time.Duration

	// Heartbeat sends a notification of HeartbeatMethod this often, so that
	// the other side's IdleTimeout sees a live peer. Zero means none.
	Heartbeat time.Duration

	// Logger receives the peer's diagnostics. Nil means silence, except
	// for handler panics, which go to slog.Default().
	Logger *slog.Logger
}

// DefaultFirstFrameTimeout is a Hub's FirstFrameTimeout when its peers'
// Options leave it zero: long enough for any client to send its first
// request over a slow link, short enough that silent connections do not
// pile up.
const DefaultFirstFrameTimeout = 30 * time.Second

// HeartbeatMethod is the method a heartbeat notifies. No service has it:
// receivers drop it, as they drop any notification for an unknown method.
const HeartbeatMethod = "duplex.Heartbeat"

func (o *Options) orDefault() Options {
	var v Options
	if o != nil {
		v = *o
	}
	if v.MaxInFlight <= 0 {
		v.MaxInFlight = DefaultMaxInFlight
	}
	if v.WriteTimeout <= 0 {
		v.WriteTimeout = DefaultWriteTimeout
	}
	if v.SendQueue <= 0 {
		v.SendQueue = DefaultSendQueue
	}
	if v.NotificationQueue <= 0 {
		v.NotificationQueue = DefaultNotificationQueue
	}
	if !v.OrderedNotifications {
		v.RequestsAfterNotifications = false
	}
	if v.ProgressQueue <= 0 {
		v.ProgressQueue = DefaultProgressQueue
	}
	if v.StreamWindow <= 0 {
		v.StreamWindow = DefaultStreamWindow
	}
	if v.StreamStall <= 0 {
		v.StreamStall = DefaultStreamStall
	}
	if v.Dialect == nil && v.Codec != nil {
		v.Dialect = v.Codec.Dialect
	}
	if v.Dialect == nil {
		v.Dialect = codec.DefaultDialect
	}
	return v
}
