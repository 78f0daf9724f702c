package codec

// Streams of messages (WebSocket) next to streams of bytes.
//
// A WebSocket connection of package transport is a net.Conn, so every codec
// runs over it unchanged; three things differ, and each is a method the
// stream has, since codec and transport import neither the other:
//
//   - every Write is one message (MessageWriter): a frame is written with
//     one Write;
//   - every message read is one frame (MessageReader), whatever the codec's
//     framing on a byte stream: JSONRPC2Lines reads a message without its
//     newline, and LSP one without its Content-Length header, as JavaScript
//     clients that send one JSON.stringify per message write them;
//   - a message is text or binary (TextAccepter): binary is the default, and
//     text is refused unless the codec's frames are text (the JSON codecs),
//     in which case the stream answers in the kind of the last message it
//     read. The stream cannot know the codec, and the codec is handed the
//     stream only once it is made, so whoever puts the two together says it:
//     package peer does for every connection, and plain net/rpc use over a
//     WebSocket calls AcceptText before NewConn.

// MessageReader is implemented by a stream that keeps the boundaries of
// the messages it reads, such as package transport's WebSocket
// connections. A Conn of the JSON codecs reads one frame per message from
// it (see above). A wrapper of such a stream should implement it too, and
// pass both calls on.
type MessageReader interface {
	// ReadsMessages reports whether every Read returns bytes of one
	// message only, so that MessageEnded can say where messages end.
	ReadsMessages() bool
	// MessageEnded reports whether the last Read returned the last bytes
	// of its message. It is called by the goroutine that called Read,
	// after it.
	MessageEnded() bool
}

// TextAccepter is implemented by a stream whose messages are either text
// or binary, such as package transport's WebSocket connections, which
// refuse text messages until told otherwise. AcceptText(true) makes it read
// text messages as well, and write each message in the kind of the last
// message it read (text in, text out); AcceptText(false) refuses them
// again. It is safe to call at any time; call it before the first read.
type TextAccepter interface {
	AcceptText(accept bool)
}

// TextFramer is implemented by a Codec whose every frame is UTF-8 text, so
// that it may travel in WebSocket text messages. The JSON codecs of this
// package are; gob and msgpack are not. A codec of your own may say so.
type TextFramer interface {
	TextFrames() bool
}

// TextFrames reports that every frame of the JSON codecs is UTF-8 JSON.
func (jsonCodec) TextFrames() bool { return true }

// AcceptText tells rwc, if it is a TextAccepter, whether c's frames may
// come in text messages: yes when c is a TextFramer that says so. It
// reports whether rwc now accepts text. Package peer calls it for every
// connection; call it yourself, before NewConn, to use a WebSocket
// connection with a JSON codec and plain net/rpc.
func AcceptText(rwc any, c Codec) bool {
	t, ok := rwc.(TextAccepter)
	if !ok {
		return false
	}
	f, ok := c.(TextFramer)
	text := ok && f.TextFrames()
	t.AcceptText(text)
	return text
}
