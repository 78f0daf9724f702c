package otelpeer

import (
	"strings"

	"go.opentelemetry.io/otel/attribute"
	semconv "go.opentelemetry.io/otel/semconv/v1.43.0"

	"github.com/duplexrpc/duplex/codec"
)

// The values of rpc.system.name this package records. The conventions
// list "jsonrpc"; the msgpack-rpc and gob wires have no well-known value,
// so they get values of their own, in the conventions' lower-case
// snake_case spelling, each naming the protocol a peer in another
// language would speak, not this package's codec.
const (
	// SystemJSONRPC is every JSON-RPC codec: jsonrpc (1.0), jsonrpc2,
	// lsp, jsonrpc2-lines.
	SystemJSONRPC = "jsonrpc"
	// SystemMsgpackRPC is the msgpack-rpc wire, whichever Go engine
	// encodes its bodies (msgpack, msgpack-ugorji): a call between them is
	// one system.
	SystemMsgpackRPC = "msgpack_rpc"
	// SystemGoNetRPC is the gob codec: net/rpc's own gob stream, which a
	// stock net/rpc client speaks.
	SystemGoNetRPC = "go_net_rpc"
)

// wire is what a codec means to the conventions.
type wire struct {
	system  string
	version string // jsonrpc.protocol.version; "" for 1.0, the default, and for other systems
	jsonrpc bool   // a JSON-RPC codec: jsonrpc.request.id applies
	json2   bool   // JSON-RPC 2.0: an error without a code is sent as codec.CodeServerError
}

// wireOf names a codec's system. A codec of the program's own is known by
// its name, made a snake_case value.
func wireOf(c codec.Codec) wire {
	if c == nil {
		return wire{system: "duplex"}
	}
	switch name := c.Name(); name {
	case "jsonrpc":
		return wire{system: SystemJSONRPC, jsonrpc: true}
	case "jsonrpc2", "lsp", "jsonrpc2-lines":
		return wire{system: SystemJSONRPC, version: "2.0", jsonrpc: true, json2: true}
	case "msgpack", "msgpack-ugorji":
		return wire{system: SystemMsgpackRPC}
	case "gob":
		return wire{system: SystemGoNetRPC}
	default:
		return wire{system: strings.ReplaceAll(strings.ToLower(name), "-", "_")}
	}
}

// attrs are the wire's attributes for a span.
func (w wire) attrs(kv []attribute.KeyValue) []attribute.KeyValue {
	kv = append(kv, semconv.RPCSystemNameKey.String(w.system))
	if w.version != "" {
		kv = append(kv, semconv.JSONRPCProtocolVersion(w.version))
	}
	return kv
}
