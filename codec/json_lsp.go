package codec

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
)

// lspFraming is the base protocol of the Language Server Protocol: a
// header of fields, each "Name: value" and a line end, then an empty line,
// then exactly Content-Length bytes of body, one JSON-RPC 2.0 message.
//
//	Content-Length: 52\r\n
//	\r\n
//	{"jsonrpc":"2.0","method":"initialized","params":{}}
//
// The spec: header fields follow HTTP's rules, so their names are matched
// without regard to case and the white space around a value is not part
// of it; Content-Length is required and counts bytes, not characters;
// Content-Type is optional and its charset, utf-8 by default, is the only
// one the spec supports (with "utf8", which older peers wrote). Other
// fields are ignored, as HTTP ignores fields it does not know.
//
// Writing, the header is only "Content-Length: N\r\n\r\n", as
// vscode-jsonrpc and gopls write it. Reading is more lenient than the
// spec in ways real peers have needed and that cannot be mistaken for
// anything else: a line may end with "\n" alone, and empty lines before
// a header are skipped.
//
// Over a stream that keeps message boundaries (a WebSocket: MessageReader),
// every message is one frame: a message that opens with '{' or '[' is the
// body itself, without a header, as WebSocket clients of JSON-RPC send it;
// one with a header must hold exactly its Content-Length after it. Either
// way a bad message fails that message only.
type lspFraming struct{}

// maxLSPHeader bounds the header of one message, its line ends included:
// real headers are under a hundred bytes.
const maxLSPHeader = 8 << 10

func (lspFraming) name() string { return "lsp" }
func (lspFraming) wire() string { return "LSP" }

// lspGuess is what guessWire calls a stream that opens with a header.
const lspGuess = "LSP base protocol headers (lsp)"

func (lspFraming) next(fr *frameReader) ([]byte, error) {
	if fr.mr != nil {
		return lspMessage(fr)
	}
	length, charset, err := readLSPHeader(fr)
	if err != nil {
		return nil, err
	}
	body, err := fr.need(length)
	if err != nil {
		if err == io.EOF { // the header was read: the body is missing
			err = io.ErrUnexpectedEOF
		}
		return nil, err
	}
	fr.consume(length)
	fr.started = true
	return lspBody(body, charset)
}

// lspMessage reads the next message of a message stream as one frame,
// with or without its header.
func lspMessage(fr *frameReader) ([]byte, error) {
	for {
		msg, err := fr.nextMessage()
		if errors.Is(err, ErrFrameTooLarge) {
			return nil, &badFrame{code: CodeInvalidRequest, msg: "Invalid Request: " + err.Error()}
		}
		if err != nil {
			return nil, err
		}
		msg = bytes.TrimLeft(msg, " \t\r\n")
		switch {
		case len(msg) == 0:
			continue // an empty message, as an empty line: skipped
		case msg[0] == '{' || msg[0] == '[':
			return lspBody(msg, "")
		}
		// The header, read from this message alone.
		one := &frameReader{buf: msg, end: len(msg), max: fr.max, err: io.EOF}
		length, charset, err := readLSPHeader(one)
		if err == nil && one.buffered() != length {
			err = fmt.Errorf("%w: the message holds %d bytes after its header, not its Content-Length %d", ErrMalformed, one.buffered(), length)
		}
		if err != nil {
			return nil, &badFrame{code: CodeParseError, msg: "Parse error: " + err.Error()}
		}
		return lspBody(one.buf[one.start:one.end], charset)
	}
}

// lspBody is a frame's body without the white space around it, or the
// error for a charset that is not UTF-8.
func lspBody(body []byte, charset string) ([]byte, error) {
	body = bytes.Trim(body, " \t\r\n")
	if charset != "" && !utf8Charset(charset) {
		return nil, &badFrame{
			code: CodeParseError,
			msg:  fmt.Sprintf("Parse error: content in charset %q: LSP content is utf-8", charset),
			body: body,
		}
	}
	return body, nil
}

// utf8Charset reports whether a Content-Type's charset is UTF-8, under
// either of the names the spec accepts.
func utf8Charset(cs string) bool {
	return asciiEqualFold(cs, "utf-8") || asciiEqualFold(cs, "utf8")
}

// seal puts the header in front of the message at buf[mark:], and drops
// the newline the encoder ended it with: the body is exactly the message.
func (lspFraming) seal(buf []byte, mark int) []byte {
	if n := len(buf); n > mark && buf[n-1] == '\n' {
		buf = buf[:n-1]
	}
	body := len(buf) - mark
	var head [40]byte
	h := append(head[:0], "Content-Length: "...)
	h = strconv.AppendInt(h, int64(body), 10)
	h = append(h, "\r\n\r\n"...)
	buf = append(buf, h...)
	copy(buf[mark+len(h):], buf[mark:mark+body])
	copy(buf[mark:], h)
	return buf
}

// readLSPHeader reads and consumes one message's header and returns its
// Content-Length, checked against the frame limit before anything of the
// body is read, and the charset its Content-Type names ("" when none does).
// It returns io.EOF when the stream ends cleanly before a header, empty
// lines or not.
func readLSPHeader(fr *frameReader) (length int, charset string, err error) {
	length = -1
	size, fields := 0, 0
	for {
		if fields == 0 && !fr.started {
			if b, err := fr.need(1); err == nil && (b[0] == '{' || b[0] == '[') {
				// JSON where the first header was due: another
				// codec's first frame (checkWire leaves this one to
				// the framing, which knows whether headers are due).
				return 0, "", wrongWire(guessWire(b), lspFraming{}.name())
			}
		}
		line, n, err := lspLine(fr, maxLSPHeader-size)
		if err != nil {
			if err == io.EOF && fields > 0 {
				err = io.ErrUnexpectedEOF
			}
			return 0, "", err
		}
		size += n
		if len(line) == 0 {
			fr.consume(n)
			if fields == 0 {
				continue // an empty line before a header: skipped
			}
			break
		}
		fields++
		name, value, err := lspField(line)
		if err == nil {
			switch {
			case asciiEqualFold(name, "Content-Length"):
				var l int
				if l, err = parseContentLength(value, fr.max); err == nil && length >= 0 && l != length {
					err = fmt.Errorf("%w: LSP header with two Content-Lengths, %d and %d", ErrMalformed, length, l)
				}
				length = l
			case asciiEqualFold(name, "Content-Type"):
				charset = contentCharset(value)
			}
		}
		fr.consume(n) // only now: line is a slice of the buffer
		if err != nil {
			return 0, "", err
		}
	}
	if length < 0 {
		return 0, "", fmt.Errorf("%w: LSP header without a Content-Length", ErrMalformed)
	}
	return length, charset, nil
}

// lspLine returns the next line of a header without its line end ("\r\n",
// or "\n" alone), and the bytes it takes with its line end. It fails with
// ErrMalformed when no line end comes within limit bytes.
func lspLine(fr *frameReader, limit int) (line []byte, n int, err error) {
	for searched := 0; ; {
		buffered := fr.buf[fr.start:fr.end]
		if i := bytes.IndexByte(buffered[searched:], '\n'); i >= 0 {
			n = searched + i + 1
			if n > limit {
				break
			}
			line = buffered[:n-1]
			if len(line) > 0 && line[len(line)-1] == '\r' {
				line = line[:len(line)-1]
			}
			return line, n, nil
		}
		searched = len(buffered)
		if searched >= limit {
			break
		}
		if _, err := fr.need(searched + 1); err != nil {
			return nil, 0, err
		}
	}
	return nil, 0, fmt.Errorf("%w: LSP header longer than %d bytes", ErrMalformed, maxLSPHeader)
}

// lspField splits a header line into its name and its value, without the
// white space around the value. The name must be an HTTP token and the
// value hold no control character but tab: anything else is not a header,
// and most likely a peer that sends no headers at all.
func lspField(line []byte) (name, value []byte, err error) {
	colon := bytes.IndexByte(line, ':')
	if colon <= 0 {
		return nil, nil, fmt.Errorf("%w: LSP header line %s is not \"Name: value\"", ErrMalformed, quoteStart(line))
	}
	name, value = line[:colon], bytes.Trim(line[colon+1:], " \t")
	for _, c := range name {
		if !isTokenByte(c) {
			return nil, nil, fmt.Errorf("%w: LSP header line %s has no field name", ErrMalformed, quoteStart(line))
		}
	}
	for _, c := range value {
		if c < ' ' && c != '\t' || c == 0x7f {
			return nil, nil, fmt.Errorf("%w: LSP header line %s holds a control character", ErrMalformed, quoteStart(line))
		}
	}
	return name, value, nil
}

// isTokenByte reports whether c may be part of an HTTP field name (RFC
// 9110's tchar).
func isTokenByte(c byte) bool {
	switch {
	case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9':
		return true
	}
	return c != 0 && strings.IndexByte("!#$%&'*+-.^_`|~", c) >= 0
}

// quoteStart quotes the start of a bad header line for an error message.
func quoteStart(line []byte) string {
	const show = 40
	if len(line) > show {
		return strconv.Quote(string(line[:show])) + "..."
	}
	return strconv.Quote(string(line))
}

// parseContentLength reads a Content-Length value: decimal digits only.
// A length past max is ErrFrameTooLarge, found before it is allocated.
func parseContentLength(value []byte, max int) (int, error) {
	if len(value) == 0 {
		return 0, fmt.Errorf("%w: LSP Content-Length is empty", ErrMalformed)
	}
	n, over := 0, false
	for _, c := range value {
		if c < '0' || c > '9' {
			return 0, fmt.Errorf("%w: LSP Content-Length %s is not a number of bytes", ErrMalformed, quoteStart(value))
		}
		if !over {
			n = n*10 + int(c-'0')
			over = n > max
		}
	}
	if over {
		return 0, fmt.Errorf("%w: LSP Content-Length %s is more than %d bytes", ErrFrameTooLarge, value, max)
	}
	return n, nil
}

// contentCharset returns the charset parameter of a Content-Type value,
// unquoted, or "" when it has none.
func contentCharset(value []byte) string {
	params := value
	for len(params) > 0 {
		semi := bytes.IndexByte(params, ';')
		if semi < 0 {
			return ""
		}
		params = params[semi+1:]
		param := params
		if end := bytes.IndexByte(param, ';'); end >= 0 {
			param = param[:end]
		}
		k, v, ok := bytes.Cut(param, []byte("="))
		if ok && asciiEqualFold(bytes.TrimSpace(k), "charset") {
			return string(bytes.Trim(bytes.TrimSpace(v), `"`))
		}
	}
	return ""
}

// asciiEqualFold reports whether b and s are equal, ignoring the case of
// ASCII letters.
func asciiEqualFold[B []byte | string](b B, s string) bool {
	if len(b) != len(s) {
		return false
	}
	for i := range len(s) {
		x, y := b[i], s[i]
		if 'A' <= x && x <= 'Z' {
			x += 'a' - 'A'
		}
		if 'A' <= y && y <= 'Z' {
			y += 'a' - 'A'
		}
		if x != y {
			return false
		}
	}
	return true
}
