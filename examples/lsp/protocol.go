package main

import "encoding/json"

// The few types of the Language Server Protocol this example needs, as the
// specification defines them
// (https://microsoft.github.io/language-server-protocol/specifications/lsp/3.17/specification/).
// Fields this example does not read are left out: encoding/json skips
// them.

// Position is a place in a document: a zero-based line, and a character
// offset counted in UTF-16 code units, LSP's default.
type Position struct {
	Line      int `json:"line"`
	Character int `json:"character"`
}

// Range is a span of a document.
type Range struct {
	Start Position `json:"start"`
	End   Position `json:"end"`
}

// Location is a range in the document at URI.
type Location struct {
	URI   string `json:"uri"`
	Range Range  `json:"range"`
}

// TextDocumentIdentifier names a document by its URI.
type TextDocumentIdentifier struct {
	URI string `json:"uri"`
}

// TextDocumentItem is a document as the client opens it.
type TextDocumentItem struct {
	URI        string `json:"uri"`
	LanguageID string `json:"languageId"`
	Version    int    `json:"version"`
	Text       string `json:"text"`
}

// TextDocumentPositionParams are the params of hover and definition.
type TextDocumentPositionParams struct {
	TextDocument TextDocumentIdentifier `json:"textDocument"`
	Position     Position               `json:"position"`
}

// DidOpenTextDocumentParams are textDocument/didOpen's params.
type DidOpenTextDocumentParams struct {
	TextDocument TextDocumentItem `json:"textDocument"`
}

// WorkspaceFolder is one root of the workspace.
type WorkspaceFolder struct {
	URI  string `json:"uri"`
	Name string `json:"name"`
}

// InitializeParams are initialize's params. Capabilities is kept as a
// map: the client says only what it does.
type InitializeParams struct {
	ProcessID        *int              `json:"processId"`
	ClientInfo       ClientInfo        `json:"clientInfo"`
	RootURI          string            `json:"rootUri"`
	Capabilities     map[string]any    `json:"capabilities"`
	WorkspaceFolders []WorkspaceFolder `json:"workspaceFolders"`
}

// ClientInfo and ServerInfo name the two ends.
type ClientInfo struct {
	Name    string `json:"name"`
	Version string `json:"version,omitempty"`
}

// InitializeResult is what the server answers to initialize.
type InitializeResult struct {
	Capabilities map[string]json.RawMessage `json:"capabilities"`
	ServerInfo   ClientInfo                 `json:"serverInfo"`
}

// Hover is textDocument/hover's answer.
type Hover struct {
	Contents MarkupContent `json:"contents"`
	Range    *Range        `json:"range,omitempty"`
}

// MarkupContent is text in a format, markdown or plaintext.
type MarkupContent struct {
	Kind  string `json:"kind"`
	Value string `json:"value"`
}

// ConfigurationParams are workspace/configuration's params: the settings
// the server asks for, by section.
type ConfigurationParams struct {
	Items []ConfigurationItem `json:"items"`
}

// ConfigurationItem is one setting asked for.
type ConfigurationItem struct {
	ScopeURI string `json:"scopeUri,omitempty"`
	Section  string `json:"section,omitempty"`
}

// RegistrationParams are client/registerCapability's params.
type RegistrationParams struct {
	Registrations []Registration `json:"registrations"`
}

// Registration is one capability the server registers.
type Registration struct {
	ID     string `json:"id"`
	Method string `json:"method"`
}

// WorkDoneProgressCreateParams are window/workDoneProgress/create's: the
// token that $/progress notifications will carry. A token is a string or
// a number.
type WorkDoneProgressCreateParams struct {
	Token json.RawMessage `json:"token"`
}

// ProgressParams are $/progress's params.
type ProgressParams struct {
	Token json.RawMessage `json:"token"`
	Value struct {
		Kind    string `json:"kind"` // begin, report or end
		Title   string `json:"title,omitempty"`
		Message string `json:"message,omitempty"`
	} `json:"value"`
}

// LogMessageParams are window/logMessage's and window/showMessage's.
type LogMessageParams struct {
	Type    int    `json:"type"` // 1 error, 2 warning, 3 info, 4 log, 5 debug
	Message string `json:"message"`
}

// ExecuteCommandParams are workspace/executeCommand's.
type ExecuteCommandParams struct {
	Command   string `json:"command"`
	Arguments []any  `json:"arguments,omitempty"`
}

// ApplyWorkspaceEditParams are workspace/applyEdit's. The edit is kept
// raw: this client only looks at it.
type ApplyWorkspaceEditParams struct {
	Label string          `json:"label,omitempty"`
	Edit  json.RawMessage `json:"edit"`
}

// ApplyWorkspaceEditResult is the client's answer to workspace/applyEdit.
type ApplyWorkspaceEditResult struct {
	Applied       bool   `json:"applied"`
	FailureReason string `json:"failureReason,omitempty"`
}
