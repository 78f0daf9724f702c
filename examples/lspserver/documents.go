package main

import (
	"context"
	"sync"
)

// Text document synchronization. The client owns the documents it has
// open; it tells the server their text with textDocument/didOpen, every
// change with didChange, and that it let go with didClose. The server
// keeps the text of each in memory, for the connection's life: a new
// connection starts with none.
//
// The server asks for full sync (TextDocumentSyncKind 1): each change
// carries the whole new text, so a document is always the text the client
// last sent, with no range arithmetic to get wrong, at the cost of sending
// the whole text on each change, which is nothing for the small documents
// of an example. It does not ask for none (0): that tells a client to
// send no document notifications at all, and the hover would have no
// text (Neovim 0.7.2 sends didOpen even then, but not didChange).
//
// The peer serves these notifications one at a time in the order they
// came, and starts a request only after the notifications read before it
// (peer.Options.OrderedNotifications and RequestsAfterNotifications, in
// main.go): a hover sent right after a didChange sees the change.

// documents holds the open documents of one connection. It is safe for
// concurrent use: hovers read while the notifications write.
type documents struct {
	mu   sync.Mutex
	open map[string]document // by URI
}

// document is the text of an open document, and the version of it the
// client last sent.
type document struct {
	version int
	text    string
}

// get returns the document at uri, if it is open.
func (d *documents) get(uri string) (document, bool) {
	d.mu.Lock()
	defer d.mu.Unlock()
	doc, ok := d.open[uri]
	return doc, ok
}

// DidOpen serves textDocument/didOpen: the client opened a document, whose
// text it sends.
func (s *Server) DidOpen(_ context.Context, params *DidOpenTextDocumentParams) error {
	item := params.TextDocument
	s.docs.mu.Lock()
	defer s.docs.mu.Unlock()
	if s.docs.open == nil {
		s.docs.open = make(map[string]document)
	}
	s.docs.open[item.URI] = document{version: item.Version, text: item.Text}
	return nil
}

// DidChange serves textDocument/didChange: under full sync each change is
// the whole text, and the last one is the document now. A change of a
// document that is not open is dropped, as is one with a range, which
// only incremental sync sends.
func (s *Server) DidChange(_ context.Context, params *DidChangeTextDocumentParams) error {
	s.docs.mu.Lock()
	defer s.docs.mu.Unlock()
	doc, ok := s.docs.open[params.TextDocument.URI]
	if !ok {
		return nil
	}
	for _, change := range params.ContentChanges {
		if change.Range == nil {
			doc.text = change.Text
		}
	}
	doc.version = params.TextDocument.Version
	s.docs.open[params.TextDocument.URI] = doc
	return nil
}

// DidClose serves textDocument/didClose: the client let the document go.
func (s *Server) DidClose(_ context.Context, params *DidCloseTextDocumentParams) error {
	s.docs.mu.Lock()
	defer s.docs.mu.Unlock()
	delete(s.docs.open, params.TextDocument.URI)
	return nil
}
