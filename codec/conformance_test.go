package codec_test

import (
	"net"
	"net/rpc"
	"testing"
	"time"

	"github.com/duplexrpc/duplex/codec"
	"github.com/duplexrpc/duplex/internal/rpctest"
)

// servePair serves the test services over one end of a loopback TCP
// connection with c's server codec and returns a net/rpc client on the
// other end with c's client codec. Cleanup closes both and waits.
func servePair(t testing.TB, c codec.Codec, extra ...any) (*rpc.Client, net.Conn) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	server := rpc.NewServer()
	for _, rcvr := range append([]any{new(rpctest.Arith), new(rpctest.Echo)}, extra...) {
		if err := server.Register(rcvr); err != nil {
			t.Fatal(err)
		}
	}
	accepted := make(chan net.Conn, 1)
	go func() {
		conn, err := ln.Accept()
		if err != nil {
			close(accepted)
			return
		}
		accepted <- conn
	}()
	conn, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	serverConn := <-accepted
	if serverConn == nil {
		t.Fatal("accept failed")
	}
	served := make(chan struct{})
	go func() {
		server.ServeCodec(codec.NewServerCodec(c.NewConn(serverConn, nil)))
		close(served)
	}()
	client := rpc.NewClientWithCodec(codec.NewClientCodec(c.NewConn(conn, nil)))
	t.Cleanup(func() {
		client.Close()
		serverConn.Close()
		<-served
	})
	return client, serverConn
}

// TestConformance runs one table over every codec through stock net/rpc.
func TestConformance(t *testing.T) {
	for _, c := range codec.All() {
		t.Run(c.Name(), func(t *testing.T) {
			t.Parallel()
			client, _ := servePair(t, c)
			rpctest.RunConformance(t, client.Call)
		})
	}
}

// TestClosedMidCall closes the connection while calls are in flight: every
// pending call fails and nothing hangs.
func TestClosedMidCall(t *testing.T) {
	for _, c := range codec.All() {
		t.Run(c.Name(), func(t *testing.T) {
			t.Parallel()
			blocker := rpctest.NewBlocker()
			client, serverConn := servePair(t, c, blocker)
			var calls []*rpc.Call
			for i := range 10 {
				calls = append(calls, client.Go("Blocker.Wait", i, new(int), nil))
			}
			for range 10 {
				<-blocker.Started
			}
			serverConn.Close()
			for i, call := range calls {
				select {
				case <-call.Done:
					if call.Error == nil {
						t.Errorf("call %d succeeded on a closed connection", i)
					}
				case <-time.After(10 * time.Second):
					t.Fatalf("call %d still pending 10s after the connection closed", i)
				}
			}
			close(blocker.Release)
		})
	}
}
