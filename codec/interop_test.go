package codec_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/rpc"
	"net/rpc/jsonrpc"
	"strings"
	"sync"
	"testing"
	"time"

	ugorji "github.com/ugorji/go/codec"

	"github.com/duplexrpc/duplex/codec"
	"github.com/duplexrpc/duplex/internal/rpctest"
)

// This file checks that the codecs speak the wire of the implementations
// they claim to: net/rpc's gob, net/rpc/jsonrpc and ugorji's msgpack-rpc,
// in both directions and, where the design promises it, byte for byte.

// loopback returns both ends of a loopback TCP connection. Cleanup closes
// them.
func loopback(t testing.TB) (client, server net.Conn) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	accepted := make(chan net.Conn, 1)
	go func() {
		conn, _ := ln.Accept()
		accepted <- conn
	}()
	client, err = net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	server = <-accepted
	if server == nil {
		client.Close()
		t.Fatal("accept failed")
	}
	t.Cleanup(func() {
		client.Close()
		server.Close()
	})
	return client, server
}

// newTestServer returns an rpc.Server with rpctest's Arith and Echo and the
// extra receivers registered.
func newTestServer(t testing.TB, extra ...any) *rpc.Server {
	t.Helper()
	server := rpc.NewServer()
	for _, rcvr := range append([]any{new(rpctest.Arith), new(rpctest.Echo)}, extra...) {
		if err := server.Register(rcvr); err != nil {
			t.Fatal(err)
		}
	}
	return server
}

// goServe runs serve in a goroutine. Cleanup closes conn, which must make
// serve return, and waits for it.
func goServe(t testing.TB, conn io.Closer, serve func()) {
	t.Helper()
	done := make(chan struct{})
	go func() {
		defer close(done)
		serve()
	}()
	t.Cleanup(func() {
		conn.Close()
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			t.Error("server still running 10s after its connection closed")
		}
	})
}

// newClient returns a net/rpc client on cc. Cleanup closes it.
func newClient(t testing.TB, cc rpc.ClientCodec) *rpc.Client {
	t.Helper()
	client := rpc.NewClientWithCodec(cc)
	t.Cleanup(func() { client.Close() })
	return client
}

// interopCase is one pairing of a client and a server implementation.
type interopCase struct {
	// partial: the client fails calls whose result is JSON null, as
	// net/rpc/jsonrpc's client does against its own server, so it runs
	// interopTable instead of the whole conformance table.
	partial bool
	name    string
	client  func(io.ReadWriteCloser) *rpc.Client
	server  func(*rpc.Server, io.ReadWriteCloser)
}

// interopCases pairs every codec that claims a foreign wire with that
// wire's reference implementation, each on either side.
func interopCases() []interopCase {
	ours := func(c codec.Codec) func(io.ReadWriteCloser) *rpc.Client {
		return func(conn io.ReadWriteCloser) *rpc.Client {
			return rpc.NewClientWithCodec(codec.NewClientCodec(c.NewConn(conn, nil)))
		}
	}
	serveOurs := func(c codec.Codec) func(*rpc.Server, io.ReadWriteCloser) {
		return func(s *rpc.Server, conn io.ReadWriteCloser) { s.ServeCodec(codec.NewServerCodec(c.NewConn(conn, nil))) }
	}
	cases := []interopCase{
		{name: "stock gob client, our gob server", client: rpc.NewClient, server: serveOurs(codec.Gob)},
		{name: "our gob client, stock gob server", client: ours(codec.Gob), server: (*rpc.Server).ServeConn},
		{name: "stock jsonrpc client, our jsonrpc server", client: jsonrpc.NewClient, server: serveOurs(codec.JSONRPC), partial: true},
		{name: "our jsonrpc client, stock jsonrpc server", client: ours(codec.JSONRPC), server: func(s *rpc.Server, conn io.ReadWriteCloser) {
			s.ServeCodec(jsonrpc.NewServerCodec(conn))
		}},
	}
	var mh ugorji.MsgpackHandle
	for _, c := range []codec.Codec{codec.Msgpack, codec.MsgpackUgorji} {
		cases = append(cases,
			interopCase{name: "ugorji MsgpackSpecRpc client, our " + c.Name() + " server", client: func(conn io.ReadWriteCloser) *rpc.Client {
				return rpc.NewClientWithCodec(ugorji.MsgpackSpecRpc.ClientCodec(conn, &mh))
			}, server: serveOurs(c)},
			interopCase{name: "our " + c.Name() + " client, ugorji MsgpackSpecRpc server", client: ours(c), server: func(s *rpc.Server, conn io.ReadWriteCloser) {
				s.ServeCodec(ugorji.MsgpackSpecRpc.ServerCodec(conn, &mh))
			}},
		)
	}
	return cases
}

// TestInterop runs the conformance table, Arith calls and remote errors
// included, between this package's codecs and the implementations they
// interoperate with, each taking either side.
func TestInterop(t *testing.T) {
	for _, tt := range interopCases() {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			clientConn, serverConn := loopback(t)
			server := newTestServer(t)
			goServe(t, serverConn, func() { tt.server(server, serverConn) })
			client := tt.client(clientConn)
			t.Cleanup(func() { client.Close() })
			interopTable(t, client.Call)
			if !tt.partial {
				rpctest.RunConformance(t, client.Call)
			}
		})
	}
}

// interopTable is the part of the conformance table that every client
// passes, net/rpc/jsonrpc's included: Arith calls, a remote error, unknown
// methods and concurrent calls.
func interopTable(t *testing.T, call rpctest.CallFunc) {
	t.Helper()
	t.Run("arith", func(t *testing.T) {
		var got int
		if err := call("Arith.Multiply", &rpctest.Args{A: 7, B: 8}, &got); err != nil || got != 56 {
			t.Fatalf("Multiply(7, 8) = %d, %v; want 56, nil", got, err)
		}
		var quo rpctest.Quotient
		if err := call("Arith.Divide", &rpctest.Args{A: 17, B: 5}, &quo); err != nil || quo != (rpctest.Quotient{Quo: 3, Rem: 2}) {
			t.Fatalf("Divide(17, 5) = %+v, %v; want {3 2}, nil", quo, err)
		}
	})
	t.Run("divide by zero", func(t *testing.T) {
		var quo rpctest.Quotient
		err := call("Arith.Divide", &rpctest.Args{A: 1, B: 0}, &quo)
		var serverErr rpc.ServerError
		if !errors.As(err, &serverErr) || serverErr.Error() != "divide by zero" {
			t.Fatalf("Divide(1, 0) error = %#v; want rpc.ServerError(\"divide by zero\")", err)
		}
		var got int
		if err := call("Arith.Multiply", &rpctest.Args{A: 2, B: 3}, &got); err != nil || got != 6 {
			t.Fatalf("Multiply after a remote error = %d, %v; want 6, nil", got, err)
		}
	})
	t.Run("unknown method", func(t *testing.T) {
		var got int
		err := call("Arith.Nope", &rpctest.Args{}, &got)
		var serverErr rpc.ServerError
		if !errors.As(err, &serverErr) || !strings.Contains(err.Error(), "can't find method") {
			t.Fatalf("error = %#v; want a ServerError saying can't find method", err)
		}
	})
	t.Run("strings", func(t *testing.T) {
		for _, want := range []string{"", "héllo, 世界", "<\"quoted\" & \\>"} {
			var got string
			if err := call("Echo.String", want, &got); err != nil || got != want {
				t.Fatalf("Echo(%q) = %q, %v", want, got, err)
			}
		}
	})
	t.Run("100 concurrent calls", func(t *testing.T) {
		var wg sync.WaitGroup
		for i := range 100 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				var got int
				if err := call("Arith.Multiply", &rpctest.Args{A: i, B: 3}, &got); err != nil || got != 3*i {
					t.Errorf("Multiply(%d, 3) = %d, %v", i, got, err)
				}
			}()
		}
		wg.Wait()
	})
}

// scriptConn is a connection the test drives: Read returns the chunks fed
// to it, in turn, and io.EOF once feeding ends or the conn is closed; every
// Write is recorded.
type scriptConn struct {
	in   chan []byte
	rest []byte
	out  chan []byte

	closeOnce sync.Once
	closed    chan struct{}
}

func newScriptConn() *scriptConn {
	return &scriptConn{in: make(chan []byte), out: make(chan []byte, 1024), closed: make(chan struct{})}
}

func (c *scriptConn) Read(p []byte) (int, error) {
	if len(c.rest) == 0 {
		select {
		case b, ok := <-c.in:
			if !ok {
				return 0, io.EOF
			}
			c.rest = b
		case <-c.closed:
			return 0, io.EOF
		}
	}
	n := copy(p, c.rest)
	c.rest = c.rest[n:]
	return n, nil
}

func (c *scriptConn) Write(p []byte) (int, error) {
	select {
	case <-c.closed:
		return 0, net.ErrClosed
	case c.out <- bytes.Clone(p):
		return len(p), nil
	}
}

func (c *scriptConn) Close() error {
	c.closeOnce.Do(func() { close(c.closed) })
	return nil
}

// written returns every chunk written so far, joined.
func (c *scriptConn) written() []byte {
	var all []byte
	for {
		select {
		case b := <-c.out:
			all = append(all, b...)
		default:
			return all
		}
	}
}

// await waits for the next chunk written.
func (c *scriptConn) await(t testing.TB) []byte {
	t.Helper()
	select {
	case b := <-c.out:
		return b
	case <-time.After(10 * time.Second):
		t.Fatal("no write within 10s")
		return nil
	}
}

// byteCall is one call of the byte-identity tests.
type byteCall struct {
	method string
	arg    any
}

var byteCalls = []byteCall{
	{"Arith.Multiply", &rpctest.Args{A: 7, B: 8}},
	{"Arith.Divide", &rpctest.Args{A: 17, B: 5}},
	{"Arith.Divide", &rpctest.Args{A: 1, B: 0}}, // a remote error
	{"Arith.Nope", &rpctest.Args{}},             // no such method
	{"Nope.Multiply", &rpctest.Args{}},          // no such service
	{"Echo.String", "héllo, 世界 <&> \"q\" \\ \u2028"},
	{"Echo.Bytes", []byte{0, 1, 2, 0xff}},
	{"Echo.Nested", rpctest.Nested{
		Name: "outer", Tags: []string{"a"}, Counts: map[string]int{"a": 1}, // one key: gob writes maps in random order
		Inner: &rpctest.Inner{X: 1.5, Bytes: []byte("x")}, List: []rpctest.Inner{{X: -2}},
	}},
	{"Arith.Multiply", "not Args"}, // a body that does not fit the argument
	{"Arith.Multiply", &rpctest.Args{A: -3, B: 3}},
}

// clientBytes makes calls on a client over a scriptConn that never
// answers and returns the bytes the client wrote.
func clientBytes(t *testing.T, newClient func(io.ReadWriteCloser) *rpc.Client) []byte {
	t.Helper()
	conn := newScriptConn()
	client := newClient(conn)
	var out []byte
	for _, c := range byteCalls {
		client.Go(c.method, c.arg, new(any), make(chan *rpc.Call, 1))
		out = append(out, conn.await(t)...)
	}
	client.Close()
	return append(out, conn.written()...)
}

// TestClientBytes checks that this package's gob and JSON-RPC 1.0 clients
// write the very bytes net/rpc's own clients write.
func TestClientBytes(t *testing.T) {
	t.Run("gob", func(t *testing.T) {
		want := clientBytes(t, rpc.NewClient)
		got := clientBytes(t, func(rwc io.ReadWriteCloser) *rpc.Client {
			return rpc.NewClientWithCodec(codec.NewClientCodec(codec.Gob.NewConn(rwc, nil)))
		})
		if !bytes.Equal(got, want) {
			t.Errorf("our gob client wrote\n%q\nnet/rpc wrote\n%q", got, want)
		}
	})
	t.Run("jsonrpc", func(t *testing.T) {
		var want, got bytes.Buffer
		stock := jsonrpc.NewClientCodec(nopCloser{&want})
		ours := codec.NewClientCodec(codec.JSONRPC.NewConn(nopCloser{&got}, nil))
		for i, c := range byteCalls {
			r := &rpc.Request{ServiceMethod: c.method, Seq: uint64(i) * 1000003}
			if err := stock.WriteRequest(r, c.arg); err != nil {
				t.Fatal(err)
			}
			if err := ours.WriteRequest(r, c.arg); err != nil {
				t.Fatal(err)
			}
			if got.String() != want.String() {
				t.Fatalf("request %d: ours wrote\n%s\nnet/rpc/jsonrpc wrote\n%s", i, got.String(), want.String())
			}
		}
	})
}

// nopCloser makes a buffer a ReadWriteCloser that reads nothing.
type nopCloser struct{ *bytes.Buffer }

func (nopCloser) Read([]byte) (int, error) { return 0, io.EOF }
func (nopCloser) Close() error             { return nil }

// serverBytes feeds requests to a server, one at a time, and returns the
// bytes it wrote in answer.
func serverBytes(t *testing.T, requests [][]byte, serve func(*rpc.Server, io.ReadWriteCloser)) []byte {
	t.Helper()
	conn := newScriptConn()
	server := newTestServer(t)
	done := make(chan struct{})
	go func() {
		defer close(done)
		serve(server, conn)
	}()
	var out []byte
	for _, req := range requests {
		conn.in <- req
		out = append(out, conn.await(t)...)
	}
	close(conn.in)
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("server still running 10s after its input ended")
	}
	return append(out, conn.written()...)
}

// TestServerBytes checks that this package's gob and JSON-RPC 1.0 servers
// answer the same requests with the very bytes net/rpc's own servers write.
func TestServerBytes(t *testing.T) {
	t.Run("gob", func(t *testing.T) {
		// The requests as net/rpc's gob client writes them, one chunk each.
		conn := newScriptConn()
		client := rpc.NewClient(conn)
		var requests [][]byte
		for _, c := range byteCalls {
			client.Go(c.method, c.arg, new(any), make(chan *rpc.Call, 1))
			requests = append(requests, conn.await(t))
		}
		client.Close()
		want := serverBytes(t, requests, (*rpc.Server).ServeConn)
		got := serverBytes(t, requests, func(s *rpc.Server, rwc io.ReadWriteCloser) {
			s.ServeCodec(codec.NewServerCodec(codec.Gob.NewConn(rwc, nil)))
		})
		if !bytes.Equal(got, want) {
			t.Errorf("our gob server wrote\n%q\nnet/rpc wrote\n%q", got, want)
		}
	})
	t.Run("jsonrpc", func(t *testing.T) {
		lines := []string{
			`{"method":"Arith.Multiply","params":[{"A":7,"B":8}],"id":0}`,
			`{"method":"Arith.Divide","params":[{"A":17,"B":5}],"id":"abc"}`,
			`{"method":"Arith.Divide","params":[{"A":1,"B":0}],"id":1.5}`,
			`{"method":"Arith.Nope","params":[{}],"id":-7}`,
			`{"method":"Nope.Multiply","params":[{}],"id":{"x": [1, 2]}}`,
			`{"method":"Echo.String","params":["h\u00e9llo <&> \"q\" \\ \u2028"],"id":[1,"2"]}`,
			`{"method":"Echo.Bytes","params":["AAEC/w=="],"id":true}`,
			`{"method":"Echo.Nested","params":[{"Name":"n","Counts":{"b":2,"a":1},"Inner":{"X":1.5}}],"id":1e3}`,
			`{"id": 5, "params": [{"A":-3,"B":3}], "method": "Arith.Multiply"}`,
			`{"method":"Arith.Multiply","params":["not Args"],"id":6}`,
			"\n\t {\"method\":\"Arith.Multiply\",\"params\":[{\"A\":2,\"B\":3}],\"id\":\"\\u00e9\"}",
		}
		var requests [][]byte
		for _, l := range lines {
			requests = append(requests, []byte(l))
		}
		want := serverBytes(t, requests, func(s *rpc.Server, rwc io.ReadWriteCloser) { s.ServeCodec(jsonrpc.NewServerCodec(rwc)) })
		got := serverBytes(t, requests, func(s *rpc.Server, rwc io.ReadWriteCloser) {
			s.ServeCodec(codec.NewServerCodec(codec.JSONRPC.NewConn(rwc, nil)))
		})
		if !bytes.Equal(got, want) {
			t.Errorf("our jsonrpc server wrote\n%s\nnet/rpc/jsonrpc wrote\n%s", got, want)
		}
	})
}

// rawSocket is a test's end of a loopback connection to a net/rpc server
// that speaks c with this package's server codec: the test writes the wire
// by hand and reads what comes back.
type rawSocket struct {
	t    testing.TB
	conn net.Conn
	dec  *json.Decoder
}

func dialRaw(t testing.TB, c codec.Codec, extra ...any) *rawSocket {
	t.Helper()
	clientConn, serverConn := loopback(t)
	server := newTestServer(t, extra...)
	goServe(t, serverConn, func() { server.ServeCodec(codec.NewServerCodec(c.NewConn(serverConn, nil))) })
	return &rawSocket{t: t, conn: clientConn, dec: json.NewDecoder(clientConn)}
}

func (r *rawSocket) send(s string) {
	r.t.Helper()
	r.write([]byte(s + "\n"))
}

func (r *rawSocket) write(b []byte) {
	r.t.Helper()
	r.conn.SetWriteDeadline(time.Now().Add(10 * time.Second))
	if _, err := r.conn.Write(b); err != nil {
		r.t.Fatalf("write: %v", err)
	}
}

// recv reads the next JSON value the server writes.
func (r *rawSocket) recv() json.RawMessage {
	r.t.Helper()
	r.conn.SetReadDeadline(time.Now().Add(10 * time.Second))
	var v json.RawMessage
	if err := r.dec.Decode(&v); err != nil {
		r.t.Fatalf("reading a response: %v", err)
	}
	return v
}

// TestJSONRPCIDs checks that the JSON-RPC 1.0 server echoes an id of any
// JSON type exactly as it came, as net/rpc/jsonrpc does.
func TestJSONRPCIDs(t *testing.T) {
	raw := dialRaw(t, codec.JSONRPC)
	for _, id := range []string{
		`"abc"`, `""`, `"\u00e9\n"`, `0`, `42`, `-7`, `1.5`, `1.50`, `-3e2`,
		`18446744073709551616`, `123456789012345678901234567890`, `true`, `false`,
		`[1,"x"]`, `{"nested":{"id":1}}`,
	} {
		raw.send(`{"method":"Arith.Multiply","params":[{"A":2,"B":3}],"id":` + id + `}`)
		want := `{"id":` + id + `,"result":6,"error":null}`
		if got := raw.recv(); string(got) != want {
			t.Errorf("id %s: got %s; want %s", id, got, want)
		}
	}
}

// TestJSONRPCNotification checks that a JSON-RPC 1.0 request with a null id
// is a notification: the server runs it and answers nothing, so the first
// answer on the connection is the next request's.
func TestJSONRPCNotification(t *testing.T) {
	raw := dialRaw(t, codec.JSONRPC)
	raw.send(`{"method":"Arith.Multiply","params":[{"A":2,"B":3}],"id":null}`)
	raw.send(`{"method":"Arith.Divide","params":[{"A":1,"B":0}],"id":null}`)
	raw.send(`{"method":"No.Such","params":[{}],"id":null}`)
	raw.send(`{"method":"Arith.Multiply","params":[{"A":4,"B":5}],"id":"after"}`)
	if got, want := string(raw.recv()), `{"id":"after","result":20,"error":null}`; got != want {
		t.Fatalf("first answer = %s; want %s", got, want)
	}
}

// TestJSONIDsOutliveTheirFrame checks that the id of a request is kept
// while its call runs and later frames pass through the read buffer, on
// both JSON wires.
func TestJSONIDsOutliveTheirFrame(t *testing.T) {
	for _, c := range []codec.Codec{codec.JSONRPC, codec.JSONRPC2} {
		t.Run(c.Name(), func(t *testing.T) {
			t.Parallel()
			blocker := rpctest.NewBlocker()
			var release sync.Once
			t.Cleanup(func() { release.Do(func() { close(blocker.Release) }) })
			raw := dialRaw(t, c, blocker)
			version := ""
			if c == codec.JSONRPC2 {
				version = `"jsonrpc":"2.0",`
			}
			const n = 20
			for i := range n {
				raw.send(fmt.Sprintf(`{%s"method":"Blocker.Wait","params":[%d],"id":"wait-%d-%s"}`, version, i, i, strings.Repeat("x", i)))
			}
			for range n {
				select {
				case <-blocker.Started:
				case <-time.After(10 * time.Second):
					t.Fatal("the calls did not start")
				}
			}
			// Calls answered while the first ones wait, their frames read
			// into the same buffer.
			check := func(prefix string, suffix func(int) string) {
				t.Helper()
				seen := make(map[int]bool)
				for range n {
					var resp struct {
						ID     string
						Result int
					}
					if err := json.Unmarshal(raw.recv(), &resp); err != nil {
						t.Fatal(err)
					}
					if want := fmt.Sprintf("%s-%d%s", prefix, resp.Result, suffix(resp.Result)); resp.ID != want || seen[resp.Result] {
						t.Errorf("got id %q with result %d; want id %q, once", resp.ID, resp.Result, want)
					}
					seen[resp.Result] = true
				}
			}
			for i := range n {
				raw.send(fmt.Sprintf(`{%s"method":"Arith.Multiply","params":[{"A":%d,"B":1}],"id":"now-%d"}`, version, i, i))
			}
			check("now", func(int) string { return "" })
			release.Do(func() { close(blocker.Release) })
			check("wait", func(i int) string { return "-" + strings.Repeat("x", i) })
		})
	}
}
