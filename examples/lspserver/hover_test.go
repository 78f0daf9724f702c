package main

import (
	"context"
	"fmt"
	"testing"
)

func TestWordAt(t *testing.T) {
	const line = "héllo, e\u0301t_2 👋" // the second é is an e and a combining accent
	tests := []struct {
		offset int
		want   string // "" for no word
	}{
		{0, "héllo"},
		{3, "héllo"}, // after the é's two bytes
		{6, "héllo"}, // just past the word, on the comma
		{7, ""},      // the space after the comma
		{8, "e\u0301t_2"},
		{9, "e\u0301t_2"},   // the accent
		{len(line) - 4, ""}, // 👋, after a space: no word on either side
		{len(line), ""},
	}
	for _, tt := range tests {
		start, end, ok := wordAt(line, tt.offset)
		got := ""
		if ok {
			got = line[start:end]
		}
		if got != tt.want {
			t.Errorf("wordAt(%q, %d) = %q; want %q", line, tt.offset, got, tt.want)
		}
	}
}

// A hover, served by the method itself: UTF-16 positions, LSP's default.
func ExampleServer_Hover() {
	s := newServer()
	s.DidOpen(context.Background(), &DidOpenTextDocumentParams{TextDocument: TextDocumentItem{URI: "untitled:x", Text: "héllo 👋 wörld"}})
	var h *Hover
	s.Hover(context.Background(), &HoverParams{TextDocument: TextDocumentIdentifier{URI: "untitled:x"}, Position: Position{Line: 0, Character: 9}}, &h)
	fmt.Println(h.Contents.Value, h.Range.Start.Character, h.Range.End.Character)
	// Output: `wörld` (5) 9 14
}
