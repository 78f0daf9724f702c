package codec_test

import (
	"bytes"
	"encoding/binary"
	"errors"
	"io"
	"math"
	"net/rpc"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/duplexrpc/duplex/codec"
	"github.com/duplexrpc/duplex/internal/rpctest"
)

// This file feeds every codec bytes that a careless or hostile peer might
// send, and checks that each ends in an error, not in a panic, a hang or
// a large allocation, and that a bad body fails only its own call.

// hostileMax is the frame limit the hostile frames are read with.
const hostileMax = 1 << 20

// readerConn reads a fixed input and discards what is written to it.
type readerConn struct{ io.Reader }

func (readerConn) Write(p []byte) (int, error) { return len(p), nil }
func (readerConn) Close() error                { return nil }

// drain reads frames from input with c until an error and returns it.
// Bodies are decoded into an interface, the costliest shape.
func drain(c codec.Codec, input []byte, max int) error {
	conn := c.NewConn(readerConn{bytes.NewReader(input)}, &codec.Options{MaxFrameSize: max})
	defer conn.Close()
	for {
		var h codec.Header
		if err := conn.ReadHeader(&h); err != nil {
			return err
		}
		var body any
		conn.ReadBody(&body)
	}
}

// be32 is n as four big-endian bytes.
func be32(n uint32) []byte { return binary.BigEndian.AppendUint32(nil, n) }

func join(parts ...[]byte) []byte { return bytes.Join(parts, nil) }

// hostileCase is one hostile input and the errors it may end in.
type hostileCase struct {
	name  string
	input []byte
	want  []error
}

func hostileMsgpack() []hostileCase {
	tooLarge := []error{codec.ErrFrameTooLarge}
	few := []byte{1, 2, 3}
	// A request whose params are the hostile value.
	request := func(params []byte) []byte { return join([]byte{0x94, 0, 1, 0xa1, 'M'}, params) }
	return []hostileCase{
		{"array32 of 0xffffffff", join([]byte{0xdd}, be32(0xffffffff), few), tooLarge},
		{"array32 of 10 million", join([]byte{0xdd}, be32(10_000_000), few), tooLarge},
		{"map32 of 0xffffffff", join([]byte{0xdf}, be32(0xffffffff), few), tooLarge},
		{"map32 of 10 million", join([]byte{0xdf}, be32(10_000_000), few), tooLarge},
		{"str32 of 0xffffffff", join([]byte{0xdb}, be32(0xffffffff), few), tooLarge},
		{"bin32 of 0xffffffff", join([]byte{0xc6}, be32(0xffffffff), few), tooLarge},
		{"ext32 of 0xffffffff", join([]byte{0xc9}, be32(0xffffffff), []byte{5}, few), tooLarge},
		{"str32 of 10 million", join([]byte{0xdb}, be32(10_000_000), few), tooLarge},
		{"params array32 of 0xffffffff", request(join([]byte{0xdd}, be32(0xffffffff), few)), tooLarge},
		{"params map32 of 10 million", request(join([]byte{0xdf}, be32(10_000_000), few)), tooLarge},
		{"params bin32 of 10 million", request(join([]byte{0xc6}, be32(10_000_000), few)), tooLarge},
		{"params array of arrays32, each under the limit", request(join([]byte{0x92, 0xdd}, be32(500_000), []byte{0xdd}, be32(500_000), few)), []error{io.ErrUnexpectedEOF}},
		{"array16 cut short", join([]byte{0xdc, 0xff, 0xff}, few), []error{io.ErrUnexpectedEOF}},
		{"str32 just under the limit, cut short", join([]byte{0xdb}, be32(hostileMax-16), few), []error{io.ErrUnexpectedEOF}},
		{"array32 just under the limit, cut short", request(join([]byte{0xdd}, be32(hostileMax-16), few)), []error{io.ErrUnexpectedEOF}},
		{"nested fixarrays", bytes.Repeat([]byte{0x91}, 100_000), []error{codec.ErrTooDeep}},
		{"nested fixmaps", bytes.Repeat([]byte{0x81}, 100_000), []error{codec.ErrTooDeep}},
		{"nested params", request(bytes.Repeat([]byte{0x91}, 100_000)), []error{codec.ErrTooDeep}},
		{"never-used byte 0xc1", []byte{0xc1}, []error{codec.ErrMalformed}},
		{"not an array", []byte{0x05}, []error{codec.ErrMalformed}},
		{"unknown message type", []byte{0x94, 7, 1, 0xa1, 'M', 0x90}, []error{codec.ErrMalformed}},
		{"negative msgid", []byte{0x94, 0, 0xff, 0xa1, 'M', 0x90}, []error{codec.ErrMalformed}},
		{"method not a string", []byte{0x94, 0, 1, 0x01, 0x90}, []error{codec.ErrMalformed}},
		{"0xff garbage", bytes.Repeat([]byte{0xff}, 1000), []error{codec.ErrMalformed}},
	}
}

func hostileJSON() []hostileCase {
	return []hostileCase{
		{"unterminated string past the limit", append([]byte(`{"method":"`), bytes.Repeat([]byte("a"), 2*hostileMax)...), []error{codec.ErrFrameTooLarge}},
		{"unterminated string under the limit", append([]byte(`{"method":"`), bytes.Repeat([]byte("a"), hostileMax/2)...), []error{io.ErrUnexpectedEOF}},
		{"nested arrays", bytes.Repeat([]byte("["), 100_000), []error{codec.ErrTooDeep}},
		{"nested objects", bytes.Repeat([]byte(`{"a":`), 100_000), []error{codec.ErrTooDeep}},
		{"nested params", []byte(`{"method":"M","id":1,"params":` + strings.Repeat("[", 100_000)), []error{codec.ErrTooDeep}},
		{"10 MB object", []byte(`{"method":"Echo.String","params":["` + strings.Repeat("x", 10<<20) + `"],"id":1}`), []error{codec.ErrFrameTooLarge}},
		{"white space past the limit", append([]byte("{"), bytes.Repeat([]byte(" "), 2*hostileMax)...), []error{codec.ErrFrameTooLarge}},
	}
}

func hostileGob() []hostileCase {
	return []hostileCase{
		// gob's lengths: a byte holding minus the byte count, then the count.
		{"message of 1 GiB", join([]byte{0xfc}, be32(1<<30), []byte{1, 2, 3}), []error{codec.ErrFrameTooLarge}},
		{"message of 2^64-1 bytes", join([]byte{0xf8}, bytes.Repeat([]byte{0xff}, 8)), []error{codec.ErrFrameTooLarge}},
		{"message just under the limit, cut short", join([]byte{0xfd, 0x0f, 0xff, 0xf0}, []byte{1, 2, 3}), []error{io.ErrUnexpectedEOF}},
		{"0xff garbage", bytes.Repeat([]byte{0xff}, 1000), []error{codec.ErrMalformed, io.ErrUnexpectedEOF}},
		{"length prefix of nine bytes", join([]byte{0xf7}, bytes.Repeat([]byte{0xff}, 9)), []error{codec.ErrMalformed}},
	}
}

// hostileCases is every hostile input, by the codec that reads it.
func hostileCases() map[codec.Codec][]hostileCase {
	json := append(hostileJSON(), hostileCase{"not JSON", []byte("garbage\n"), []error{codec.ErrMalformed}})
	return map[codec.Codec][]hostileCase{
		codec.Gob:           hostileGob(),
		codec.JSONRPC:       json,
		codec.JSONRPC2:      hostileJSON(), // it rejects non-JSON and reads on
		codec.Msgpack:       hostileMsgpack(),
		codec.MsgpackUgorji: hostileMsgpack(),
		codec.LSP:           hostileLSP(),   // hostile_framed_test.go
		codec.JSONRPC2Lines: hostileLines(), // hostile_framed_test.go
	}
}

// TestHostileFrames reads each hostile frame and checks its error and what
// reading it allocated: no more than a megabyte past the frame limit. It
// does not run in parallel, so that the allocation count is its own.
func TestHostileFrames(t *testing.T) {
	cases := hostileCases()
	for _, c := range codec.All() {
		for _, tc := range cases[c] {
			t.Run(c.Name()+"/"+tc.name, func(t *testing.T) {
				var err error
				alloc := leastAlloc(func() { err = drain(c, tc.input, hostileMax) })
				if alloc >= hostileMax+1<<20 {
					t.Errorf("reading it allocated %d bytes; want under %d", alloc, hostileMax+1<<20)
				}
				for _, want := range tc.want {
					if errors.Is(err, want) {
						return
					}
				}
				t.Errorf("error = %v; want one of %v", err, tc.want)
			})
		}
	}
}

// garbage is bytes that end a connection in each codec's wire.
var garbage = map[string][]byte{
	"gob":            bytes.Repeat([]byte{0xff}, 300),
	"jsonrpc":        []byte(strings.Repeat("[", 300)),
	"jsonrpc2":       []byte(strings.Repeat("[", 300)),
	"msgpack":        {0xc1},
	"msgpack-ugorji": {0xc1},
	"lsp":            []byte("garbage\r\n\r\n"),
	// jsonrpc2-lines has none: a bad line fails that line only
	// (TestLinesBadLineFailsThatLineOnly).
}

// TestGarbageEndsServer slips garbage into a working connection to a
// net/rpc server and checks that the server ends the connection and the
// client's pending calls fail, none hanging.
func TestGarbageEndsServer(t *testing.T) {
	for _, c := range codec.All() {
		if garbage[c.Name()] == nil {
			continue
		}
		t.Run(c.Name(), func(t *testing.T) {
			t.Parallel()
			clientConn, serverConn := loopback(t)
			server := newTestServer(t)
			goServe(t, serverConn, func() { server.ServeCodec(codec.NewServerCodec(c.NewConn(serverConn, nil))) })
			client := newClient(t, codec.NewClientCodec(c.NewConn(clientConn, nil)))
			var got int
			if err := client.Call("Arith.Multiply", &rpctest.Args{A: 2, B: 3}, &got); err != nil || got != 6 {
				t.Fatalf("Multiply(2, 3) = %d, %v; want 6, nil", got, err)
			}
			// The client is idle: nothing else writes now.
			if _, err := clientConn.Write(garbage[c.Name()]); err != nil {
				t.Fatal(err)
			}
			waitFail(t, client, 5)
		})
	}
}

// waitFail starts n calls and checks that each fails within 10s, and that
// the client is then shut down.
func waitFail(t *testing.T, client *rpc.Client, n int) {
	t.Helper()
	var calls []*rpc.Call
	for i := range n {
		calls = append(calls, client.Go("Arith.Multiply", &rpctest.Args{A: i, B: i}, new(int), nil))
	}
	for i, call := range calls {
		select {
		case <-call.Done:
			if call.Error == nil {
				t.Errorf("call %d succeeded after garbage", i)
			}
		case <-time.After(10 * time.Second):
			t.Fatalf("call %d still pending 10s after garbage", i)
		}
	}
	if err := client.Call("Arith.Multiply", &rpctest.Args{}, new(int)); !errors.Is(err, rpc.ErrShutdown) {
		t.Errorf("call after garbage: error = %v; want rpc.ErrShutdown", err)
	}
}

// TestGarbageFailsPendingCalls has a server answer calls with garbage and
// checks that every pending call fails, none hangs, and later calls fail
// at once.
func TestGarbageFailsPendingCalls(t *testing.T) {
	for _, c := range codec.All() {
		if garbage[c.Name()] == nil {
			continue
		}
		t.Run(c.Name(), func(t *testing.T) {
			t.Parallel()
			clientConn, serverConn := loopback(t)
			goServe(t, serverConn, func() {
				// Wait for the calls, then answer with garbage.
				buf := make([]byte, 64<<10)
				serverConn.Read(buf)
				serverConn.Write(garbage[c.Name()])
				io.Copy(io.Discard, serverConn)
			})
			client := newClient(t, codec.NewClientCodec(c.NewConn(clientConn, nil)))
			waitFail(t, client, 5)
		})
	}
}

// TestBadBodyFailsOneCall sends an argument of the wrong type and checks
// that it fails its own call only; and a reply of the wrong type, which
// fails its call locally.
func TestBadBodyFailsOneCall(t *testing.T) {
	for _, c := range codec.All() {
		t.Run(c.Name(), func(t *testing.T) {
			t.Parallel()
			client, _ := servePair(t, c)
			var got int
			err := client.Call("Arith.Multiply", "not Args", &got)
			var serverErr rpc.ServerError
			if !errors.As(err, &serverErr) {
				t.Errorf("Multiply(\"not Args\") error = %#v; want an rpc.ServerError", err)
			}
			if err := client.Call("Arith.Multiply", &rpctest.Args{A: 2, B: 3}, &got); err != nil || got != 6 {
				t.Fatalf("Multiply(2, 3) after a bad argument = %d, %v; want 6, nil", got, err)
			}
			// A reply that does not fit fails on the client's side. (net/rpc's
			// client then shuts itself down, whatever the codec.)
			if err := client.Call("Echo.String", "not an int", &got); err == nil || errors.As(err, &serverErr) {
				t.Errorf("Echo.String into an int: error = %#v; want a local error", err)
			}
		})
	}
}

// TestJSONLongFrameAllocations checks what reading a long JSON frame
// allocates with the default 16 MiB limit: a frame that never ends past the
// limit at most the limit plus 2 MiB (doubling the buffer up to the limit
// took twice the limit), and a whole 8 MiB frame at most twice its size
// plus 2 MiB (doubling took up to four times).
func TestJSONLongFrameAllocations(t *testing.T) {
	read := func(input []byte) (uint64, codec.Header, error) {
		return headerAllocs(codec.JSONRPC2.NewConn(readerConn{bytes.NewReader(input)}, nil))
	}
	endless := append([]byte(`{"method":"`), bytes.Repeat([]byte("a"), codec.DefaultMaxFrameSize+1<<20)...)
	alloc, _, err := read(endless)
	if !errors.Is(err, codec.ErrFrameTooLarge) {
		t.Fatalf("a 17 MiB string: error = %v; want ErrFrameTooLarge", err)
	}
	if limit := uint64(codec.DefaultMaxFrameSize + 2<<20); alloc > limit {
		t.Errorf("a 17 MiB string allocated %d bytes; want at most %d (the limit plus 2 MiB)", alloc, limit)
	}
	long := []byte(`{"jsonrpc":"2.0","method":"Echo.String","params":["` + strings.Repeat("x", 8<<20) + `"],"id":1}`)
	alloc, h, err := read(long)
	if err != nil || h.ServiceMethod != "Echo.String" {
		t.Fatalf("an 8 MiB frame: header %+v, error %v", h, err)
	}
	if limit := uint64(2*len(long) + 2<<20); alloc > limit {
		t.Errorf("an 8 MiB frame allocated %d bytes to read; want at most %d", alloc, limit)
	}
}

// leastAlloc runs f, which must allocate the same each time, three times
// and returns the least it allocated. TotalAlloc counts the whole
// process's allocations, and another goroutine's (a timer, the runtime,
// an earlier test's leftovers) only ever add to it: the least of three is
// f's own. The 10 MB JSON object, read by a buffer that doubles up to
// the 1 MiB limit, allocates 2 KB under the bound; a busy CI machine put
// it over.
func leastAlloc(f func()) uint64 {
	least := uint64(math.MaxUint64)
	for range 3 {
		var before, after runtime.MemStats
		runtime.GC()
		runtime.ReadMemStats(&before)
		f()
		runtime.ReadMemStats(&after)
		least = min(least, after.TotalAlloc-before.TotalAlloc)
	}
	return least
}

// headerAllocs reads one header with conn and returns what reading it
// allocated, the header and the error.
func headerAllocs(conn codec.Conn) (uint64, codec.Header, error) {
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	var h codec.Header
	err := conn.ReadHeader(&h)
	runtime.ReadMemStats(&after)
	return after.TotalAlloc - before.TotalAlloc, h, err
}
