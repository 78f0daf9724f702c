package codec

import "fmt"

// A Dialect is how a protocol built on JSON-RPC or msgpack-rpc spells the
// messages that travel beside calls: the cancel of a request, the progress
// of one, and where a request carries its progress token. LSP and MCP
// spell them differently on the same JSON-RPC 2.0 wire, so the spelling is
// a table chosen per connection ([Options.Dialect]), read where frames are
// read and written, rather than code spread through the engine.
//
// Its fields are data; a program may define a dialect of its own. Every
// field must be set (copy a dialect of this package and change what
// differs). Gob writes cancels and progress as kinds of its own whatever
// the dialect.
type Dialect struct {
	// Name names the dialect, for errors and logs.
	Name string

	// CancelMethod is the notification that asks the other end to
	// cancel a request it was sent; CancelID the member of its params
	// that holds the request's id, and CancelReason the member that says
	// why ("" when the dialect has none). On msgpack-rpc a dialect whose
	// CancelID is "id" writes the params as [msgid], as this package
	// always has; any other, as [{CancelID: msgid, …}].
	CancelMethod, CancelID, CancelReason string
	// AnswerCancelled says whether a request that the other end cancelled
	// is still answered. LSP wants an answer (RequestCancelled, -32800, if
	// the handler gave up); MCP wants none.
	AnswerCancelled bool

	// ProgressMethod is the notification that reports progress on a
	// request; ProgressToken the member of its params that names the
	// request by its progress token; ProgressValue the member that holds
	// the value, or "" when the value is the params themselves, less the
	// token (MCP's {progressToken, progress, total, message}).
	ProgressMethod, ProgressToken, ProgressValue string
	// RequestToken is the member of a request's by-name params that
	// carries its progress token, as LSP's workDoneToken does; "" puts
	// the token in the request's metadata as "progressToken" (MCP's
	// params._meta.progressToken). Where a request's params are not an
	// object, the token always travels in the metadata.
	RequestToken string
	// StreamToken is the member of a request's by-name params that
	// carries its stream token, as LSP's partialResultToken does; "" puts
	// it in the metadata as "streamToken".
	StreamToken string
	// CreditMethod is the notification with which a stream's consumer
	// grants its producer room for more items ({token, credit}); "" means
	// the dialect has none (LSP's partial results), and a producer is held
	// back only by the connection.
	CreditMethod string

	// ParamsByName sends a Go argument that encodes as a JSON object as
	// the params themselves, {"a":1}, rather than as the one element of a
	// list, [{"a":1}], on every JSON-RPC 2.0 codec; the framed codecs ([LSP],
	// [JSONRPC2Lines]) always do.
	ParamsByName bool

	// LenientParams decodes params as Options.LenientParams does: the
	// protocol's clients add members a server need not know.
	LenientParams bool
}

// The dialects of this package.
var (
	// DefaultDialect is this package's own, and what a Conn speaks when
	// Options.Dialect is nil: LSP's cancel, answered, and LSP's progress
	// message, with the token in the request's metadata.
	//
	//	cancel    {"jsonrpc":"2.0","method":"$/cancelRequest","params":{"id":N}}
	//	          [2, "$/cancelRequest", [msgid]]
	//	progress  {"jsonrpc":"2.0","method":"$/progress","params":{"token":T,"value":V}}
	//	          [2, "$/progress", [{"token": T, "value": V}]]
	//	token     params._meta.progressToken (docs/wire.md §12)
	DefaultDialect = &Dialect{
		Name:            "default",
		CancelMethod:    "$/cancelRequest",
		CancelID:        "id",
		AnswerCancelled: true,
		ProgressMethod:  "$/progress",
		ProgressToken:   "token",
		ProgressValue:   "value",
		CreditMethod:    "$/streamCredit",
	}

	// LSPDialect is the Language Server Protocol's: DefaultDialect, with
	// the token in the request's workDoneToken and params by name.
	LSPDialect = &Dialect{
		Name:            "lsp",
		CancelMethod:    "$/cancelRequest",
		CancelID:        "id",
		AnswerCancelled: true,
		ProgressMethod:  "$/progress",
		ProgressToken:   "token",
		ProgressValue:   "value",
		RequestToken:    "workDoneToken",
		StreamToken:     "partialResultToken",
		ParamsByName:    true,
		LenientParams:   true,
	}

	// MCPDialect is the Model Context Protocol's (2025-11-25): a cancelled
	// request gets no answer, and progress is
	//
	//	cancel    {"jsonrpc":"2.0","method":"notifications/cancelled","params":{"requestId":N,"reason":"…"}}
	//	progress  {"jsonrpc":"2.0","method":"notifications/progress","params":{"progressToken":T,"progress":1,"total":3,"message":"…"}}
	//	token     params._meta.progressToken
	MCPDialect = &Dialect{
		Name:           "mcp",
		CancelMethod:   "notifications/cancelled",
		CancelID:       "requestId",
		CancelReason:   "reason",
		ProgressMethod: "notifications/progress",
		ProgressToken:  "progressToken",
		CreditMethod:   "$/streamCredit",
		ParamsByName:   true,
		LenientParams:  true,
	}
)

// Dialects returns the dialects of this package.
func Dialects() []*Dialect { return []*Dialect{DefaultDialect, LSPDialect, MCPDialect} }

// DialectByName returns the dialect of this package with the given name:
// "default", "lsp" or "mcp".
func DialectByName(name string) (*Dialect, error) {
	for _, d := range Dialects() {
		if d.Name == name {
			return d, nil
		}
	}
	return nil, fmt.Errorf("%w %q (have default, lsp, mcp)", ErrUnknownDialect, name)
}

// metaToken and metaStream are the metadata keys a request's progress and
// stream tokens travel under where the dialect has no member of its
// params for them, or the params are no object.
const (
	metaToken  = "progressToken"
	metaStream = "streamToken"
)

// metaMethod is the notification that carries the metadata of the request
// or notification right after it, on msgpack-rpc, which has no room for
// metadata in a message (docs/wire.md §12).
const metaMethod = "$/meta"

func (o *Options) dialect() *Dialect {
	if o == nil || o.Dialect == nil {
		return DefaultDialect
	}
	return o.Dialect
}
