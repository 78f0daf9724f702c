package main

import (
	"context"
	"fmt"
	"unicode"
	"unicode/utf8"

	"github.com/duplexrpc/duplex/codec"
	"github.com/duplexrpc/duplex/peer"
)

// Hover serves textDocument/hover: the word under the cursor and its
// length in characters (Unicode code points), as markdown, `héllo` (5),
// with the word's range; null where there is no word, as LSP allows. A
// hover in a document that is not open fails with RequestFailed (-32803):
// the client asked about a text it never sent.
func (s *Server) Hover(_ context.Context, params *HoverParams, reply **Hover) error {
	doc, ok := s.docs.get(params.TextDocument.URI)
	if !ok {
		return &peer.Error{Code: codec.CodeRequestFailed, Message: "lspserver: document not open: " + params.TextDocument.URI}
	}
	pos := params.Position
	line, ok := lineAt(doc.text, pos.Line)
	if !ok {
		return nil // past the last line: no word
	}
	enc := s.encoding()
	start, end, ok := wordAt(line, enc.byteOffset(line, pos.Character))
	if !ok {
		return nil
	}
	word := line[start:end]
	*reply = &Hover{
		Contents: MarkupContent{Kind: "markdown", Value: fmt.Sprintf("`%s` (%d)", word, utf8.RuneCountInString(word))},
		Range: &Range{
			Start: Position{Line: pos.Line, Character: enc.units(line[:start])},
			End:   Position{Line: pos.Line, Character: enc.units(line[:end])},
		},
	}
	return nil
}

// wordAt returns the word of line around byte offset i: the one the
// character at i is in, or else the one that ends at i (a cursor just past
// a word is on it, as editors show it). ok is false when neither
// character is a word's.
func wordAt(line string, i int) (start, end int, ok bool) {
	r, _ := utf8.DecodeRuneInString(line[i:])
	if i == len(line) || !isWordRune(r) {
		before, size := utf8.DecodeLastRuneInString(line[:i])
		if size == 0 || !isWordRune(before) {
			return 0, 0, false
		}
		i -= size
	}
	start, end = i, i
	for start > 0 {
		r, size := utf8.DecodeLastRuneInString(line[:start])
		if !isWordRune(r) {
			break
		}
		start -= size
	}
	for end < len(line) {
		r, size := utf8.DecodeRuneInString(line[end:])
		if !isWordRune(r) {
			break
		}
		end += size
	}
	return start, end, true
}

// isWordRune reports whether r belongs in a word: a letter or a digit of
// any script, a combining mark (the accent of a decomposed é), or an
// underscore.
func isWordRune(r rune) bool {
	return unicode.IsLetter(r) || unicode.IsDigit(r) || unicode.IsMark(r) || r == '_'
}
