package codec_test

import (
	"bufio"
	"errors"
	"fmt"
	"net"
	"net/rpc"

	"github.com/duplexrpc/duplex/codec"
)

// Args is the argument of the examples' Arith service.
type Args struct{ A, B int }

// Arith is the examples' service, in net/rpc's shape.
type Arith int

// Multiply sets reply to A*B.
func (*Arith) Multiply(args Args, reply *int) error {
	*reply = args.A * args.B
	return nil
}

// Divide sets reply to A/B.
func (*Arith) Divide(args Args, reply *int) error {
	if args.B == 0 {
		return errors.New("divide by zero")
	}
	*reply = args.A / args.B
	return nil
}

// Sum adds all its params: a method that takes a whole positional list.
func (*Arith) Sum(xs []int, reply *int) error {
	for _, x := range xs {
		*reply += x
	}
	return nil
}

// serveArith serves Arith on conn with c until conn closes; the returned
// channel is closed when the server is done.
func serveArith(c codec.Codec, conn net.Conn) <-chan struct{} {
	server := rpc.NewServer()
	server.Register(new(Arith))
	done := make(chan struct{})
	go func() {
		defer close(done)
		server.ServeCodec(codec.NewServerCodec(c.NewConn(conn, nil)))
	}()
	return done
}

// A net/rpc client and server speaking msgpack-rpc, as net/rpc/jsonrpc is
// used: the codec is the only change.
func ExampleNewClientCodec() {
	clientEnd, serverEnd := net.Pipe()
	done := serveArith(codec.Msgpack, serverEnd)

	client := rpc.NewClientWithCodec(codec.NewClientCodec(codec.Msgpack.NewConn(clientEnd, nil)))
	var product int
	if err := client.Call("Arith.Multiply", Args{A: 7, B: 8}, &product); err != nil {
		fmt.Println(err)
	}
	fmt.Println("7 * 8 =", product)

	var quotient int
	err := client.Call("Arith.Divide", Args{A: 1, B: 0}, &quotient)
	var remote rpc.ServerError
	fmt.Println("1 / 0:", err, errors.As(err, &remote))

	client.Close()
	<-done
	// Output:
	// 7 * 8 = 56
	// 1 / 0: divide by zero true
}

// A net/rpc server answering JSON-RPC 2.0, here written by hand as a client
// in any language would send it.
func ExampleNewServerCodec() {
	clientEnd, serverEnd := net.Pipe()
	done := serveArith(codec.JSONRPC2, serverEnd)

	replies := bufio.NewReader(clientEnd)
	for _, request := range []string{
		`{"jsonrpc": "2.0", "method": "Arith.Multiply", "params": {"A": 7, "B": 8}, "id": 1}`,
		`{"jsonrpc": "2.0", "method": "Arith.Sum", "params": [1, 2, 3, 4], "id": "sum"}`,
		`{"jsonrpc": "2.0", "method": "Arith.Divide", "params": [{"A": 1, "B": 0}], "id": 3}`,
	} {
		fmt.Fprintln(clientEnd, request)
		reply, _ := replies.ReadString('\n')
		fmt.Print(reply)
	}

	clientEnd.Close()
	<-done
	// Output:
	// {"jsonrpc":"2.0","id":1,"result":56}
	// {"jsonrpc":"2.0","id":"sum","result":10}
	// {"jsonrpc":"2.0","id":3,"error":{"code":-32000,"message":"divide by zero"}}
}

// A Go caller passes codec.Params to call a method that takes several
// positional params, as methods of msgpack-rpc and JSON-RPC 2.0 servers in
// other languages do.
func ExampleParams() {
	clientEnd, serverEnd := net.Pipe()
	done := serveArith(codec.JSONRPC2, serverEnd)

	client := rpc.NewClientWithCodec(codec.NewClientCodec(codec.JSONRPC2.NewConn(clientEnd, nil)))
	var sum int
	if err := client.Call("Arith.Sum", codec.Params{1, 2, 3, 4}, &sum); err != nil {
		fmt.Println(err)
	}
	fmt.Println("1 + 2 + 3 + 4 =", sum)

	client.Close()
	<-done
	// Output:
	// 1 + 2 + 3 + 4 = 10
}

// Choosing the wire by name, as from a flag or a config file.
func ExampleByName() {
	fmt.Println(codec.Names())

	c, err := codec.ByName("msgpack")
	fmt.Println(c.Name(), err, c == codec.Msgpack)

	_, err = codec.ByName("xml")
	fmt.Println(errors.Is(err, codec.ErrUnknownCodec))
	// Output:
	// [gob jsonrpc jsonrpc2 msgpack msgpack-ugorji lsp jsonrpc2-lines]
	// msgpack <nil> true
	// true
}
