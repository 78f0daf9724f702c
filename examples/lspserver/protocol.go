package main

import "encoding/json"

// The types of the Language Server Protocol this server reads and writes,
// as the specification defines them
// (https://microsoft.github.io/language-server-protocol/specifications/lsp/3.17/specification/).
// Members it does not read are left out: encoding/json skips them.

// Position is a place in a document: a zero-based line, and an offset in
// it counted in the connection's position encoding (positions.go): UTF-16
// code units unless the client and the server agreed on another.
type Position struct {
	Line      int `json:"line"`
	Character int `json:"character"`
}

// Range is a span of a document, its end exclusive.
type Range struct {
	Start Position `json:"start"`
	End   Position `json:"end"`
}

// TextDocumentIdentifier names a document by its URI.
type TextDocumentIdentifier struct {
	URI string `json:"uri"`
}

// VersionedTextDocumentIdentifier names a document and the version a
// change makes of it.
type VersionedTextDocumentIdentifier struct {
	URI     string `json:"uri"`
	Version int    `json:"version"`
}

// TextDocumentItem is a document as the client opens it.
type TextDocumentItem struct {
	URI        string `json:"uri"`
	LanguageID string `json:"languageId"`
	Version    int    `json:"version"`
	Text       string `json:"text"`
}

// ProgressToken names a stream of $/progress notifications: an integer or
// a string, kept as the JSON the client wrote so that it goes back exactly.
// It is empty when the params had none.
type ProgressToken = json.RawMessage

// InitializeParams are initialize's params, the part this server reads.
type InitializeParams struct {
	ProcessID    *int               `json:"processId"`
	ClientInfo   *Info              `json:"clientInfo,omitempty"`
	Capabilities ClientCapabilities `json:"capabilities"`
}

// ClientCapabilities are what the client says it can do, the part this
// server reads.
type ClientCapabilities struct {
	General *struct {
		// PositionEncodings are the encodings the client offers (LSP
		// 3.17), in its order of preference; none means UTF-16 only.
		PositionEncodings []string `json:"positionEncodings"`
	} `json:"general,omitempty"`
	Window *struct {
		// WorkDoneProgress says the client takes progress the server
		// starts itself, with window/workDoneProgress/create.
		WorkDoneProgress bool `json:"workDoneProgress"`
	} `json:"window,omitempty"`
}

// Info names a client or a server.
type Info struct {
	Name    string `json:"name"`
	Version string `json:"version,omitempty"`
}

// InitializeResult is initialize's answer.
type InitializeResult struct {
	Capabilities ServerCapabilities `json:"capabilities"`
	ServerInfo   Info               `json:"serverInfo"`
}

// ServerCapabilities are what this server does.
type ServerCapabilities struct {
	// PositionEncoding is the encoding chosen from the client's offer.
	PositionEncoding        string                  `json:"positionEncoding"`
	TextDocumentSync        TextDocumentSyncOptions `json:"textDocumentSync"`
	HoverProvider           bool                    `json:"hoverProvider"`
	WorkspaceSymbolProvider bool                    `json:"workspaceSymbolProvider"`
	ExecuteCommandProvider  ExecuteCommandOptions   `json:"executeCommandProvider"`
}

// TextDocumentSyncKind says how didChange carries a change.
const (
	SyncNone        = 0 // the client sends no text at all
	SyncFull        = 1 // each change is the whole text
	SyncIncremental = 2 // each change is a range and its new text
)

// TextDocumentSyncOptions say which document notifications the client
// sends: didOpen and didClose when OpenClose, and didChange of the Change
// kind.
type TextDocumentSyncOptions struct {
	OpenClose bool `json:"openClose"`
	Change    int  `json:"change"`
}

// ExecuteCommandOptions list the commands workspace/executeCommand runs.
type ExecuteCommandOptions struct {
	Commands []string `json:"commands"`
}

// DidOpenTextDocumentParams are textDocument/didOpen's params.
type DidOpenTextDocumentParams struct {
	TextDocument TextDocumentItem `json:"textDocument"`
}

// DidChangeTextDocumentParams are textDocument/didChange's params.
type DidChangeTextDocumentParams struct {
	TextDocument   VersionedTextDocumentIdentifier  `json:"textDocument"`
	ContentChanges []TextDocumentContentChangeEvent `json:"contentChanges"`
}

// TextDocumentContentChangeEvent is one change. Under full sync, which
// this server asks for, Text is the whole new text and Range is absent.
type TextDocumentContentChangeEvent struct {
	Range *Range `json:"range,omitempty"`
	Text  string `json:"text"`
}

// DidCloseTextDocumentParams are textDocument/didClose's params.
type DidCloseTextDocumentParams struct {
	TextDocument TextDocumentIdentifier `json:"textDocument"`
}

// HoverParams are textDocument/hover's params.
type HoverParams struct {
	TextDocument TextDocumentIdentifier `json:"textDocument"`
	Position     Position               `json:"position"`
}

// Hover is textDocument/hover's answer.
type Hover struct {
	Contents MarkupContent `json:"contents"`
	Range    *Range        `json:"range,omitempty"`
}

// MarkupContent is text in a format: "markdown" or "plaintext".
type MarkupContent struct {
	Kind  string `json:"kind"`
	Value string `json:"value"`
}

// ExecuteCommandParams are workspace/executeCommand's params. A client
// that shows progress itself sends a WorkDoneToken for the server to
// report on.
type ExecuteCommandParams struct {
	Command       string            `json:"command"`
	Arguments     []json.RawMessage `json:"arguments"`
	WorkDoneToken ProgressToken     `json:"workDoneToken,omitempty"`
}

// WorkDoneProgressCreateParams are window/workDoneProgress/create's: the
// token the server will report progress under.
type WorkDoneProgressCreateParams struct {
	Token ProgressToken `json:"token"`
}

// ProgressParams are $/progress's params.
type ProgressParams struct {
	Token ProgressToken    `json:"token"`
	Value WorkDoneProgress `json:"value"`
}

// WorkDoneProgress is the value of a $/progress: a begin (with a Title), a
// report, or an end, by Kind.
type WorkDoneProgress struct {
	Kind        string `json:"kind"` // "begin", "report" or "end"
	Title       string `json:"title,omitempty"`
	Cancellable bool   `json:"cancellable,omitempty"`
	Message     string `json:"message,omitempty"`
	Percentage  *int   `json:"percentage,omitempty"` // 0 to 100, not in an end
}

// WorkspaceSymbolParams are workspace/symbol's params. Its
// partialResultToken is the peer's (the stream's token, under
// codec.LSPDialect), and so is a workDoneToken: neither is here.
type WorkspaceSymbolParams struct {
	Query string `json:"query"`
}

// SymbolInformation is a symbol that workspace/symbol found.
type SymbolInformation struct {
	Name     string   `json:"name"`
	Kind     int      `json:"kind"`
	Location Location `json:"location"`
}

// Location is a range of a document.
type Location struct {
	URI   string `json:"uri"`
	Range Range  `json:"range"`
}
