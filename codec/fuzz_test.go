package codec_test

import (
	"bytes"
	"fmt"
	"io"
	"net/rpc"
	"runtime"
	"strings"
	"testing"

	"github.com/duplexrpc/duplex/codec"
	"github.com/duplexrpc/duplex/internal/rpctest"
)

// A fuzz target per decoder. Each is seeded with frames this package writes
// itself, so the seeds, which run in every go test, are real encodings;
// the fuzzer mutates them into what a hostile peer might send.

// fuzzMax is the frame limit inputs are read with: small, so that a
// mutated length cannot make a run slow.
const fuzzMax = 64 << 10

// fuzzAllocLimit bounds what reading one input may allocate: the frame
// limit and the decoders' own expansion of it, not the lengths the input
// declares.
const fuzzAllocLimit = 64 * fuzzMax

// frame is one frame to write for a seed.
type frame struct {
	h    codec.Header
	body any
}

// seedFrames is what the seeds are made of: every kind of frame, with
// bodies of several shapes.
var seedFrames = []frame{
	{codec.Header{Kind: codec.Request, ServiceMethod: "Arith.Multiply", Seq: 0}, &rpctest.Args{A: 7, B: 8}},
	{codec.Header{Kind: codec.Request, ServiceMethod: "Echo.Sum", Seq: 1}, codec.Params{1, 2, 3}},
	{codec.Header{Kind: codec.Request, ServiceMethod: "Echo.Nested", Seq: 1 << 40}, rpctest.Nested{
		Name: "n", Tags: []string{"a", "b"}, Counts: map[string]int{"c": 1},
		Inner: &rpctest.Inner{X: 1.5, Bytes: []byte{0, 0xff}}, List: []rpctest.Inner{{X: -1}},
	}},
	{codec.Header{Kind: codec.Notification, ServiceMethod: "Echo.String"}, "héllo"},
	{codec.Header{Kind: codec.Notification, ServiceMethod: "Echo.Sum"}, codec.Params{}},
	{codec.Header{Kind: codec.Response, Seq: 0}, 56},
	{codec.Header{Kind: codec.Response, Seq: 2}, &rpctest.Quotient{Quo: 3, Rem: 2}},
	{codec.Header{Kind: codec.Response, Seq: 3, Error: "divide by zero"}, nil},
	{codec.Header{Kind: codec.Response, Seq: 1<<32 + 1}, []byte("bytes")},
	{codec.Header{Kind: codec.Cancel, Seq: 1<<32 + 7}, nil},
	{codec.Header{Kind: codec.Request, ServiceMethod: "Arith.Multiply", Seq: 4,
		Meta: map[string]string{"traceparent": "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"}, Token: codec.NumberID(4)}, &rpctest.Args{A: 1, B: 2}},
	{codec.Header{Kind: codec.Notification, ServiceMethod: "Echo.String", Meta: map[string]string{"k": "v"}}, "x"},
	{codec.Header{Kind: codec.Progress, Token: codec.StringID("t")}, map[string]int{"progress": 1}},
	{codec.Header{Kind: codec.Response, Seq: 5, Error: "bad", Code: -32602, Data: map[string]string{"field": "A"}}, nil},
}

// seedRWC reads a fixed input and writes to out.
type seedRWC struct {
	io.Reader
	out *bytes.Buffer
}

func (s seedRWC) Write(p []byte) (int, error) { return s.out.Write(p) }
func (seedRWC) Close() error                  { return nil }

// isJSON: the JSON wires answer only requests they have read.
func isJSON(c codec.Codec) bool {
	switch c {
	case codec.JSONRPC, codec.JSONRPC2, codec.LSP, codec.JSONRPC2Lines:
		return true
	}
	return false
}

// writeFrame writes fr with conn. On a JSON wire a response first reads the
// request it answers, whose id is fr's Seq, from input.
func writeFrame(tb testing.TB, c codec.Codec, conn codec.Conn, fr frame) {
	tb.Helper()
	h := fr.h
	if h.Kind == codec.Response && isJSON(c) {
		var req codec.Header
		if err := conn.ReadHeader(&req); err != nil {
			tb.Fatalf("reading the request to answer: %v", err)
		}
		conn.ReadBody(nil)
		h.Seq = req.Seq
	}
	if err := conn.Write(&h, fr.body); err != nil {
		tb.Fatalf("writing %+v: %v", h, err)
	}
}

// requestsFor is the requests a JSON conn of c must read before it can
// write the responses among frames.
func requestsFor(c codec.Codec, frames []frame) string {
	var in bytes.Buffer
	for _, fr := range frames {
		if fr.h.Kind == codec.Response {
			req := fmt.Sprintf(`{"jsonrpc":"2.0","method":"M","params":[],"id":%d}`+"\n", fr.h.Seq)
			if c == codec.LSP {
				req = lspFrame(req)
			}
			in.WriteString(req)
		}
	}
	return in.String()
}

// addSeeds adds as seeds each of seedFrames written alone by c, all of them
// written as one stream, and the extra inputs.
func addSeeds(f *testing.F, c codec.Codec, extra ...[]byte) {
	f.Helper()
	var stream bytes.Buffer
	all := c.NewConn(seedRWC{strings.NewReader(requestsFor(c, seedFrames)), &stream}, nil)
	for _, fr := range seedFrames {
		var one bytes.Buffer
		conn := c.NewConn(seedRWC{strings.NewReader(requestsFor(c, []frame{fr})), &one}, nil)
		writeFrame(f, c, conn, fr)
		writeFrame(f, c, all, fr)
		f.Add(one.Bytes())
	}
	f.Add(stream.Bytes())
	for _, e := range extra {
		f.Add(e)
	}
}

// fuzzConn reads input with c until an error, decoding each body into a
// different shape, and checks what that allocated.
func fuzzConn(t *testing.T, c codec.Codec, input []byte) {
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	d := codec.Dialects()[len(input)%3] // each dialect reads its own cancels and progress
	conn := c.NewConn(readerConn{bytes.NewReader(input)}, &codec.Options{MaxFrameSize: fuzzMax, Dialect: d})
	for i := 0; ; i++ {
		var h codec.Header
		if err := conn.ReadHeader(&h); err != nil {
			break
		}
		switch i % 6 {
		case 0:
			var v any
			if h.Kind == codec.Progress {
				conn.ReadBody(&codec.ProgressValue{V: &v})
				break
			}
			conn.ReadBody(&v)
		case 1:
			conn.ReadBody(new(rpctest.Args))
		case 2:
			conn.ReadBody(new([]int))
		case 3:
			conn.ReadBody(new(string))
		case 4:
			conn.ReadBody(new(rpctest.Nested))
		default:
			conn.ReadBody(nil)
		}
	}
	conn.Close()
	runtime.ReadMemStats(&after)
	if alloc := after.TotalAlloc - before.TotalAlloc; alloc > fuzzAllocLimit+uint64(64*len(input)) {
		t.Errorf("reading %d bytes allocated %d", len(input), alloc)
	}
}

func FuzzMsgpackConn(f *testing.F) {
	addSeeds(f, codec.Msgpack, msgpackSeeds()...)
	f.Fuzz(func(t *testing.T, input []byte) { fuzzConn(t, codec.Msgpack, input) })
}

func FuzzMsgpackUgorjiConn(f *testing.F) {
	addSeeds(f, codec.MsgpackUgorji, msgpackSeeds()...)
	f.Fuzz(func(t *testing.T, input []byte) { fuzzConn(t, codec.MsgpackUgorji, input) })
}

func FuzzJSONRPC(f *testing.F) {
	addSeeds(f, codec.JSONRPC, jsonSeeds()...)
	f.Fuzz(func(t *testing.T, input []byte) { fuzzConn(t, codec.JSONRPC, input) })
}

func FuzzJSONRPC2(f *testing.F) {
	addSeeds(f, codec.JSONRPC2, jsonSeeds()...)
	f.Fuzz(func(t *testing.T, input []byte) { fuzzConn(t, codec.JSONRPC2, input) })
}

func FuzzGob(f *testing.F) {
	addSeeds(f, codec.Gob, gobSeeds(f)...)
	f.Fuzz(func(t *testing.T, input []byte) { fuzzConn(t, codec.Gob, input) })
}

// msgpackSeeds are messages of foreign msgpack-rpc peers: several params,
// errors of other types, old-style raw strings.
func msgpackSeeds() [][]byte {
	return [][]byte{
		{0x94, 0x00, 0x01, 0xa8, 'E', 'c', 'h', 'o', '.', 'S', 'u', 'm', 0x93, 0x01, 0x02, 0x03},
		{0x93, 0x02, 0xa7, 'N', 'o', '.', 'S', 'u', 'c', 'h', 0x91, 0x01},
		{0x94, 0x01, 0xce, 0xff, 0xff, 0xff, 0xff, 0x92, 0x2a, 0xa3, 'b', 'a', 'd', 0xc0},
		{0x94, 0x01, 0x05, 0x82, 0xa4, 'c', 'o', 'd', 'e', 0xd0, 0xfe, 0xa7, 'm', 'e', 's', 's', 'a', 'g', 'e', 0xa1, 'x', 0xc0},
		{0x94, 0x00, 0x01, 0xda, 0x00, 0x03, 'A', '.', 'B', 0xdd, 0x00, 0x00, 0x00, 0x01, 0xc4, 0x01, 0xff},
		{0x94, 0x01, 0x02, 0xd4, 0x05, 0x01, 0xc0},
		append([]byte("\x94\x00\x07\xa1M\x90\x93\x02\xaf$/cancelRequest"), 0x91, 0x07),
		append([]byte("\x93\x02\xaf$/cancelRequest"), 0x92, 0x07, 0x08),
	}
}

// jsonSeeds are the JSON-RPC 2.0 specification's examples, batches
// included, and net/rpc/jsonrpc's requests.
func jsonSeeds() [][]byte {
	var seeds [][]byte
	for _, s := range []string{
		`{"jsonrpc": "2.0", "method": "subtract", "params": [42, 23], "id": 1}`,
		`{"jsonrpc": "2.0", "method": "subtract", "params": {"subtrahend": 23, "minuend": 42}, "id": 3}`,
		`{"jsonrpc": "2.0", "method": "update", "params": [1,2,3,4,5]}`,
		`{"jsonrpc": "2.0", "method": "foobar, "params": "bar", "baz]`,
		`{"jsonrpc": "2.0", "method": 1, "params": "bar"}`,
		"[\n  {\"jsonrpc\": \"2.0\", \"method\": \"sum\", \"params\": [1,2,4], \"id\": \"1\"},\n  {\"jsonrpc\": \"2.0\", \"method\"\n]",
		`[]`,
		`[1,2,3]`,
		`[{"jsonrpc": "2.0", "method": "sum", "params": [1,2,4], "id": "1"}, {"jsonrpc": "2.0", "method": "notify_hello", "params": [7]}, {"foo": "boo"}, {"jsonrpc": "2.0", "result": 19, "id": "2"}]`,
		`{"jsonrpc": "2.0", "result": 19, "id": 1}`,
		`{"jsonrpc": "2.0", "error": {"code": -32601, "message": "Method not found"}, "id": "1"}`,
		`{"method":"Arith.Multiply","params":[{"A":2,"B":3}],"id":"abc"}`,
		`{"method":"Arith.Multiply","params":[{"A":2,"B":3}],"id":null}`,
		`{"id":0,"result":null,"error":"divide by zero"}`,
		`{"id":0,"result":null,"error":{"code":1,"message":"m","data":[1]}}`,
		"garbage\n{\"jsonrpc\":\"2.0\",\"method\":\"M\",\"id\":1}",
		`{"jsonrpc":"2.0","method":"M","id":"abc"}{"jsonrpc":"2.0","method":"$/cancelRequest","params":{"id":"abc"}}`,
		`{"jsonrpc":"2.0","method":"M","id":5}[{"jsonrpc":"2.0","method":"$/cancelRequest","params":[{"id":5.0e0}]}]`,
		`{"method":"M","params":[],"id":-1.5e3}{"method":"$/cancelRequest","params":[{"id":-1500}],"id":null}`,
	} {
		seeds = append(seeds, []byte(s))
	}
	return seeds
}

// gobSeeds are the streams net/rpc's own gob codec writes, one each way.
func gobSeeds(tb testing.TB) [][]byte {
	var requests, responses bytes.Buffer
	cc := codec.NewClientCodec(codec.Gob.NewConn(seedRWC{strings.NewReader(""), &requests}, nil))
	sc := codec.NewServerCodec(codec.Gob.NewConn(seedRWC{strings.NewReader(""), &responses}, nil))
	for i, fr := range seedFrames {
		var err error
		switch fr.h.Kind {
		case codec.Cancel:
			continue // net/rpc's gob has none
		case codec.Response:
			err = sc.WriteResponse(&rpc.Response{Seq: fr.h.Seq, Error: fr.h.Error}, fr.body)
		default:
			err = cc.WriteRequest(&rpc.Request{ServiceMethod: fr.h.ServiceMethod, Seq: uint64(i)}, fr.body)
		}
		if err != nil {
			tb.Fatal(err)
		}
	}
	return [][]byte{requests.Bytes(), responses.Bytes()}
}
