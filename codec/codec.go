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
	// Cancel asks the other end to cancel the request Seq that this end
	// sent it; it has no body. The wires with notifications write it as
	// the dialect's cancel notification (LSP's "$/cancelRequest" unless
	// Options.Dialect says otherwise), so that a peer which does not know
	// it sees a notification for an unknown method and ignores it; gob,
	// as a kind of its own. Written, Error is the reason, where the
	// dialect carries one.
	Cancel Kind = 4
	// Progress reports progress on a request, named by its progress
	// token ([Header.Token]): the dialect's progress notification. Read,
	// a Conn reports a notification of the dialect's progress method
	// whose params name a token as a Progress; ReadBody then decodes its
	// params as for a notification, unless it is given a
	// *[ProgressValue], which takes the value alone.
	Progress Kind = 5
	// Credit grants the producer of the stream Token room for Seq more
	// items: the dialect's credit notification ({token, credit}), which
	// a consumer of a stream sends (package peer's CallStream). It has no
	// body. A dialect without a credit method (LSP's) never reads one,
	// and a Conn of it writes none.
	Credit Kind = 6
)

func (k Kind) String() string {
	switch k {
	case Request:
		return "request"
	case Response:
		return "response"
	case Notification:
		return "notification"
	case Cancel:
		return "cancel"
	case Progress:
		return "progress"
	case Credit:
		return "credit"
	}
	return fmt.Sprintf("kind(%d)", uint8(k))
}

// Header is the part of a frame that routes it: what it is, which method it
// calls or which call it answers, a remote error, and what travels beside a
// call: its metadata, its wire id and its progress token. A field a wire
// has no room for is not written; an empty field writes nothing, so a call
// without metadata or a token is the same bytes as ever.
type Header struct {
	Kind          Kind
	ServiceMethod string // Request, Notification and Progress
	Seq           uint64 // Request, Response and Cancel; each direction numbers its own requests
	// Error, on a Response, is the remote error's message: non-empty
	// means the call failed and the body is empty. On a Request it means
	// the codec rejected the message (see [Conn]). On a Cancel, the
	// reason, written and read where the dialect carries one (MCP's).
	Error string
	// Code is the error's code. Written with a Response that has an
	// Error, it is the code to send; zero lets the codec choose (JSON-RPC
	// 2.0 must send one). Read, it is the code the remote error carried,
	// or that of the codec's rejection of a Request. JSON-RPC 1.0 and gob
	// carry no code; msgpack-rpc carries one as the error [code, message]
	// (docs/wire.md §7).
	Code int
	// StandardCode, on a Response written, says that Code is only the
	// standard code of the error's kind (method not found, bad params, a
	// panic, a cancel), chosen by the engine, not by the handler.
	// JSON-RPC 2.0 sends it as any code; msgpack-rpc sends such an error
	// as its message alone, the plain string every msgpack-rpc client
	// prints (Neovim reads no other code than its own 0 and 1).
	StandardCode bool
	// Data is the error's data. Written, any value the body could be,
	// nil for none; read, the data the remote error carried, as a [Raw]
	// of the wire, or nil. JSON-RPC 1.0 and gob carry none.
	Data any

	// ID, read on a Request, is its id exactly as the wire wrote it. Seq
	// is what Responses name it by; ID is for the handler. It is not
	// written: a Request's id is its Seq.
	ID ID
	// Meta is the metadata of a Request or Notification, key to value,
	// read and written where the wire has room (docs/wire.md §12). Nil
	// when there is none.
	Meta map[string]string
	// Token is a Request's progress token, written where the dialect
	// says and read from there, and the token that a Progress frame
	// reports on. The zero ID is none.
	Token ID
	// Stream is a Request's stream token: its caller takes the results
	// as a stream, items that come as Progress frames of this token
	// before the Response (LSP's partial results). Written where the
	// dialect says (its StreamToken member of the params, LSP's
	// partialResultToken) or else in the metadata as "streamToken", and
	// read from there. The zero ID is none.
	Stream ID
}

// Conn frames one byte stream in one wire format, in both directions.
//
// ReadHeader and ReadBody are called by one goroutine at a time, in turn:
// after each ReadHeader comes exactly one ReadBody for that frame before the
// next ReadHeader. Reading never writes to the stream: the reader can go on
// while the stream's other direction is blocked. Write is safe for
// concurrent use and writes one whole frame; the frames of writers that
// meet at its lock leave in one write to the stream. Close closes the
// stream; it is safe to call more than once.
//
// A message that the wire's rules say to answer with an error (JSON-RPC
// 2.0's parse errors and invalid requests) reaches the reader as a Request
// with Error (and Code) set and no body. It must be answered like any
// request: a Response with its Seq, whose Error and Code the codec then
// ignores, writes the error the codec chose. So the reader never writes,
// and the answer leaves whenever the user's writer does.
//
// A Cancel read names, by its Seq, a request this end read and may not
// have answered yet; a codec drops a cancel that it can tell matches none.
// Cancel frames have no body: ReadBody does nothing for them.
//
// Every Conn of this package also has a method ReadAhead() bool, safe to
// call from any goroutine, that reports whether bytes of further frames
// are already buffered by the reader: a writer that knows the reader will
// soon need the stream again (package peer flushes before its reader
// waits) may leave its frame queued, so that the answers to a burst of
// requests share one write.
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
	// Error, and for a Cancel, v is ignored.
	Write(h *Header, v any) error
	// Close closes the underlying stream.
	Close() error
}

// FrameAppender is a Conn that can encode a frame by appending it to a
// byte slice, as Write writes it but without the Conn's own buffer, lock
// and flush: a user with a send queue of its own (package peer) encodes
// straight into it, so that a frame is copied nowhere on its way out.
// Every Conn of this package is one.
//
// AppendFrame returns dst extended by the frame, or, on an error that Is
// ErrEncode, by nothing (gob's stand-in body aside, which keeps its stream
// in step: see [Gob]). Calls must be serialized, and not mixed with Write
// on the same Conn.
type FrameAppender interface {
	AppendFrame(dst []byte, h *Header, v any) ([]byte, error)
}

// The Conns of this package append frames.
var (
	_ FrameAppender = (*msgpackConn)(nil)
	_ FrameAppender = (*jsonConn)(nil)
	_ FrameAppender = (*gobConn)(nil)
)

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

// MaxDepth is how deeply a msgpack or JSON frame may nest: a deeper one
// is refused with [ErrTooDeep], so that a hostile frame cannot drive a
// decoder's recursion.
const MaxDepth = 256

// Options tune a Conn. A nil *Options means the defaults.
type Options struct {
	// MaxFrameSize bounds the bytes of one frame read. A longer frame ends
	// the connection with [ErrFrameTooLarge] before it is allocated.
	// Zero means DefaultMaxFrameSize.
	MaxFrameSize int

	// MaxDecodeRatio bounds what decoding one frame may allocate, as a
	// multiple of the frame's size on the wire (a frame under 128 KiB may always
	// allocate 1 MiB). Before a body is decoded, the Conn walks its
	// encoding and charges each value what its Go value will take, given
	// the type it is decoded into. A body that would pass its frame's
	// budget fails with [ErrDecodeBudget] before anything is allocated:
	// a request's body fails that call only. Zero means
	// DefaultMaxDecodeRatio; a negative value turns the check off. Gob
	// bodies are charged by their type alone (docs/wire.md §8.5).
	MaxDecodeRatio int

	// Dialect is how cancels and progress are spelled, and where a
	// request's progress token travels. Nil means DefaultDialect.
	Dialect *Dialect

	// ParamsByName sends a Go argument that encodes as a JSON object as a
	// JSON-RPC 2.0 request's params themselves, {"a":1}, rather than as
	// [{"a":1}], as the dialect's ParamsByName does. The framed codecs
	// always do.
	ParamsByName bool

	// LenientParams decodes by-name params into a struct as encoding/json
	// does: a key no field takes is dropped, a request without params
	// leaves the argument zero. By default both fail the call with an
	// error that names what is wrong (docs/wire.md §6.1); the lsp and mcp
	// dialects, whose protocols grow by adding members, are lenient.
	LenientParams bool

	// FramePerWrite makes the Conn write each frame with its own Write call
	// instead of grouping concurrent frames. Message transports whose every
	// Write is one message (WebSocket) need it so that a message is a frame.
	// A stream that is a [MessageWriter] gets it without asking.
	FramePerWrite bool
}

// MessageWriter is implemented by a stream whose every Write is delivered
// as one message, such as package transport's WebSocket connections.
// NewConn writes one frame per Write on such a stream, as if
// [Options.FramePerWrite] were set, so that every message is one frame and
// nobody has to remember the option. (codec and transport do not import
// each other: the method is the contract.)
type MessageWriter interface {
	// WritesMessages reports whether each Write is one message.
	WritesMessages() bool
}

// WritesMessages reports whether frames on rwc must each be written with
// one Write: opts asks for it, or rwc is a [MessageWriter] that says so.
func WritesMessages(rwc io.Writer, opts *Options) bool {
	if opts != nil && opts.FramePerWrite {
		return true
	}
	m, ok := rwc.(MessageWriter)
	return ok && m.WritesMessages()
}

func (o *Options) maxFrameSize() int {
	if o == nil || o.MaxFrameSize <= 0 {
		return DefaultMaxFrameSize
	}
	return o.MaxFrameSize
}

// Params marks a call's argument as the whole positional parameter list
// rather than its single parameter. Where the wire has a parameter list
// (msgpack-rpc, JSON-RPC 2.0), a Go caller passes Params{a, b, c} to call a
// foreign method that takes three parameters; any other argument v is sent
// as the list [v]. Gob and JSON-RPC 1.0 send Params as one array value.
type Params []any

// The codecs this package provides, one declaration each so that go doc
// lists every one (a var block shows only its first). Each compares equal
// only to itself, so c == codec.Msgpack is a safe test (the msgpack ones
// are pointers because their struct holds a func, which == cannot
// compare).

// Gob is net/rpc's own gob framing, plus a kind for two-way use.
var Gob Codec = gobCodec{}

// JSONRPC is JSON-RPC 1.0 as net/rpc/jsonrpc speaks it.
var JSONRPC Codec = jsonCodec{}

// JSONRPC2 is JSON-RPC 2.0, with batches and error objects.
var JSONRPC2 Codec = jsonCodec{v2: true}

// LSP is JSON-RPC 2.0 framed by the Language Server Protocol's base
// protocol: a Content-Length header before every message, as language
// servers and their clients speak it. An argument that encodes as a
// JSON object is sent as the params themselves, as LSP methods want.
var LSP Codec = jsonCodec{v2: true, framing: lspFraming{}}

// JSONRPC2Lines is JSON-RPC 2.0 with one message per line, as many
// JSON-RPC tools speak it over TCP and stdio; a bad line fails that
// line only. Params are sent as by LSP.
var JSONRPC2Lines Codec = jsonCodec{v2: true, framing: linesFraming{}}

// Msgpack is msgpack-rpc with github.com/vmihailenco/msgpack/v5 bodies.
var Msgpack Codec = &msgpackCodec{name: "msgpack", engine: newVmihailenco, cost: vmihailencoCost}

// MsgpackUgorji is the same msgpack-rpc wire with
// github.com/ugorji/go/codec bodies.
var MsgpackUgorji Codec = &msgpackCodec{name: "msgpack-ugorji", engine: newUgorji, cost: ugorjiCost}

var all = []Codec{Gob, JSONRPC, JSONRPC2, Msgpack, MsgpackUgorji, LSP, JSONRPC2Lines}

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
