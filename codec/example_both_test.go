package codec_test

import (
	"fmt"
	"net"
	"net/rpc"

	"github.com/duplexrpc/duplex/codec"
)

// serveAndCall serves Arith on conn and calls out on it, with a stock
// net/rpc server and client sharing it; done is closed when the server
// returns.
func serveAndCall(conn net.Conn) (client *rpc.Client, done <-chan struct{}) {
	server := rpc.NewServer()
	server.Register(new(Arith))
	cc, sc := codec.NewClientServerCodecs(codec.Msgpack.NewConn(conn, nil))
	served := make(chan struct{})
	go func() {
		defer close(served)
		server.ServeCodec(sc)
	}()
	return rpc.NewClientWithCodec(cc), served
}

// Two ends of one TCP connection, each a stock net/rpc client and server,
// call each other.
func ExampleNewClientServerCodecs() {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		fmt.Println(err)
		return
	}
	defer ln.Close()
	accepted := make(chan net.Conn, 1)
	go func() {
		conn, _ := ln.Accept()
		accepted <- conn
	}()
	dialed, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		fmt.Println(err)
		return
	}
	alice, aliceDone := serveAndCall(dialed)
	bob, bobDone := serveAndCall(<-accepted)

	var product int
	if err := alice.Call("Arith.Multiply", Args{A: 7, B: 8}, &product); err != nil {
		fmt.Println(err)
	}
	fmt.Println("alice asks bob: 7 * 8 =", product)
	if err := bob.Call("Arith.Multiply", Args{A: 6, B: 7}, &product); err != nil {
		fmt.Println(err)
	}
	fmt.Println("bob asks alice: 6 * 7 =", product)

	// Closing alice's client closes the connection: both servers return,
	// and bob's client fails from then on.
	alice.Close()
	<-aliceDone
	<-bobDone
	fmt.Println("bob after the close:", bob.Call("Arith.Multiply", Args{A: 1, B: 1}, &product) != nil)
	bob.Close()
	// Output:
	// alice asks bob: 7 * 8 = 56
	// bob asks alice: 6 * 7 = 42
	// bob after the close: true
}
