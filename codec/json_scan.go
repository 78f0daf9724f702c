package codec

import "fmt"

// errNotJSONFrame: the next bytes do not start a JSON object or array.
// JSON-RPC 2.0 answers it with a parse error and skips the line.
var errNotJSONFrame = fmt.Errorf("%w: JSON-RPC frame is not an object or array", ErrMalformed)

func isJSONSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\n' || c == '\r' }

// scanJSON returns the length of the JSON object or array at the front of
// fr, after dropping the white space before it. It reads only as far as the
// value goes, and fails once the value passes the frame limit or nests
// deeper than MaxDepth. A frame longer than spillAt is gathered in pieces
// (frameReader.spill): take the frame with frameReader.take. Only the brackets and strings are tracked: the
// bytes in between are checked when the frame is decoded.
func scanJSON(fr *frameReader) (int, error) {
	for {
		b, err := fr.need(1)
		if err != nil {
			return 0, err
		}
		if !isJSONSpace(b[0]) {
			if b[0] != '{' && b[0] != '[' {
				return 0, errNotJSONFrame
			}
			break
		}
		fr.consume(1)
	}
	// open holds the closing bracket each open one wants: a close that
	// does not match ends the frame there, and the decoder reports it as
	// invalid JSON instead of the scan waiting for a close that may never
	// come.
	var open [MaxDepth + 1]byte
	depth, inString, escaped := 0, false, false
	for i := 0; ; {
		if i == fr.buffered() {
			if fr.spills(i) { // a long frame: gather it in pieces
				if err := fr.spill(i); err != nil {
					return 0, err
				}
				i = 0
			}
			if _, err := fr.need(i + 1); err != nil {
				return 0, err
			}
		}
		chunk := fr.buf[fr.start+i : fr.end]
		for j, c := range chunk {
			switch {
			case inString:
				switch {
				case escaped:
					escaped = false
				case c == '\\':
					escaped = true
				case c == '"':
					inString = false
				}
			case c == '"':
				inString = true
			case c == '{' || c == '[':
				if depth++; depth > MaxDepth {
					return 0, fmt.Errorf("%w: more than %d levels", ErrTooDeep, MaxDepth)
				}
				open[depth] = c + 2 // '}' is '{'+2, ']' is '['+2
			case c == '}' || c == ']':
				if c != open[depth] {
					return fr.spilledLen + i + j + 1, nil
				}
				if depth--; depth == 0 {
					return fr.spilledLen + i + j + 1, nil
				}
			}
		}
		i += len(chunk)
	}
}

// skipLine drops the buffered bytes up to the end of the line, or all of
// them: how JSON-RPC 2.0 gets past bytes that are not JSON.
func skipLine(fr *frameReader) {
	for i := fr.start; i < fr.end; i++ {
		if fr.buf[i] == '\n' {
			fr.consume(i - fr.start + 1)
			return
		}
	}
	fr.consume(fr.buffered())
}
