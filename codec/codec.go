package codec

import (
	"fmt"
	"io"
	"slices"
)

// Kind says what a frame is.
type Kind uint8

// The kinds of frame. The zero Kind is never written; a Conn reports it only
// for a frame whose wire does not say (see [Gob]).
const (
	Request      Kind = 1 // a call that expects a Response with the same Seq
	Response     Kind = 2 // the answer to a Request
	Notification Kind = 3 // a call that expects no answer
)

func (k Kind) String() string {
	switch k {
	case Request:
		return "request"
	case Response:
		return "response"
	case Notification:
		return "notification"
	}
	return fmt.Sprintf("kind(%d)", uint8(k))
}

// Header is the part of a frame that routes it: what it is, which method it
// calls or which call it answers, and a remote error.
type Header struct {
	Kind          Kind
	ServiceMethod string // Request and Notification
	Seq           uint64 // Request and Response; each direction numbers its own requests
	Error         string // Response; non-empty means the call failed and the body is empty
}

// Conn frames one byte stream in one wire format, in both directions.
//
// ReadHeader and ReadBody are called by one goroutine at a time, in turn:
// after each ReadHeader comes exactly one ReadBody for that frame before the
// next ReadHeader. Write is safe for concurrent use and writes one whole
// frame; concurrent frames are grouped into as few writes to the stream as
// possible. Close closes the stream; it is safe to call more than once.
type Conn interface {
	// ReadHeader reads the next frame's header. It returns io.EOF when the
	// stream ends cleanly between frames, and another error, after which the
	// Conn is unusable, when the stream breaks or a frame is malformed.
	ReadHeader(*Header) error
	// ReadBody decodes the body of the frame just read into v, a pointer;
	// a nil v discards it. An error that leaves the stream intact (the body
	// did not fit v) fails only that frame.
	ReadBody(v any) error
	// Write writes one frame: h and the body v. For a Response with an
	// Error, v is ignored.
	Write(h *Header, v any) error
	// Close closes the underlying stream.
	Close() error
}

// Corker is a Conn whose writes can be held back: frames written between
// Cork and the matching Uncork stay in its buffer, and once the last cork
// is removed (and no Write is under way) what is buffered goes out in one
// write to the stream. Corks nest and may overlap across goroutines. Every
// Conn of this package is a Corker.
//
// It lets a caller that writes frames behind a lock of its own, as
// rpc.Client does, cork before taking that lock: concurrent callers
// queued on it then share one write instead of making one each. Uncork
// returns the stream's write error, if any; a frame written while corked
// reports its write error only there.
type Corker interface {
	Cork()
	Uncork() error
}

// Codec is one wire format.
type Codec interface {
	// Name is the codec's short name, as [ByName] knows it.
	Name() string
	// NewConn frames rwc. opts may be nil for the defaults.
	NewConn(rwc io.ReadWriteCloser, opts *Options) Conn
}

// DefaultMaxFrameSize is the largest frame a Conn reads when
// [Options.MaxFrameSize] is zero.
const DefaultMaxFrameSize = 16 << 20

// maxDepth bounds how deeply a msgpack or JSON frame may nest, so that a
// hostile frame cannot drive a decoder's recursion.
const maxDepth = 256

// Options tune a Conn. A nil *Options means the defaults.
type Options struct {
	// MaxFrameSize bounds the bytes of one frame read. A longer frame ends
	// the connection with [ErrFrameTooLarge] before it is allocated.
	// Zero means DefaultMaxFrameSize.
	MaxFrameSize int

	// FramePerWrite makes the Conn write each frame with its own Write call
	// instead of grouping concurrent frames. Message transports whose every
	// Write is one message (WebSocket) need it so that a message is a frame.
	FramePerWrite bool
}

func (o *Options) maxFrameSize() int {
	if o == nil || o.MaxFrameSize <= 0 {
		return DefaultMaxFrameSize
	}
	return o.MaxFrameSize
}

func (o *Options) framePerWrite() bool { return o != nil && o.FramePerWrite }

// Params marks a call's argument as the whole positional parameter list
// rather than its single parameter. Where the wire has a parameter list
// (msgpack-rpc, JSON-RPC 2.0), a Go caller passes Params{a, b, c} to call a
// foreign method that takes three parameters; any other argument v is sent
// as the list [v]. Gob and JSON-RPC 1.0 send Params as one array value.
type Params []any

// The codecs this package provides. Each compares equal only to itself, so
// c == codec.Msgpack is a safe test (the msgpack ones are pointers because
// their struct holds a func, which == cannot compare).
var (
	// Gob is net/rpc's own gob framing, plus a kind for two-way use.
	Gob Codec = gobCodec{}
	// JSONRPC is JSON-RPC 1.0 as net/rpc/jsonrpc speaks it.
	JSONRPC Codec = jsonCodec{}
	// JSONRPC2 is JSON-RPC 2.0, with batches and error objects.
	JSONRPC2 Codec = jsonCodec{v2: true}
	// Msgpack is msgpack-rpc with github.com/vmihailenco/msgpack/v5 bodies.
	Msgpack Codec = &msgpackCodec{name: "msgpack", engine: newVmihailenco}
	// MsgpackUgorji is the same msgpack-rpc wire with
	// github.com/ugorji/go/codec bodies.
	MsgpackUgorji Codec = &msgpackCodec{name: "msgpack-ugorji", engine: newUgorji}
)

var all = []Codec{Gob, JSONRPC, JSONRPC2, Msgpack, MsgpackUgorji}

// All returns every codec this package provides, in a stable order.
func All() []Codec { return slices.Clone(all) }

// Names returns the names of every codec, in the order of [All].
func Names() []string {
	names := make([]string, len(all))
	for i, c := range all {
		names[i] = c.Name()
	}
	return names
}

// ByName returns the codec with the given name: one of [Names].
func ByName(name string) (Codec, error) {
	for _, c := range all {
		if c.Name() == name {
			return c, nil
		}
	}
	return nil, fmt.Errorf("%w %q (have %v)", ErrUnknownCodec, name, Names())
}
