package codec

import (
	"bytes"
	"errors"
	"fmt"
	"io"
)

// linesFraming is newline-delimited JSON, as many JSON-RPC tools speak it
// over TCP and stdio: every message is one line, ended by "\n".
//
//	{"jsonrpc":"2.0","method":"Arith.Multiply","params":{"A":7,"B":8},"id":0}\n
//
// A message never holds a raw newline (JSON escapes it inside strings, and
// this package writes messages without indentation), so a newline always
// ends one. Reading, a "\r" before the "\n" and the white space around a
// message are dropped, an empty line is skipped, and a last line cut off
// by the end of the stream is read as if it had its newline. A line that
// is not one JSON-RPC message (bad JSON, two values) fails that line only,
// and so does a line longer than the frame limit, which is read past
// without being kept: the next line is read as usual.
//
// Over a stream that keeps message boundaries (a WebSocket: MessageReader),
// every message is one line, newline or not.
type linesFraming struct{}

func (linesFraming) name() string { return "jsonrpc2-lines" }
func (linesFraming) wire() string { return "JSON" }

// seal has nothing to add: the encoder ends every message with its newline.
func (linesFraming) seal(buf []byte, _ int) []byte { return buf }

func (linesFraming) next(fr *frameReader) ([]byte, error) {
	for {
		var line []byte
		var err error
		if fr.mr != nil {
			line, err = lineMessage(fr)
		} else {
			line, err = nextLine(fr)
		}
		if err != nil {
			return nil, err
		}
		if line = bytes.Trim(line, " \t\r\n"); len(line) > 0 {
			return line, nil
		}
	}
}

// lineMessage consumes the next message of a message stream as a line. A
// message over the frame limit fails that message only, as a long line does.
func lineMessage(fr *frameReader) ([]byte, error) {
	msg, err := fr.nextMessage()
	if errors.Is(err, ErrFrameTooLarge) {
		return nil, &badFrame{
			code: CodeInvalidRequest,
			msg:  fmt.Sprintf("Invalid Request: a message longer than %d bytes, the frame limit", fr.max),
		}
	}
	return msg, err
}

// nextLine consumes the next line and returns it without its newline. It
// stays valid until the reader's next read.
func nextLine(fr *frameReader) ([]byte, error) {
	for searched := 0; ; {
		buffered := fr.buf[fr.start:fr.end]
		if i := bytes.IndexByte(buffered[searched:], '\n'); i >= 0 {
			n := searched + i + 1
			fr.consume(n)
			return buffered[:n-1], nil
		}
		searched = len(buffered)
		_, err := fr.need(searched + 1)
		switch {
		case err == nil:
		case errors.Is(err, ErrFrameTooLarge):
			return nil, skipLongLine(fr)
		case err == io.ErrUnexpectedEOF: // the last line has no newline
			line := fr.buf[fr.start:fr.end]
			fr.consume(len(line))
			return line, nil
		default:
			return nil, err
		}
	}
}

// skipLongLine reads past the rest of a line longer than the frame limit,
// through the buffer that the line filled, and reports it as a bad frame:
// a line past the limit fails that line only. Some of the line is
// buffered, so the stream cannot end cleanly here.
func skipLongLine(fr *frameReader) error {
	for {
		buffered := fr.buf[fr.start:fr.end]
		if i := bytes.IndexByte(buffered, '\n'); i >= 0 {
			fr.consume(i + 1)
			return &badFrame{
				code: CodeInvalidRequest,
				msg:  fmt.Sprintf("Invalid Request: a line longer than %d bytes, the frame limit", fr.max),
			}
		}
		// Keep the last byte (not a newline): a buffer emptied to the
		// last byte would be dropped and grown again for the next read.
		fr.consume(len(buffered) - 1)
		if _, err := fr.need(2); err != nil {
			if err == io.EOF { // the stream ended inside the line
				err = io.ErrUnexpectedEOF
			}
			return err
		}
	}
}
