// Package codec frames RPC messages on a byte stream in one wire format, in
// both directions, and adapts every format to net/rpc's ClientCodec and
// ServerCodec.
//
// A [Codec] is one wire format: [Gob], [JSONRPC] (1.0, byte-compatible with
// net/rpc/jsonrpc), [JSONRPC2], [LSP] and [JSONRPC2Lines] (JSON-RPC 2.0 in
// the Language Server Protocol's Content-Length frames, or one message per
// line), [Msgpack] (msgpack-rpc through github.com/vmihailenco/msgpack/v5)
// and [MsgpackUgorji] (the same wire through github.com/ugorji/go/codec). [Codec.NewConn] turns a byte stream
// into a [Conn], a stream of frames — requests, responses and notifications
// — that may flow both ways on one connection. Package peer builds its
// two-way calls on that. Every codec can also ask the other end to cancel
// a request it sent ([Cancel]): on the wires with notifications, as LSP's
// "$/cancelRequest" notification, which an end that does not know it
// ignores. Reading a Conn never writes to its stream.
//
// For plain one-direction net/rpc use, [NewClientCodec] and [NewServerCodec]
// turn a Conn into the standard library's interfaces, exactly as
// net/rpc/jsonrpc is used:
//
//	client := rpc.NewClientWithCodec(codec.NewClientCodec(codec.Msgpack.NewConn(conn, nil)))
//	server.ServeCodec(codec.NewServerCodec(codec.Msgpack.NewConn(conn, nil)))
//
// [NewClientServerCodecs] runs a stock *rpc.Client and a stock *rpc.Server
// over one connection, calling in both directions, for code that holds
// those types; package peer is the robust way to call both ways.
//
// Every Conn bounds the size of a frame it reads ([Options.MaxFrameSize]);
// a longer frame, or a malformed one, ends the connection with an error and
// is never allocated. The framed codecs, LSP and JSONRPC2Lines, answer a
// frame that holds no JSON-RPC message with an error and read the next
// one; JSONRPC2Lines treats a line over the limit so too. The wire formats are written down in docs/wire.md.
package codec
