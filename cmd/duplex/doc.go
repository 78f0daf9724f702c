// Duplex calls, serves and watches peers of package peer, or any
// msgpack-rpc or JSON-RPC peer, from the shell: what grpcurl is to gRPC.
//
// Install it with
//
//	go install github.com/duplexrpc/duplex/cmd/duplex@latest
//
// Usage:
//
//	duplex call   [flags] URL Service.Method [JSON]   call a method, print the reply as JSON
//	duplex notify [flags] URL Service.Method [JSON]   send a notification
//	duplex list   [flags] URL [PREFIX]                list the methods of a remote that serves introspection
//	duplex worker [flags] -connect URL [-exec CMD]    dial a master and answer its calls
//	duplex master [flags] -listen URL [-call M JSON]  accept workers and call each of them
//
// URL is any address of package transport: a bare host:port (TCP),
// tcp://, unix://, tls://, ws://, wss:// or http:// (net/rpc's HTTP
// CONNECT). -codec picks the wire: msgpack (the default), msgpack-ugorji,
// jsonrpc, jsonrpc2, lsp (JSON-RPC 2.0 in LSP's Content-Length frames) or
// jsonrpc2-lines (one message per line); gob is refused, since it needs the
// Go types of the values on both ends, and the command has only JSON.
//
// Values are JSON both ways. A JSON argument is the call's one param;
// -params '[…]' gives several positional params; -d @FILE or -d @- reads
// one call's argument per JSON value. Over msgpack, JSON is sent as the
// msgpack it maps to, and msgpack comes back as JSON: bin as base64
// strings, as encoding/json writes a []byte. -batch sends the calls as one
// JSON-RPC 2.0 batch. -H key=value sends metadata with the calls;
// -dialect (default, lsp, mcp) picks how cancels and progress are spelt;
// call -progress prints the progress the remote reports. A method that
// streams prints its items as they come, compact JSON one a line (call
// -stream calls as a stream from the start: under lsp, the way to ask for
// partial results). -v dumps every
// frame on stderr, decoded; -vv adds a hex dump.
//
// A remote error is one line on stderr with the remote's code and data
// where its wire carries them, e.g.
//
//	duplex: Arith.Nope: remote error -32601: rpc: can't find method Arith.Nope
//
// and, when the remote serves the list of its methods, the duplex list
// command that shows them. -json-errors prints each error as a JSON
// object instead: "error", "exit" (the exit status), "kind", "method",
// and for a remote error its "code", "message" and "data".
//
// The worker answers any method: with each call's own argument (an echo),
// or with what a shell command prints given the argument on stdin. The
// master answers its workers' calls by echoing them, and so does call
// -echo the calls a remote makes back while it answers. Package peer's
// SetFallback is what lets them answer methods they do not know.
//
// Exit codes: 0 ok, 1 remote error, 2 usage, 3 connection or timeout.
//
// Run "duplex COMMAND -h" for the flags of each command.
package main
