package codec_test

import (
	"bytes"
	"errors"
	"fmt"
	"net"
	"net/rpc"
	"reflect"
	"strings"
	"sync"
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

func bigBytes(n int) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(i*7 + i/251)
	}
	return b
}

// TestConformance runs one table over every codec through stock net/rpc.
func TestConformance(t *testing.T) {
	for _, c := range codec.All() {
		t.Run(c.Name(), func(t *testing.T) {
			t.Parallel()
			client, _ := servePair(t, c)
			RunConformance(t, client.Call)
		})
	}
}

// callFunc is the shape of (*rpc.Client).Call.
type callFunc func(method string, args, reply any) error

// RunConformance is the table: it runs over anything that calls like
// net/rpc's Client.
func RunConformance(t *testing.T, call callFunc) {
	t.Helper()
	t.Run("multiply", func(t *testing.T) {
		var got int
		if err := call("Arith.Multiply", &rpctest.Args{A: 7, B: 8}, &got); err != nil || got != 56 {
			t.Fatalf("Multiply(7, 8) = %d, %v; want 56, nil", got, err)
		}
	})
	t.Run("divide", func(t *testing.T) {
		var got rpctest.Quotient
		if err := call("Arith.Divide", &rpctest.Args{A: 17, B: 5}, &got); err != nil || got != (rpctest.Quotient{Quo: 3, Rem: 2}) {
			t.Fatalf("Divide(17, 5) = %+v, %v; want {3 2}, nil", got, err)
		}
	})
	t.Run("remote error", func(t *testing.T) {
		var got rpctest.Quotient
		err := call("Arith.Divide", &rpctest.Args{A: 1, B: 0}, &got)
		var serverErr rpc.ServerError
		if !errors.As(err, &serverErr) || serverErr.Error() != "divide by zero" {
			t.Fatalf("Divide(1, 0) error = %#v; want rpc.ServerError(\"divide by zero\")", err)
		}
		// The connection stays usable after a remote error.
		var n int
		if err := call("Arith.Multiply", &rpctest.Args{A: 2, B: 3}, &n); err != nil || n != 6 {
			t.Fatalf("Multiply after error = %d, %v; want 6, nil", n, err)
		}
	})
	t.Run("unknown service", func(t *testing.T) {
		var got int
		err := call("Nope.Multiply", &rpctest.Args{}, &got)
		if err == nil || !strings.Contains(err.Error(), "can't find service") {
			t.Fatalf("error = %v; want can't find service", err)
		}
	})
	t.Run("unknown method", func(t *testing.T) {
		var got int
		err := call("Arith.Nope", &rpctest.Args{}, &got)
		if err == nil || !strings.Contains(err.Error(), "can't find method") {
			t.Fatalf("error = %v; want can't find method", err)
		}
	})
	t.Run("empty values", func(t *testing.T) {
		got := "not empty"
		if err := call("Echo.String", "", &got); err != nil || got != "" {
			t.Fatalf("Echo(\"\") = %q, %v", got, err)
		}
		var gotBytes []byte
		if err := call("Echo.Bytes", []byte(nil), &gotBytes); err != nil || len(gotBytes) != 0 {
			t.Fatalf("Echo(nil bytes) = %v, %v", gotBytes, err)
		}
		var gotNested rpctest.Nested
		if err := call("Echo.Nested", rpctest.Nested{}, &gotNested); err != nil || gotNested.Name != "" || gotNested.Inner != nil {
			t.Fatalf("Echo(Nested{}) = %+v, %v", gotNested, err)
		}
	})
	t.Run("unicode", func(t *testing.T) {
		want := "héllo, 世界 🌍 \u0000 \"quoted\" <tag> \\"
		var got string
		if err := call("Echo.String", want, &got); err != nil || got != want {
			t.Fatalf("Echo(%q) = %q, %v", want, got, err)
		}
	})
	t.Run("nested", func(t *testing.T) {
		want := rpctest.Nested{
			Name:   "outer",
			Tags:   []string{"a", "b", "ç"},
			Counts: map[string]int{"one": 1, "two": 2},
			Inner:  &rpctest.Inner{X: 1.5, Bytes: []byte{0, 1, 2, 255}},
			List:   []rpctest.Inner{{X: -2, Bytes: []byte("x")}, {X: 3.25, Bytes: []byte("yz")}},
		}
		var got rpctest.Nested
		if err := call("Echo.Nested", want, &got); err != nil || !reflect.DeepEqual(got, want) {
			t.Fatalf("Echo(nested) = %+v, %v; want %+v", got, err, want)
		}
	})
	t.Run("1 MiB payload", func(t *testing.T) {
		want := bigBytes(1 << 20)
		var got []byte
		if err := call("Echo.Bytes", want, &got); err != nil || !bytes.Equal(got, want) {
			t.Fatalf("Echo(1 MiB) = %d bytes, %v", len(got), err)
		}
	})
	t.Run("1000 concurrent calls", func(t *testing.T) {
		var wg sync.WaitGroup
		errs := make(chan error, 1000)
		for i := range 1000 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				var got int
				if err := call("Arith.Multiply", &rpctest.Args{A: i, B: 3}, &got); err != nil {
					errs <- err
				} else if got != 3*i {
					errs <- fmt.Errorf("Multiply(%d, 3) = %d", i, got)
				}
			}()
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			t.Error(err)
		}
	})
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
