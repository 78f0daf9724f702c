package codec_test

import (
	"errors"
	"io"
	"net"
	"net/rpc"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/vmihailenco/msgpack/v5"

	"github.com/duplexrpc/duplex/codec"
)

// This file holds the msgpack-rpc specification
// (https://github.com/msgpack-rpc/msgpack-rpc/blob/master/spec.md) as a
// foreign peer speaks it: messages encoded by hand with vmihailenco's
// encoder on a raw socket, against both engines.

var msgpackCodecs = []codec.Codec{codec.Msgpack, codec.MsgpackUgorji}

// mpSocket is a test's end of a raw msgpack-rpc connection.
type mpSocket struct {
	t    testing.TB
	conn net.Conn
	dec  *msgpack.Decoder
}

func newMpSocket(t testing.TB, conn net.Conn) *mpSocket {
	dec := msgpack.NewDecoder(conn)
	dec.UseLooseInterfaceDecoding(true)
	return &mpSocket{t: t, conn: conn, dec: dec}
}

// dialMsgpack connects a raw socket to a net/rpc server that speaks c.
func dialMsgpack(t testing.TB, c codec.Codec, extra ...any) *mpSocket {
	t.Helper()
	clientConn, serverConn := loopback(t)
	server := newTestServer(t, extra...)
	goServe(t, serverConn, func() { server.ServeCodec(codec.NewServerCodec(c.NewConn(serverConn, nil))) })
	return newMpSocket(t, clientConn)
}

// send writes one message: the array of elems.
func (s *mpSocket) send(elems ...any) {
	s.t.Helper()
	b, err := msgpack.Marshal(elems)
	if err != nil {
		s.t.Fatal(err)
	}
	s.conn.SetWriteDeadline(time.Now().Add(10 * time.Second))
	if _, err := s.conn.Write(b); err != nil {
		s.t.Fatalf("write: %v", err)
	}
}

// recv reads one message.
func (s *mpSocket) recv() []any {
	s.t.Helper()
	s.conn.SetReadDeadline(time.Now().Add(10 * time.Second))
	var msg []any
	if err := s.dec.Decode(&msg); err != nil {
		s.t.Fatalf("reading a message: %v", err)
	}
	return msg
}

// wantResponse reads a response and checks it is [1, msgid, nil, result].
func (s *mpSocket) wantResponse(msgid uint64, result int64) {
	s.t.Helper()
	msg := s.recv()
	if len(msg) != 4 || asUint(msg[0]) != 1 || asUint(msg[1]) != msgid || msg[2] != nil || int64(asUint(msg[3])) != result {
		s.t.Errorf("got %#v; want [1 %d <nil> %d]", msg, msgid, result)
	}
}

// asUint reads a msgid decoded loosely: int64 or uint64.
func asUint(v any) uint64 {
	switch n := v.(type) {
	case int64:
		return uint64(n)
	case uint64:
		return n
	}
	return 1<<64 - 1
}

// Box takes three positional params as its fields, in order.
type Box struct{ W, H, D int }

// Geometry is a service taking a struct that a foreign client fills by
// position.
type Geometry int

// Volume is W*H*D.
func (*Geometry) Volume(b Box, reply *int) error {
	*reply = b.W * b.H * b.D
	return nil
}

func TestMsgpackNotification(t *testing.T) {
	for _, c := range msgpackCodecs {
		t.Run(c.Name(), func(t *testing.T) {
			t.Parallel()
			s := dialMsgpack(t, c)
			// A notification for a method the server does not have is
			// ignored; so are a notification that fails and one with
			// unfit params. The connection stays up.
			s.send(2, "No.Such", []any{1})
			s.send(2, "Arith.Nope", []any{})
			s.send(2, "Arith.Divide", []any{map[string]int{"A": 1, "B": 0}})
			s.send(2, "Arith.Multiply", []any{"not Args"})
			s.send(0, 7, "Arith.Multiply", []any{map[string]int{"A": 2, "B": 3}})
			s.wantResponse(7, 6)
		})
	}
}

func TestMsgpackPositionalParams(t *testing.T) {
	for _, c := range msgpackCodecs {
		t.Run(c.Name(), func(t *testing.T) {
			t.Parallel()
			s := dialMsgpack(t, c, new(Geometry))
			s.send(0, 1, "Echo.Sum", []any{1, 2, 3})
			s.wantResponse(1, 6)
			s.send(0, 2, "Echo.Sum", []any{5})
			s.wantResponse(2, 5)
			s.send(0, 3, "Echo.Sum", []any{[]int{4, 5}})
			s.wantResponse(3, 9)
			s.send(0, 4, "Echo.Sum", []any{})
			s.wantResponse(4, 0)
			s.send(0, 5, "Geometry.Volume", []any{2, 3, 4})
			s.wantResponse(5, 24)
			s.send(0, 6, "Geometry.Volume", []any{map[string]int{"W": 5, "H": 6, "D": 7}})
			s.wantResponse(6, 210)
			// Params that fit nothing fail that call only. (ugorji fills a
			// struct from a longer array and drops the rest, so only
			// vmihailenco's engine can tell.)
			s.send(0, 7, "Arith.Multiply", []any{1, 2, 3})
			if msg := s.recv(); c == codec.Msgpack && (len(msg) != 4 || asUint(msg[1]) != 7 || msg[2] == nil) {
				t.Errorf("Multiply(1, 2, 3) answered %#v; want an error", msg)
			}
			s.send(0, 7, "Arith.Multiply", []any{"a", "b"})
			if msg := s.recv(); len(msg) != 4 || asUint(msg[1]) != 7 || msg[2] == nil {
				t.Errorf("Multiply(\"a\", \"b\") answered %#v; want an error", msg)
			}
			s.send(0, 8, "Arith.Multiply", []any{map[string]int{"A": 2, "B": 3}})
			s.wantResponse(8, 6)
		})
	}
}

// fakeServer answers each request on conn with the next of answers: the
// error and result elements of the response, echoing the request's msgid.
// It returns when conn closes.
func fakeServer(t testing.TB, conn net.Conn, answers [][2]any) {
	t.Helper()
	s := newMpSocket(t, conn)
	goServe(t, conn, func() {
		for _, a := range answers {
			var req []any
			if err := s.dec.Decode(&req); err != nil {
				return
			}
			b, err := msgpack.Marshal([]any{1, req[1], a[0], a[1]})
			if err != nil {
				panic(err)
			}
			if _, err := conn.Write(b); err != nil {
				return
			}
		}
		io.Copy(io.Discard, conn)
	})
}

// TestMsgpackForeignErrors checks that the error element of a response
// from a foreign server, whatever msgpack value it is, reaches a Go caller
// as a readable rpc.ServerError, and that the connection lives on.
func TestMsgpackForeignErrors(t *testing.T) {
	tests := []struct {
		name    string
		err     any
		want    string // a substring of the message
		success bool
	}{
		{name: "string", err: "boom", want: "boom"},
		{name: "code and message", err: []any{42, "bad thing"}, want: "bad thing"},
		{name: "map", err: map[string]any{"message": "no such file", "code": -2}, want: "no such file"},
		{name: "map without message", err: map[string]any{"reason": "gone", "retry": false}, want: "gone"},
		{name: "map with integer keys", err: map[int]string{1: "one"}},
		{name: "integer", err: 7, want: "7"},
		{name: "negative integer", err: -32601, want: "-32601"},
		{name: "float", err: 2.5, want: "2.5"},
		{name: "true", err: true, want: "true"},
		{name: "false", err: false, want: "false"},
		{name: "empty string", err: ""},
		{name: "binary", err: []byte("raw bytes"), want: "raw bytes"},
		{name: "nested", err: []any{1, []any{2, "x"}, map[string]any{"k": nil}}},
		{name: "timestamp", err: time.Unix(1e9, 0).UTC()},
		{name: "unknown ext", err: msgpack.RawMessage{0xd4, 0x05, 0x01}},
		{name: "nil", err: nil, success: true},
	}
	answers := make([][2]any, len(tests))
	for i, tt := range tests {
		answers[i] = [2]any{tt.err, 11}
	}
	for _, c := range msgpackCodecs {
		t.Run(c.Name(), func(t *testing.T) {
			t.Parallel()
			clientConn, serverConn := loopback(t)
			fakeServer(t, serverConn, answers)
			client := newClient(t, codec.NewClientCodec(c.NewConn(clientConn, nil)))
			for _, tt := range tests {
				var got int
				err := client.Call("Foreign.Method", 1, &got)
				if tt.success {
					if err != nil || got != 11 {
						t.Errorf("%s: got %d, %v; want 11, nil", tt.name, got, err)
					}
					continue
				}
				var serverErr rpc.ServerError
				if !errors.As(err, &serverErr) {
					t.Errorf("%s: error = %#v; want an rpc.ServerError", tt.name, err)
					continue
				}
				msg := serverErr.Error()
				if msg == "" || !utf8.ValidString(msg) || !strings.Contains(msg, tt.want) {
					t.Errorf("%s: error = %q; want a readable message with %q", tt.name, msg, tt.want)
				}
				t.Logf("%s: %s", tt.name, msg)
			}
		})
	}
}

// TestMsgpackMsgidWrap checks that a Conn writes a request's Seq as a
// 32-bit msgid and maps the msgid of each response back to the full Seq,
// across the point where msgids wrap, against a foreign server that
// answers with the msgid it was sent.
func TestMsgpackMsgidWrap(t *testing.T) {
	for _, c := range msgpackCodecs {
		t.Run(c.Name(), func(t *testing.T) {
			t.Parallel()
			clientConn, serverConn := loopback(t)
			conn := c.NewConn(clientConn, nil)
			server := newMpSocket(t, serverConn)

			seqs := []uint64{1<<32 + 5, 1<<32 - 1, 1 << 32, 1<<32 + 1, 5<<32 - 2, 5<<32 - 1, 5 << 32, 5<<32 + 1}
			for _, seq := range seqs {
				if err := conn.Write(&codec.Header{Kind: codec.Request, ServiceMethod: "Foreign.Echo", Seq: seq}, seq); err != nil {
					t.Fatal(err)
				}
				req := server.recv()
				if msgid := asUint(req[1]); msgid != seq&0xffffffff {
					t.Fatalf("Seq %#x went out as msgid %#x; want %#x", seq, msgid, seq&0xffffffff)
				}
				// Answer the calls in flight, the newest first.
				server.send(1, req[1], nil, req[1])
				var h codec.Header
				if err := conn.ReadHeader(&h); err != nil {
					t.Fatal(err)
				}
				var msgid uint64
				if err := conn.ReadBody(&msgid); err != nil {
					t.Fatal(err)
				}
				if h.Kind != codec.Response || h.Seq != seq || msgid != seq&0xffffffff {
					t.Errorf("answer to Seq %#x read as %v Seq %#x (msgid %#x)", seq, h.Kind, h.Seq, msgid)
				}
			}

			// Calls answered out of order, on both sides of a wrap.
			inFlight := []uint64{7<<32 - 2, 7<<32 - 1, 7 << 32, 7<<32 + 1}
			for _, seq := range inFlight {
				if err := conn.Write(&codec.Header{Kind: codec.Request, ServiceMethod: "Foreign.Echo", Seq: seq}, nil); err != nil {
					t.Fatal(err)
				}
				server.recv()
			}
			for _, i := range []int{2, 0, 3, 1} {
				server.send(1, uint32(inFlight[i]), nil, nil)
				var h codec.Header
				if err := conn.ReadHeader(&h); err != nil {
					t.Fatal(err)
				}
				if err := conn.ReadBody(nil); err != nil {
					t.Fatal(err)
				}
				if h.Seq != inFlight[i] {
					t.Errorf("answer to msgid %#x read as Seq %#x; want %#x", uint32(inFlight[i]), h.Seq, inFlight[i])
				}
			}
			conn.Close()
		})
	}
}

// TestMsgpackForeignMsgids checks that a foreign client's msgid, up to the
// largest 32-bit one, comes back as it went.
func TestMsgpackForeignMsgids(t *testing.T) {
	for _, c := range msgpackCodecs {
		t.Run(c.Name(), func(t *testing.T) {
			t.Parallel()
			s := dialMsgpack(t, c)
			for _, msgid := range []uint64{0, 1, 127, 128, 255, 256, 65535, 65536, 1<<31 - 1, 1 << 31, 0xfffffffe, 0xffffffff} {
				s.send(0, uint32(msgid), "Arith.Multiply", []any{map[string]int{"A": 2, "B": 3}})
				s.wantResponse(msgid, 6)
			}
			// The same ids in flight at once, answered each to its own.
			for i := range 20 {
				s.send(0, uint32(0xffffffff-i), "Arith.Multiply", []any{map[string]int{"A": i, "B": 3}})
			}
			seen := make(map[uint64]bool)
			for range 20 {
				msg := s.recv()
				msgid := asUint(msg[1])
				i := int64(0xffffffff - msgid)
				if int64(asUint(msg[3])) != 3*i || seen[msgid] {
					t.Errorf("got %#v; want the answer to msgid %#x, %d, once", msg, msgid, 3*i)
				}
				seen[msgid] = true
			}
		})
	}
}
