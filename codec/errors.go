package codec

import "errors"

// Errors a Conn returns. Each ends the connection except where it says
// otherwise.
var (
	// ErrFrameTooLarge: a frame is longer than Options.MaxFrameSize.
	ErrFrameTooLarge = errors.New("codec: frame too large")
	// ErrTooDeep: a frame nests deeper than the decoder allows.
	ErrTooDeep = errors.New("codec: frame nested too deeply")
	// ErrMalformed: the bytes are not a frame of the wire format.
	ErrMalformed = errors.New("codec: malformed frame")
	// ErrInvalidParams: a request's parameters do not fit the method's
	// argument. It fails that call only.
	ErrInvalidParams = errors.New("codec: invalid params")
	// ErrDecodeBudget: decoding a body would allocate more than its frame's
	// budget (Options.MaxDecodeRatio). It fails that body only; the frame
	// was read whole, so the stream stays in step.
	ErrDecodeBudget = errors.New("codec: frame would decode too large")
	// ErrEncode: Write could not encode a body. Nothing of the frame was
	// written, and the connection stays usable.
	ErrEncode = errors.New("codec: cannot encode")
	// ErrWrongCodec: the first bytes from the other end are those of
	// another wire format of this package: the two ends were given
	// different codecs. Redialing will not mend it.
	ErrWrongCodec = errors.New("codec: the other end speaks another wire format")
	// ErrUnknownCodec: ByName was given a name it does not know.
	ErrUnknownCodec = errors.New("codec: unknown codec")
	// ErrUnknownDialect: DialectByName was given a name it does not know.
	ErrUnknownDialect = errors.New("codec: unknown dialect")
)

// paramsError is a JSON request's params failing to decode into the
// argument. It reads as the decoder's own error, word for word what
// net/rpc/jsonrpc answers, and matches ErrInvalidParams.
type paramsError struct{ err error }

func (e *paramsError) Error() string   { return e.err.Error() }
func (e *paramsError) Unwrap() []error { return []error{ErrInvalidParams, e.err} }
