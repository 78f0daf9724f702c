package codec

// cancelMethod is the method a [Cancel] is written as a notification of,
// on every wire: LSP's "$/cancelRequest". Borrowing a notification, rather
// than adding a message type, is what lets a peer that does not know
// cancels ignore one, as it ignores any notification for a method it does
// not have; and JSON-RPC peers that do know LSP's (vscode-jsonrpc and the
// language servers) understand ours, and we theirs.
//
//	msgpack-rpc    [2, "$/cancelRequest", [msgid]]
//	JSON-RPC 2.0   {"jsonrpc":"2.0","method":"$/cancelRequest","params":{"id":N}}
//	JSON-RPC 1.0   {"method":"$/cancelRequest","params":[{"id":N}],"id":null}
//	gob            gobHeader{Kind: Cancel, Seq}, then the stand-in body
//
// Gob has no notification a foreign peer would read, so there the cancel
// is a kind of its own. docs/wire.md has the bytes.
const cancelMethod = "$/cancelRequest"
