// Package transport turns an address into a connection, so that the layers
// above it (codec, peer) can run RPC over any byte stream without knowing
// where the bytes travel.
//
// Everything it yields is a standard type: Listen returns a [net.Listener],
// Dial a [net.Conn], and the stdio and subprocess transports an
// [io.ReadWriteCloser]. Nothing in the package knows about RPC framing; the
// one place where message boundaries matter, WebSocket, maps each Write call
// to exactly one message, which is what a frame-per-Write codec needs, and
// says where each message it reads ends, so that one message is read as
// one frame. Messages are binary; a connection told that its codec's
// frames are text (AcceptText, which package peer calls for the JSON
// codecs) also reads text messages, and answers in the kind it was sent.
// The methods that say so are package codec's MessageWriter,
// MessageReader and TextAccepter: this package implements them without
// importing codec.
//
// # Addresses
//
// Listen and Dial take an address URL:
//
//	127.0.0.1:9000                 TCP (a bare host:port)
//	tcp://127.0.0.1:9000           TCP
//	unix:///run/app.sock           Unix domain socket
//	tls://example.com:9443         TCP + TLS (mutual TLS when the config asks for client certificates)
//	ws://127.0.0.1:8080/rpc        WebSocket, one message per Write
//	wss://example.com/rpc          WebSocket over TLS
//	http://127.0.0.1:8080/_goRPC_  net/rpc's HTTP CONNECT handshake (DialHTTP / HandleHTTP)
//	mem://name                     in-process, see [Pipe]
//
// For every scheme a listener's Accept returns only connections whose
// handshake (TLS, WebSocket upgrade, HTTP CONNECT) has completed, and
// handshakes run off the Accept path, so one slow or hostile client never
// delays the others. A dialed connection is fully established when Dial
// returns; the context given to Dial bounds only the dial and handshake.
//
// # Other transports
//
// [Stdio] wraps the process's own standard input and output, [StartCommand]
// the standard input and output of a child process, and [Pipe] returns a
// buffered in-memory connection pair. [WebSocketHandler] and [ConnectHandler]
// mount the WebSocket and HTTP CONNECT transports on an existing HTTP server.
//
// This package imports neither codec nor peer; they sit above it.
package transport
