package codec

// Error codes. JSON-RPC 2.0 defines the first five and reserves -32000 to
// -32099 for servers; LSP and MCP add theirs in that range. A handler may
// send any of them, or a code of its own ([Header.Code]); package peer
// answers its own errors with the standard ones.
const (
	CodeParseError     = -32700 // the message is not JSON
	CodeInvalidRequest = -32600 // the message is not a JSON-RPC request
	CodeMethodNotFound = -32601 // no such method
	CodeInvalidParams  = -32602 // the params do not fit the method
	CodeInternalError  = -32603 // the server failed (package peer: a handler panicked)
	// CodeServerError is the code of an error a handler returned without
	// choosing one: the first of the range JSON-RPC 2.0 leaves to servers.
	CodeServerError = -32000
	// CodeServerNotInitialized is LSP's answer to a request before
	// "initialize".
	CodeServerNotInitialized = -32002
	// CodeRequestCancelled answers a request whose caller cancelled it
	// and whose handler gave up: LSP's RequestCancelled.
	CodeRequestCancelled = -32800
	// CodeContentModified is LSP's: the document changed under the
	// request.
	CodeContentModified = -32801
	// CodeServerCancelled is LSP's: the server cancelled the request.
	CodeServerCancelled = -32802
	// CodeRequestFailed is LSP's: the request failed for a reason the
	// protocol does not name.
	CodeRequestFailed = -32803
	// CodeNotStreamed is this module's: the method streams its results,
	// and the request did not ask for a stream (package peer's
	// ErrNotStreamed). A caller may call again as a stream: the handler
	// has not run.
	CodeNotStreamed = -32090
)
