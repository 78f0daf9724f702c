package main

import (
	"encoding/json"
	"errors"
)

// The types of the Model Context Protocol this server needs, as its
// specification of 2025-11-25 defines them
// (https://modelcontextprotocol.io/specification/2025-11-25). Members this
// server does not read are left out: encoding/json skips them. A request's
// params._meta, where the progress token travels, is the peer's business
// (codec.MCPDialect), so no params type here declares it.

// The protocol versions this server speaks, newest first. 2025-06-18
// differs from 2025-11-25 in nothing this server sends or reads, so a
// client that has not moved on yet is served too.
var protocolVersions = []string{"2025-11-25", "2025-06-18"}

// The methods of the protocol, by their wire names. The server's own are
// mapped to Go methods in server.go; these are the client's, which the
// tools call back.
const (
	methodCreateMessage = "sampling/createMessage"
	methodListRoots     = "roots/list"
)

// Implementation names a client or a server.
type Implementation struct {
	Name    string `json:"name"`
	Title   string `json:"title,omitempty"`
	Version string `json:"version"`
}

// ClientCapabilities are what a client can do. A capability is present
// when its member is, whatever the object holds, so each is kept raw.
type ClientCapabilities struct {
	Roots    json.RawMessage `json:"roots,omitempty"`
	Sampling json.RawMessage `json:"sampling,omitempty"`
}

// ServerCapabilities are what this server offers: tools, whose list never
// changes.
type ServerCapabilities struct {
	Tools *ToolsCapability `json:"tools,omitempty"`
}

// ToolsCapability says the server has tools, and whether it tells the
// client when their list changes.
type ToolsCapability struct {
	ListChanged bool `json:"listChanged"`
}

// InitializeParams are initialize's params.
type InitializeParams struct {
	ProtocolVersion string             `json:"protocolVersion"`
	Capabilities    ClientCapabilities `json:"capabilities"`
	ClientInfo      Implementation     `json:"clientInfo"`
}

// InitializeResult is the server's answer to initialize.
type InitializeResult struct {
	ProtocolVersion string             `json:"protocolVersion"`
	Capabilities    ServerCapabilities `json:"capabilities"`
	ServerInfo      Implementation     `json:"serverInfo"`
	Instructions    string             `json:"instructions,omitempty"`
}

// Empty is the params of notifications/initialized and ping, and ping's
// result: an object with nothing this server reads.
type Empty struct{}

// ListToolsParams are tools/list's params. This server's list is one
// page: it ignores the cursor and sends no nextCursor.
type ListToolsParams struct {
	Cursor string `json:"cursor,omitempty"`
}

// ListToolsResult is the answer to tools/list.
type ListToolsResult struct {
	Tools []Tool `json:"tools"`
}

// Tool describes a tool to the client.
type Tool struct {
	Name        string  `json:"name"`
	Title       string  `json:"title,omitempty"`
	Description string  `json:"description,omitempty"`
	InputSchema *Schema `json:"inputSchema"`
}

// Schema is the little of JSON Schema (2020-12, MCP's default) that the
// tools' arguments need.
type Schema struct {
	Type                 string             `json:"type"`
	Description          string             `json:"description,omitempty"`
	Properties           map[string]*Schema `json:"properties,omitempty"`
	Required             []string           `json:"required,omitempty"`
	Minimum              *float64           `json:"minimum,omitempty"`
	Maximum              *float64           `json:"maximum,omitempty"`
	AdditionalProperties *bool              `json:"additionalProperties,omitempty"`
}

// CallToolParams are tools/call's params: the tool's name and its
// arguments, an object that the tool decodes itself.
type CallToolParams struct {
	Name      string          `json:"name"`
	Arguments json.RawMessage `json:"arguments,omitempty"`
}

// CallToolResult is what a tool gives back. A tool that fails (a bad
// argument, a client that cannot sample) says so here, with IsError, so
// that the model can read why and try again; only an unknown tool is a
// JSON-RPC error.
type CallToolResult struct {
	Content []Content `json:"content"`
	IsError bool      `json:"isError,omitempty"`
}

// Content is one item of a result or a message. This server sends and
// reads text only.
type Content struct {
	Type string `json:"type"` // "text", "image", "audio", …
	Text string `json:"text,omitempty"`
}

// textContent is a text content item.
func textContent(s string) Content { return Content{Type: "text", Text: s} }

// Progress is the value of a notifications/progress: the peer sends its
// members beside the request's progress token.
type Progress struct {
	Progress float64 `json:"progress"`
	Total    float64 `json:"total,omitempty"`
	Message  string  `json:"message,omitempty"`
}

// SamplingMessage is one message of a conversation the server asks the
// client's model to continue.
type SamplingMessage struct {
	Role    string          `json:"role"` // "user" or "assistant"
	Content SamplingContent `json:"content"`
}

// SamplingContent is a sampling message's content. Since 2025-11-25 it is
// one content item or a list of them; it is sent as one item when it has
// one, and read in either form.
type SamplingContent []Content

// MarshalJSON writes one item as an object, more as a list.
func (c SamplingContent) MarshalJSON() ([]byte, error) {
	if len(c) == 1 {
		return json.Marshal(c[0])
	}
	return json.Marshal([]Content(c))
}

// UnmarshalJSON reads an object or a list of them.
func (c *SamplingContent) UnmarshalJSON(b []byte) error {
	var list []Content
	if err := json.Unmarshal(b, &list); err == nil {
		*c = list
		return nil
	}
	var one Content
	if err := json.Unmarshal(b, &one); err != nil {
		return errors.New("mcp: sampling content is neither a content item nor a list of them")
	}
	*c = SamplingContent{one}
	return nil
}

// text is the content's text items, joined.
func (c SamplingContent) text() string {
	var s string
	for _, item := range c {
		if item.Type == "text" {
			s += item.Text
		}
	}
	return s
}

// CreateMessageParams are sampling/createMessage's params. MaxTokens is
// required: the TypeScript SDK refuses a request without it.
type CreateMessageParams struct {
	Messages     []SamplingMessage `json:"messages"`
	SystemPrompt string            `json:"systemPrompt,omitempty"`
	MaxTokens    int               `json:"maxTokens"`
}

// CreateMessageResult is the client's answer: the model's message.
type CreateMessageResult struct {
	Role       string          `json:"role"`
	Content    SamplingContent `json:"content"`
	Model      string          `json:"model"`
	StopReason string          `json:"stopReason,omitempty"`
}

// Root is a directory or file the client lets the server work on.
type Root struct {
	URI  string `json:"uri"`
	Name string `json:"name,omitempty"`
}

// ListRootsResult is the client's answer to roots/list.
type ListRootsResult struct {
	Roots []Root `json:"roots"`
}
