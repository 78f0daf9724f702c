package peer

import (
	"log/slog"
	"time"

	"github.com/duplexrpc/duplex/codec"
)

// DefaultMaxInFlight is the number of incoming requests a peer serves at
// once when Options.MaxInFlight is zero.
const DefaultMaxInFlight = 4096

// Options tune a Peer. A nil *Options means the defaults.
type Options struct {
	// Codec tunes the wire (frame size limit, one frame per write). Nil
	// means codec's defaults.
	Codec *codec.Options

	// MaxInFlight bounds the incoming requests and notifications served at
	// once, each in its own goroutine. A request over the bound is answered
	// at once with ErrBusy and a notification is dropped; the connection is
	// never left unread. Zero means DefaultMaxInFlight.
	MaxInFlight int

	// IdleTimeout closes the connection with ErrIdle when no frame has
	// arrived for this long. Zero means never. Pair it with a Heartbeat on
	// the other side that is well below it.
	IdleTimeout time.Duration

	// Heartbeat sends a notification of HeartbeatMethod this often, so that
	// the other side's IdleTimeout sees a live peer. Zero means none.
	Heartbeat time.Duration

	// Logger receives the peer's diagnostics. Nil means silence.
	Logger *slog.Logger
}

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
	if v.Logger == nil {
		v.Logger = slog.New(slog.DiscardHandler)
	}
	return v
}
