package codec_test

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"strings"
	"testing"

	"github.com/duplexrpc/duplex/codec"
)

// This file holds the bytes of a Cancel on each wire, as docs/wire.md
// writes them down, and JSON-RPC 2.0's error codes.

// cancelBytes is what conn writes for a Cancel of seq, on a stream that has
// already carried one (so that gob's type definitions are out).
func cancelBytes(t *testing.T, c codec.Codec, seq uint64) (first, later []byte) {
	t.Helper()
	var out bytes.Buffer
	conn := c.NewConn(nopCloser{&out}, nil)
	write(t, conn, codec.Header{Kind: codec.Cancel, Seq: seq}, nil)
	first = bytes.Clone(out.Bytes())
	out.Reset()
	write(t, conn, codec.Header{Kind: codec.Cancel, Seq: seq, ServiceMethod: "Ignored", Error: "ignored"}, "ignored")
	return first, out.Bytes()
}

func TestCancelBytes(t *testing.T) {
	mpCancel := func(msgid ...byte) []byte {
		return append([]byte("\x93\x02\xaf$/cancelRequest\x91"), msgid...)
	}
	for _, tc := range []struct {
		c    codec.Codec
		seq  uint64
		want []byte
	}{
		{codec.JSONRPC2, 5, []byte(`{"jsonrpc":"2.0","method":"$/cancelRequest","params":{"id":5}}` + "\n")},
		{codec.JSONRPC2, 1<<64 - 1, []byte(`{"jsonrpc":"2.0","method":"$/cancelRequest","params":{"id":18446744073709551615}}` + "\n")},
		{codec.JSONRPC, 5, []byte(`{"method":"$/cancelRequest","params":[{"id":5}],"id":null}` + "\n")},
		{codec.Msgpack, 5, mpCancel(0x05)},
		{codec.Msgpack, 1<<32 + 300, mpCancel(0xcd, 0x01, 0x2c)}, // msgid 300: the low 32 bits
		{codec.MsgpackUgorji, 5, mpCancel(0x05)},
		{codec.MsgpackUgorji, 0x1_ffff_ffff, mpCancel(0xce, 0xff, 0xff, 0xff, 0xff)},
	} {
		first, later := cancelBytes(t, tc.c, tc.seq)
		if !bytes.Equal(first, tc.want) || !bytes.Equal(later, tc.want) {
			t.Errorf("%s: Cancel of Seq %#x wrote\n%q then\n%q; want\n%q", tc.c.Name(), tc.seq, first, later, tc.want)
		}
	}
}

// gobMessage is one message of a gob stream: a type id, negative for a type
// definition, and what follows it.
type gobMessage struct {
	id      int64
	payload []byte
}

// gobUint reads a gob unsigned integer at the front of b.
func gobUint(b []byte) (v uint64, n int, err error) {
	if len(b) == 0 {
		return 0, 0, fmt.Errorf("gob integer cut short")
	}
	if b[0] < 0x80 {
		return uint64(b[0]), 1, nil
	}
	size := int(-int8(b[0]))
	if size > 8 || len(b) < 1+size {
		return 0, 0, fmt.Errorf("gob integer cut short: % x", b)
	}
	var be [8]byte
	copy(be[8-size:], b[1:1+size])
	return binary.BigEndian.Uint64(be[:]), 1 + size, nil
}

// gobMessages splits a gob stream into its messages.
func gobMessages(b []byte) ([]gobMessage, error) {
	var msgs []gobMessage
	for len(b) > 0 {
		size, n, err := gobUint(b)
		if err != nil {
			return nil, err
		}
		if uint64(len(b)-n) < size {
			return nil, fmt.Errorf("gob message of %d bytes cut short", size)
		}
		msg := b[n : n+int(size)]
		b = b[n+int(size):]
		u, n, err := gobUint(msg)
		if err != nil {
			return nil, err
		}
		id := int64(u >> 1)
		if u&1 != 0 {
			id = ^id
		}
		msgs = append(msgs, gobMessage{id, msg[n:]})
	}
	return msgs, nil
}

// TestCancelBytesGob checks a gob Cancel: the gobHeader {Seq 5, Kind 4}
// (fields 1 and 3: deltas 2 and 2) and the stand-in body struct{}{}, each
// type defined once per stream. Gob's type ids are process-wide, so they
// are read from the definitions rather than written down.
func TestCancelBytesGob(t *testing.T) {
	first, later := cancelBytes(t, codec.Gob, 5)
	defs, err := gobMessages(first)
	if err != nil {
		t.Fatal(err)
	}
	if len(defs) != 4 || defs[0].id >= 0 || defs[2].id >= 0 ||
		!bytes.Contains(defs[0].payload, []byte("\x09gobHeader")) || !bytes.Contains(defs[0].payload, []byte("\x04Kind")) {
		t.Fatalf("first Cancel wrote %d messages: % x; want gobHeader's definition, a gobHeader, struct{}'s definition, a struct{}", len(defs), first)
	}
	header, empty := -defs[0].id, -defs[2].id
	want := []gobMessage{{header, []byte{0x02, 0x05, 0x02, 0x04, 0x00}}, {empty, []byte{0x00}}}
	for name, b := range map[string][]byte{"first": first, "later": later} {
		msgs, err := gobMessages(b)
		if err != nil {
			t.Fatal(err)
		}
		if name == "first" {
			msgs = []gobMessage{msgs[1], msgs[3]}
		}
		if fmt.Sprint(msgs) != fmt.Sprint(want) {
			t.Errorf("%s Cancel of Seq 5 wrote the values %v; want %v", name, msgs, want)
		}
	}
}

// TestCancelOneWayGob checks that the net/rpc adapters' gob, which must stay
// byte-identical with net/rpc's, refuses to write a Cancel.
func TestCancelOneWayGob(t *testing.T) {
	var out bytes.Buffer
	conn := codec.Gob.NewConn(nopCloser{&out}, nil)
	codec.NewClientCodec(conn)
	if err := conn.Write(&codec.Header{Kind: codec.Cancel, Seq: 1}, nil); err == nil || !strings.HasPrefix(err.Error(), "codec: ") {
		t.Errorf("Cancel on a one-way gob connection: error %v; want a codec: error", err)
	}
	if out.Len() != 0 {
		t.Errorf("it wrote % x; want nothing", out.Bytes())
	}
}

// answer reads the request in input with a c conn, answers it with h (its
// Seq set to the request's) and returns what that wrote.
func answer(t *testing.T, c codec.Codec, input string, h codec.Header, body any) string {
	t.Helper()
	var out bytes.Buffer
	conn := c.NewConn(seedRWC{strings.NewReader(input), &out}, nil)
	h.Seq = read(t, conn).Seq
	write(t, conn, h, body)
	return out.String()
}

// TestErrorCode checks that JSON-RPC 2.0 writes an error Response with its
// Header.Code, or the code it chooses when that is zero; that JSON-RPC 1.0
// and gob, which carry no code, write the same bytes whatever the Code
// (msgpack-rpc's are TestMsgpackErrors'); and that reading a 2.0 error
// response sets Code.
func TestErrorCode(t *testing.T) {
	const req2 = `{"jsonrpc":"2.0","method":"Arith.Multiply","params":{"A":1,"B":2},"id":3}`
	for _, tc := range []struct {
		h    codec.Header
		want string
	}{
		{codec.Header{Kind: codec.Response, Error: "request cancelled", Code: codec.CodeRequestCancelled},
			`{"jsonrpc":"2.0","id":3,"error":{"code":-32800,"message":"request cancelled"}}` + "\n"},
		{codec.Header{Kind: codec.Response, Error: "rpc: can't find method Arith.Nope", Code: 7},
			`{"jsonrpc":"2.0","id":3,"error":{"code":7,"message":"rpc: can't find method Arith.Nope"}}` + "\n"},
		{codec.Header{Kind: codec.Response, Error: "rpc: can't find method Arith.Nope"},
			`{"jsonrpc":"2.0","id":3,"error":{"code":-32601,"message":"rpc: can't find method Arith.Nope"}}` + "\n"},
		{codec.Header{Kind: codec.Response, Error: "boom"},
			`{"jsonrpc":"2.0","id":3,"error":{"code":-32000,"message":"boom"}}` + "\n"},
		{codec.Header{Kind: codec.Response, Code: codec.CodeRequestCancelled}, // no error: no code
			`{"jsonrpc":"2.0","id":3,"result":6}` + "\n"},
	} {
		if got := answer(t, codec.JSONRPC2, req2, tc.h, 6); got != tc.want {
			t.Errorf("%+v wrote\n%s want\n%s", tc.h, got, tc.want)
		}
	}
	t.Run("in a batch", func(t *testing.T) {
		got := answer(t, codec.JSONRPC2, "["+req2+"]", codec.Header{Kind: codec.Response, Error: "cancelled", Code: codec.CodeRequestCancelled}, nil)
		if want := `[{"jsonrpc":"2.0","id":3,"error":{"code":-32800,"message":"cancelled"}}]` + "\n"; got != want {
			t.Errorf("got %s want %s", got, want)
		}
	})
	t.Run("ignored elsewhere", func(t *testing.T) {
		for _, c := range []codec.Codec{codec.JSONRPC, codec.Gob} {
			var with, without bytes.Buffer
			h := codec.Header{Kind: codec.Response, Seq: 3, Error: "cancelled"}
			if isJSON(c) {
				const req1 = `{"method":"Arith.Multiply","params":[{"A":1,"B":2}],"id":3}`
				with.WriteString(answer(t, c, req1, codec.Header{Kind: codec.Response, Error: "cancelled", Code: codec.CodeRequestCancelled}, nil))
				without.WriteString(answer(t, c, req1, codec.Header{Kind: codec.Response, Error: "cancelled"}, nil))
			} else {
				write(t, c.NewConn(nopCloser{&without}, nil), h, nil)
				h.Code = codec.CodeRequestCancelled
				write(t, c.NewConn(nopCloser{&with}, nil), h, nil)
			}
			if with.String() != without.String() {
				t.Errorf("%s: with a Code it wrote %q; without, %q", c.Name(), with.String(), without.String())
			}
		}
	})
	t.Run("read", func(t *testing.T) {
		const resp = `{"jsonrpc":"2.0","id":0,"error":{"code":-32800,"message":"cancelled"}}`
		for c, want := range map[codec.Codec]int{codec.JSONRPC2: codec.CodeRequestCancelled, codec.JSONRPC: 0} {
			conn := c.NewConn(readerConn{strings.NewReader(resp)}, nil)
			if h := read(t, conn); h.Kind != codec.Response || h.Error != "cancelled" || h.Code != want || h.Data != nil {
				t.Errorf("%s read %+v; want Error cancelled, Code %d", c.Name(), h, want)
			}
		}
	})
}
