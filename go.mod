module github.com/duplexrpc/duplex

go 1.26.0

require (
	github.com/coder/websocket v1.8.15
	github.com/ugorji/go/codec v1.3.2
	github.com/vmihailenco/msgpack/v5 v5.4.1
)

require github.com/vmihailenco/tagparser/v2 v2.0.0 // indirect
