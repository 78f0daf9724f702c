package benchmarks

import (
	"errors"
	"net"

	"github.com/cenkalti/rpc2"
)

// rpc2Impl is github.com/cenkalti/rpc2: net/rpc-style calls both ways on
// one connection, gob on the wire, its own client and server.
func rpc2Impl() Impl {
	return Impl{
		Name:    "rpc2-gob",
		Reverse: true,
		Connect: connectRPC2,
	}
}

func handleRPC2(handle func(method string, fn any)) {
	handle(MethodMultiply, func(_ *rpc2.Client, args *Args, reply *int) error {
		return new(Arith).Multiply(args, reply)
	})
	handle(MethodRecord, func(_ *rpc2.Client, r *Record, reply *Record) error {
		return new(Echo).Record(r, reply)
	})
}

func connectRPC2(dialed, accepted net.Conn) (*Stack, error) {
	srv := rpc2.NewServer()
	handleRPC2(srv.Handle)
	connected := make(chan *rpc2.Client, 1)
	srv.OnConnect(func(c *rpc2.Client) { connected <- c })
	served := make(chan struct{})
	go func() {
		defer close(served)
		srv.ServeConn(accepted)
	}()

	client := rpc2.NewClient(dialed)
	handleRPC2(client.Handle)
	ran := make(chan struct{})
	go func() {
		defer close(ran)
		client.Run()
	}()
	back := <-connected
	return &Stack{
		Forward: client,
		Reverse: back,
		Close: func() error {
			err := client.Close()
			accepted.Close()
			<-ran
			<-served
			if errors.Is(err, rpc2.ErrShutdown) {
				err = nil
			}
			return err
		},
	}, nil
}
