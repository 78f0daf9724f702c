package codec_test

import (
	"bytes"
	"reflect"
	"strings"
	"testing"

	"github.com/vmihailenco/msgpack/v5"

	"github.com/duplexrpc/duplex/codec"
	"github.com/duplexrpc/duplex/internal/rpctest"
)

// This file checks that a Cancel written by each codec is read back by the
// other end as a Cancel of the request it names, and that cancels in the
// shapes foreign peers write are read too.

// write writes one frame with conn, failing the test on an error.
func write(t testing.TB, conn codec.Conn, h codec.Header, body any) {
	t.Helper()
	if err := conn.Write(&h, body); err != nil {
		t.Fatalf("writing %+v: %v", h, err)
	}
}

// read reads one frame's header and discards its body.
func read(t testing.TB, conn codec.Conn) codec.Header {
	t.Helper()
	var h codec.Header
	if err := conn.ReadHeader(&h); err != nil {
		t.Fatalf("ReadHeader: %v", err)
	}
	if err := conn.ReadBody(nil); err != nil {
		t.Fatalf("ReadBody of %+v: %v", h, err)
	}
	return h
}

// TestCancelRoundTrip has one end send two requests and cancel both, and
// checks that the other end, which has read them and not answered, reads
// each cancel as a Cancel with the Seq it read that request with, and that
// the stream stays in step for the frame after. On the JSON wires it also
// checks that a cancel of a request already answered is dropped.
func TestCancelRoundTrip(t *testing.T) {
	for _, c := range codec.All() {
		t.Run(c.Name(), func(t *testing.T) {
			t.Parallel()
			aEnd, bEnd := loopback(t)
			a, b := c.NewConn(aEnd, nil), c.NewConn(bEnd, nil)
			// Seqs past 32 bits: msgpack-rpc cancels by the 32-bit msgid.
			sent := []uint64{1<<32 - 2, 1<<32 + 3}
			var got []uint64 // the Seqs b read the requests with
			for _, seq := range sent {
				write(t, a, codec.Header{Kind: codec.Request, ServiceMethod: "Arith.Multiply", Seq: seq}, &rpctest.Args{A: 7, B: 8})
				h := read(t, b)
				if h.Kind != codec.Request || h.ServiceMethod != "Arith.Multiply" {
					t.Fatalf("read %+v; want the request Arith.Multiply", h)
				}
				got = append(got, h.Seq)
			}
			for i := len(sent) - 1; i >= 0; i-- {
				write(t, a, codec.Header{Kind: codec.Cancel, Seq: sent[i]}, nil)
				if h := read(t, b); !reflect.DeepEqual(h, codec.Header{Kind: codec.Cancel, Seq: got[i]}) {
					t.Errorf("cancel of Seq %#x read as %+v; want Kind cancel, Seq %#x", sent[i], h, got[i])
				}
			}

			write(t, b, codec.Header{Kind: codec.Response, Seq: got[0]}, 56)
			write(t, a, codec.Header{Kind: codec.Cancel, Seq: sent[0]}, nil)
			write(t, a, codec.Header{Kind: codec.Notification, ServiceMethod: "After.Cancels"}, 1)
			h := read(t, b)
			if !isJSON(c) {
				// Only the JSON wires know which ids are pending: the
				// others hand on every cancel.
				if !reflect.DeepEqual(h, codec.Header{Kind: codec.Cancel, Seq: got[0]}) {
					t.Errorf("cancel of an answered request read as %+v; want Kind cancel, Seq %#x", h, got[0])
				}
				h = read(t, b)
			}
			if h.Kind != codec.Notification || h.ServiceMethod != "After.Cancels" {
				t.Errorf("frame after the cancels read as %+v; want the notification After.Cancels", h)
			}
			a.Close()
			b.Close()
		})
	}
}

// foreignCase is an input written as a foreign peer writes it, and the
// headers a conn reads from it, in order, up to the end of the stream.
type foreignCase struct {
	name  string
	c     codec.Codec
	input []byte
	want  []codec.Header
}

func lines(ls ...string) []byte { return []byte(strings.Join(ls, "\n") + "\n") }

// mp is the msgpack encoding of each message, one after the other.
func mp(t testing.TB, msgs ...[]any) []byte {
	t.Helper()
	var b bytes.Buffer
	for _, m := range msgs {
		enc, err := msgpack.Marshal(m)
		if err != nil {
			t.Fatal(err)
		}
		b.Write(enc)
	}
	return b.Bytes()
}

func foreignCases(t testing.TB) []foreignCase {
	req := codec.Header{Kind: codec.Request, ServiceMethod: "Arith.Multiply"}
	cancel := func(seq uint64) codec.Header { return codec.Header{Kind: codec.Cancel, Seq: seq} }
	notice := func(method string) codec.Header { return codec.Header{Kind: codec.Notification, ServiceMethod: method} }
	withSeq := func(h codec.Header, seq uint64) codec.Header { h.Seq = seq; return h }
	cases := []foreignCase{
		{"LSP", codec.JSONRPC2, lines(
			`{"jsonrpc":"2.0","method":"Arith.Multiply","params":{"A":1,"B":2},"id":"abc"}`,
			`{"jsonrpc":"2.0","method":"$/cancelRequest","params":{"id":"abc"}}`,
		), []codec.Header{req, cancel(0)}},
		{"unknown ids skipped", codec.JSONRPC2, lines(
			`{"jsonrpc":"2.0","method":"Arith.Multiply","params":{"A":1,"B":2},"id":5}`,
			`{"jsonrpc":"2.0","method":"$/cancelRequest","params":{"id":"nope"}}`,
			`{"jsonrpc":"2.0","method":"$/cancelRequest","params":{"id":6}}`,
			`{"jsonrpc":"2.0","method":"$/cancelRequest","params":{"id":"5"}}`,
			`{"jsonrpc":"2.0","method":"Next"}`,
		), []codec.Header{req, notice("Next")}},
		{"params as an array", codec.JSONRPC2, lines(
			`{"jsonrpc":"2.0","method":"Arith.Multiply","params":{"A":1,"B":2},"id":5}`,
			`{"jsonrpc":"2.0","method":"$/cancelRequest","params":[{"id":5}]}`,
		), []codec.Header{req, cancel(0)}},
		{"in a batch", codec.JSONRPC2, lines(
			`[{"jsonrpc":"2.0","method":"Arith.Multiply","params":{"A":1,"B":2},"id":1},` +
				`{"jsonrpc":"2.0","method":"$/cancelRequest","params":{"id":1}},` +
				`{"jsonrpc":"2.0","method":"$/cancelRequest","params":{"id":2}}]`,
		), []codec.Header{withSeq(req, 0), cancel(0)}},
		{"malformed params are a notification", codec.JSONRPC2, lines(
			`{"jsonrpc":"2.0","method":"Arith.Multiply","params":{"A":1,"B":2},"id":5}`,
			`{"jsonrpc":"2.0","method":"$/cancelRequest","params":{"x":5}}`,
			`{"jsonrpc":"2.0","method":"$/cancelRequest","params":[{"id":5},{"id":5}]}`,
			`{"jsonrpc":"2.0","method":"$/cancelRequest","params":{"id":[5]}}`,
			`{"jsonrpc":"2.0","method":"$/cancelRequest"}`,
		), []codec.Header{req, notice("$/cancelRequest"), notice("$/cancelRequest"), notice("$/cancelRequest"), notice("$/cancelRequest")}},
		{"a cancel with an id is a request", codec.JSONRPC2, lines(
			`{"jsonrpc":"2.0","method":"Arith.Multiply","params":{"A":1,"B":2},"id":5}`,
			`{"jsonrpc":"2.0","method":"$/cancelRequest","params":{"id":5},"id":6}`,
		), []codec.Header{req, {Kind: codec.Request, ServiceMethod: "$/cancelRequest", Seq: 1}}},
		{"JSON-RPC 1.0", codec.JSONRPC, lines(
			`{"method":"Arith.Multiply","params":[{"A":1,"B":2}],"id":"abc"}`,
			`{"method":"$/cancelRequest","params":[{"id":"\u0061bc"}],"id":null}`,
			`{"method":"$/cancelRequest","params":{"id":"abc"}}`,
			`{"method":"$/cancelRequest","params":[{"id":"abd"}],"id":null}`,
			`{"method":"Next","params":[],"id":null}`,
		), []codec.Header{req, cancel(0), cancel(0), notice("Next")}},
	}
	for _, c := range msgpackCodecs {
		cases = append(cases,
			foreignCase{"msgid 7", c, mp(t,
				[]any{0, 7, "Arith.Multiply", []any{map[string]int{"A": 1, "B": 2}}},
				[]any{2, "$/cancelRequest", []any{7}},
				[]any{2, "$/cancelRequest", []any{uint32(0xffffffff)}},
			), []codec.Header{withSeq(req, 7), cancel(7), cancel(0xffffffff)}},
			foreignCase{"malformed params are a notification", c, mp(t,
				[]any{2, "$/cancelRequest", []any{"7"}},
				[]any{2, "$/cancelRequest", []any{7, 8}},
				[]any{2, "$/cancelRequest", []any{-7}},
				[]any{2, "$/cancelRequest", 7},
				[]any{2, "$/cancelRequest", nil},
			), []codec.Header{notice("$/cancelRequest"), notice("$/cancelRequest"), notice("$/cancelRequest"), notice("$/cancelRequest"), notice("$/cancelRequest")}},
		)
	}
	return cases
}

// TestCancelForeign reads cancels shaped as foreign peers write them: LSP's
// notification after a request with a string id, a msgpack-rpc one after
// msgid 7, cancels of ids no request has (skipped on the JSON wires), and
// malformed ones, which are ordinary notifications.
func TestCancelForeign(t *testing.T) {
	for _, tc := range foreignCases(t) {
		t.Run(tc.c.Name()+"/"+tc.name, func(t *testing.T) {
			conn := tc.c.NewConn(readerConn{bytes.NewReader(tc.input)}, nil)
			defer conn.Close()
			for i, want := range tc.want {
				var h codec.Header
				if err := conn.ReadHeader(&h); err != nil {
					t.Fatalf("frame %d: %v; want %+v", i, err, want)
				}
				h.ID = codec.ID{} // ids are TestRequestIDs' business
				if !reflect.DeepEqual(h, want) {
					t.Errorf("frame %d read as %+v; want %+v", i, h, want)
				}
				if err := conn.ReadBody(nil); err != nil {
					t.Fatalf("frame %d: ReadBody: %v", i, err)
				}
			}
			var h codec.Header
			if err := conn.ReadHeader(&h); err == nil {
				t.Errorf("read %+v past the frames wanted", h)
			}
		})
	}
}

// TestCancelIDs checks which JSON ids a cancel matches: equal strings,
// however escaped, and equal numbers, however written; never a string with
// a number, and never null. JSON-RPC 2.0 refuses a request whose id has a
// fraction or an exponent, so those are JSON-RPC 1.0's, which takes any.
func TestCancelIDs(t *testing.T) {
	for _, tc := range []struct {
		request, cancel string
		match           bool
	}{
		{`5`, `5`, true},
		{`5`, ` 5 `, true},
		{`5`, `5.0`, true},
		{`5`, `5e0`, true},
		{`5`, `50E-1`, true},
		{`500`, `5e+2`, true},
		{`-3`, `-3.00`, true},
		{`0`, `-0`, true},
		{`0`, `0.0e9`, true},
		{`1.5`, `15e-1`, true},
		{`1.5`, `1.50`, true},
		{`123456789012345678901234567890`, `1.2345678901234567890123456789e29`, true},
		{`1e999999999999`, `1e999999999999`, true},
		{`"abc"`, `"\u0061bc"`, true},
		{`"é"`, `"\u00e9"`, true},
		{`""`, `""`, true},
		{`5`, `6`, false},
		{`5`, `-5`, false},
		{`5`, `"5"`, false},
		{`"5"`, `5`, false},
		{`1.5`, `1.51`, false},
		{`"abc"`, `"ABC"`, false},
		{`null`, `null`, false},
	} {
		input := lines(
			`{"jsonrpc":"2.0","method":"Arith.Multiply","id":`+tc.request+`}`,
			`{"jsonrpc":"2.0","method":"$/cancelRequest","params":{"id":`+tc.cancel+`}}`,
			`{"jsonrpc":"2.0","method":"Next"}`,
		)
		c := codec.JSONRPC2
		if strings.ContainsAny(tc.request, ".eE") {
			c = codec.JSONRPC
			input = lines(
				`{"method":"Arith.Multiply","params":[],"id":`+tc.request+`}`,
				`{"method":"$/cancelRequest","params":[{"id":`+tc.cancel+`}],"id":null}`,
				`{"method":"Next","params":[],"id":null}`,
			)
		}
		conn := c.NewConn(readerConn{bytes.NewReader(input)}, nil)
		read(t, conn)
		h := read(t, conn)
		if got := h.Kind == codec.Cancel; got != tc.match || got && h.Seq != 0 {
			t.Errorf("request id %s, cancel id %s: read %+v; want a match: %v", tc.request, tc.cancel, h, tc.match)
		}
		conn.Close()
	}
}
