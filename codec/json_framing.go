package codec

import (
	"encoding/json"
	"errors"
	"fmt"
)

// The bare JSON codecs find where a message ends by walking its brackets
// (json_scan.go), so a message with an unbalanced bracket swallows what
// follows it. The framed codecs, [LSP] and [JSONRPC2Lines], put every
// message in a frame whose end the framing says (a Content-Length header,
// a newline). A body that is not a JSON-RPC message then fails that frame
// only: the next frame starts where the framing says, and is read.
//
// A framing is the seam between the two: jsonConn asks it for the next
// frame's body and has it finish every frame written; everything else,
// messages, batches, ids and cancels, is the JSON-RPC 2.0 of jsonConn.

// jsonFraming delimits the JSON-RPC 2.0 messages of a framed codec. Its
// values are comparable, so that codecs compare with ==.
type jsonFraming interface {
	// name is the codec's name, as ByName knows it.
	name() string
	// wire is how the first bytes of the framing are named by guessWire:
	// a prefix of its guess for them.
	wire() string
	// next reads the next frame, consumes it, and returns its body with
	// the white space around it removed; the body stays valid until the
	// reader's next read. A frame whose framing is sound but whose content
	// is unusable comes back as a *badFrame, which the reader answers as
	// the wire's rules say and reads on; any other error ends the
	// connection.
	next(fr *frameReader) ([]byte, error)
	// seal finishes the message just encoded at buf[mark:], which ends
	// with a newline, as one frame, and returns the buffer.
	seal(buf []byte, mark int) []byte
}

// badFrame is a frame whose framing was sound but whose content cannot be
// read as a message: it fails that frame only.
type badFrame struct {
	code int    // the JSON-RPC 2.0 error code it is answered with
	msg  string // the error's message, which starts with the code's name
	body []byte // what it held, to find the id of a request in; may be nil
}

func (b *badFrame) Error() string { return b.msg }

// nextFramed reads the next frame of a framed codec. It returns a nil body
// and no error when the frame could not be used: what answers it, if
// anything, is queued.
func (c *jsonConn) nextFramed() ([]byte, error) {
	body, err := c.framing.next(c.fr)
	var bad *badFrame
	if errors.As(err, &bad) {
		if in, ok := c.rejectFrame(bad); ok {
			c.queue = append(c.queue, in)
		}
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	if len(body) == 0 || body[0] != '{' && body[0] != '[' {
		c.queue = append(c.queue, c.reject(nil, nil, CodeParseError, "Parse error: the frame holds no JSON object or array"))
		return nil, nil
	}
	if nestedDeeper(body, MaxDepth) {
		msg := fmt.Sprintf("Invalid Request: nested more than %d levels", MaxDepth)
		if in, ok := c.rejectFrame(&badFrame{code: CodeInvalidRequest, msg: msg, body: body}); ok {
			c.queue = append(c.queue, in)
		}
		return nil, nil
	}
	return body, nil
}

// nestedDeeper reports whether the brackets of b, outside its strings,
// nest deeper than max: the bound the bare codecs' scanner keeps, kept
// here too, where the framing has found the frame's end already.
func nestedDeeper(b []byte, max int) bool {
	depth := 0
	for i := 0; i < len(b); i++ {
		switch b[i] {
		case '"':
			i = skipJSONString(b, i) - 1
		case '{', '[':
			if depth++; depth > max {
				return true
			}
		case '}', ']':
			depth--
		}
	}
	return false
}

// rejectFrame hands out a bad frame as a rejected request. A frame that
// can be seen to hold a request is answered under that request's id; one
// that holds a notification or a response is dropped, as neither is ever
// answered; anything else is answered with a null id, as JSON-RPC 2.0
// answers what it cannot read.
func (c *jsonConn) rejectFrame(bad *badFrame) (in jsonIn, ok bool) {
	b := bad.body
	if len(b) == 0 || b[0] != '{' || !json.Valid(b) {
		return c.reject(nil, nil, bad.code, bad.msg), true
	}
	var m jsonMembers
	readMembers(b, &m)
	switch {
	case m.method == nil, m.id == nil:
		return in, false
	case !validJSONID(m.id):
		return c.reject(nil, nil, bad.code, bad.msg), true
	}
	return c.reject(m.id, nil, bad.code, bad.msg), true
}
