package codec_test

import (
	"bufio"
	"fmt"
	"io"
	"net"

	"github.com/duplexrpc/duplex/codec"
)

// A net/rpc server answering the LSP base protocol, as a language client
// frames its messages: a Content-Length header, an empty line, the JSON.
// A frame that holds no message is answered with an error; the next frame
// is served as usual.
func ExampleLSP() {
	clientEnd, serverEnd := net.Pipe()
	done := serveArith(codec.LSP, serverEnd)

	replies := bufio.NewReader(clientEnd)
	for _, body := range []string{
		`{"jsonrpc":"2.0","method":"Arith.Multiply","params":{"A":7,"B":8},"id":1}`,
		`{"jsonrpc":"2.0","method":"Arith.Multiply","params":{"A":7,`,
		`{"jsonrpc":"2.0","method":"Arith.Sum","params":[1,2,3,4],"id":2}`,
	} {
		fmt.Fprintf(clientEnd, "Content-Length: %d\r\n\r\n%s", len(body), body)
		var length int
		fmt.Fscanf(replies, "Content-Length: %d\r\n\r\n", &length)
		reply := make([]byte, length)
		io.ReadFull(replies, reply)
		fmt.Printf("%d bytes: %s\n", length, reply)
	}

	clientEnd.Close()
	<-done
	// Output:
	// 36 bytes: {"jsonrpc":"2.0","id":1,"result":56}
	// 105 bytes: {"jsonrpc":"2.0","id":null,"error":{"code":-32700,"message":"Parse error: unexpected end of JSON input"}}
	// 36 bytes: {"jsonrpc":"2.0","id":2,"result":10}
}

// The same server, one message per line: a bad line fails that line only.
func ExampleJSONRPC2Lines() {
	clientEnd, serverEnd := net.Pipe()
	done := serveArith(codec.JSONRPC2Lines, serverEnd)

	replies := bufio.NewReader(clientEnd)
	for _, line := range []string{
		`{"jsonrpc":"2.0","method":"Arith.Multiply","params":{"A":7,"B":8},"id":1}`,
		`{"jsonrpc":"2.0","method":"Arith.Multiply","params":{"A":7,`,
		`{"jsonrpc":"2.0","method":"Arith.Sum","params":[1,2,3,4],"id":2}`,
	} {
		fmt.Fprintln(clientEnd, line)
		reply, _ := replies.ReadString('\n')
		fmt.Print(reply)
	}

	clientEnd.Close()
	<-done
	// Output:
	// {"jsonrpc":"2.0","id":1,"result":56}
	// {"jsonrpc":"2.0","id":null,"error":{"code":-32700,"message":"Parse error: unexpected end of JSON input"}}
	// {"jsonrpc":"2.0","id":2,"result":10}
}
