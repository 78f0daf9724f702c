package main

import (
	"context"
	"slices"
	"strings"

	"github.com/duplexrpc/duplex/peer"
)

// SymbolKindString is LSP's SymbolKind for a string: what a word of a
// plain-text document is.
const SymbolKindString = 15

// Symbols serves workspace/symbol as a stream: every word of the open
// documents that contains the query (case-insensitively; an empty query
// matches every word) is a SymbolInformation, and each line's are one
// item. An LSP client that sends a partialResultToken gets each line's
// symbols as a partial result, a $/progress of that token, as soon as
// the line is read, and then an empty answer; one that sends none gets
// them all in the answer (the peer collects the items, as LSP wants).
// The documents are read in the order of their URIs.
func (s *Server) Symbols(ctx context.Context, params *WorkspaceSymbolParams, out *peer.Stream[[]SymbolInformation]) error {
	query := strings.ToLower(params.Query)
	enc := s.encoding()
	for _, uri := range s.docs.uris() {
		doc, ok := s.docs.get(uri)
		if !ok {
			continue // closed meanwhile
		}
		for n, i := 0, 0; i >= 0; n++ {
			end, next := lineEnd(doc.text, i)
			if found := symbolsIn(uri, n, doc.text[i:end], query, enc); len(found) > 0 {
				if err := out.Send(found); err != nil {
					return err // the client cancelled, or left
				}
			}
			i = next
		}
	}
	return nil
}

// symbolsIn returns the words of line n of a document that contain query.
func symbolsIn(uri string, n int, line, query string, enc encoding) []SymbolInformation {
	var found []SymbolInformation
	for i := 0; i < len(line); {
		start, end, ok := wordAt(line, i)
		if !ok || end <= i {
			i++
			continue
		}
		if word := line[start:end]; strings.Contains(strings.ToLower(word), query) {
			found = append(found, SymbolInformation{
				Name: word,
				Kind: SymbolKindString,
				Location: Location{URI: uri, Range: Range{
					Start: Position{Line: n, Character: enc.units(line[:start])},
					End:   Position{Line: n, Character: enc.units(line[:end])},
				}},
			})
		}
		i = end
	}
	return found
}

// uris returns the URIs of the open documents, sorted.
func (d *documents) uris() []string {
	d.mu.Lock()
	defer d.mu.Unlock()
	var uris []string
	for uri := range d.open {
		uris = append(uris, uri)
	}
	slices.Sort(uris)
	return uris
}
