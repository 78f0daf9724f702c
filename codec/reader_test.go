package codec_test

import (
	"bufio"
	"net"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/duplexrpc/duplex/codec"
)

// This file checks that reading never writes: the messages JSON-RPC 2.0
// answers with an error reach the reader as rejected requests, and the
// error goes out only when the user answers them.

// rejection is a message JSON-RPC 2.0 rejects and the header it is read
// as. A batch is read as several.
type rejection struct {
	input string
	want  []codec.Header // Seq is not compared
}

func rejected(code int, msg string) codec.Header {
	return codec.Header{Kind: codec.Request, Code: code, Error: msg}
}

var rejections = []rejection{
	{"this is not JSON\n", []codec.Header{rejected(-32700, "Parse error: not a JSON object or array")}},
	{`{"jsonrpc":"2.0","method":1,"id":4}`, []codec.Header{rejected(-32600, "Invalid Request: method must be a string")}},
	{`[]`, []codec.Header{rejected(-32600, "Invalid Request: empty batch")}},
	{`[{"jsonrpc":"2.0","method":"Arith.Multiply","params":{"A":2,"B":3},"id":"x"},1,{"foo":"boo"}]`, []codec.Header{
		{Kind: codec.Request, ServiceMethod: "Arith.Multiply"},
		rejected(-32600, "Invalid Request: not an object"),
		rejected(-32600, "Invalid Request: no method"),
	}},
	{`{"jsonrpc": "2.0", "method": "foobar, "params": "bar", "baz]`, []codec.Header{
		rejected(-32700, "Parse error: invalid character 'p' after object key:value pair"),
	}},
	{`[{"jsonrpc":"1.0","method":"M","id":[1]},{"jsonrpc":"1.0","method":"M","id":"y"}]`, []codec.Header{
		rejected(-32600, "Invalid Request: id must be a string, number or null"),
		rejected(-32600, `Invalid Request: "jsonrpc" must be "2.0"`),
	}},
}

// The answers to rejections, as JSON-RPC 2.0 has always written them: the
// id when it could be read, else null; a batch as one array, its rejected
// elements first.
var rejectionAnswers = []string{
	`{"jsonrpc":"2.0","id":null,"error":{"code":-32700,"message":"Parse error: not a JSON object or array"}}`,
	`{"jsonrpc":"2.0","id":4,"error":{"code":-32600,"message":"Invalid Request: method must be a string"}}`,
	`{"jsonrpc":"2.0","id":null,"error":{"code":-32600,"message":"Invalid Request: empty batch"}}`,
	`[{"jsonrpc":"2.0","id":null,"error":{"code":-32600,"message":"Invalid Request: not an object"}},` +
		`{"jsonrpc":"2.0","id":null,"error":{"code":-32600,"message":"Invalid Request: no method"}},` +
		`{"jsonrpc":"2.0","id":"x","result":6}]`,
	`{"jsonrpc":"2.0","id":null,"error":{"code":-32700,"message":"Parse error: invalid character 'p' after object key:value pair"}}`,
	`[{"jsonrpc":"2.0","id":null,"error":{"code":-32600,"message":"Invalid Request: id must be a string, number or null"}},` +
		`{"jsonrpc":"2.0","id":"y","error":{"code":-32600,"message":"Invalid Request: \"jsonrpc\" must be \"2.0\""}}]`,
}

// TestReaderNeverWrites reads rejected messages over a net.Pipe whose other
// end nobody reads, so that any write would block for ever: each must be
// read within a second. Then, with a reader on the other end, answering
// them writes the errors JSON-RPC 2.0 has always answered them with.
func TestReaderNeverWrites(t *testing.T) {
	ours, theirs := net.Pipe()
	t.Cleanup(func() {
		ours.Close()
		theirs.Close()
	})
	conn := codec.JSONRPC2.NewConn(ours, nil)

	type result struct {
		h   codec.Header
		err error
	}
	results := make(chan result, 64) // buffered: a failed test leaves no goroutine blocked
	go func() {
		for {
			var r result
			if r.err = conn.ReadHeader(&r.h); r.err == nil {
				r.err = conn.ReadBody(nil)
			}
			results <- r
			if r.err != nil {
				return
			}
		}
	}()
	go func() {
		for _, r := range rejections {
			if _, err := theirs.Write([]byte(r.input)); err != nil {
				return
			}
		}
	}()

	var read []codec.Header
	for _, r := range rejections {
		for _, want := range r.want {
			select {
			case got := <-results:
				if got.err != nil {
					t.Fatalf("reading %s: %v", r.input, got.err)
				}
				seq, id := got.h.Seq, got.h.ID
				got.h.Seq, got.h.ID = 0, codec.ID{}
				if !reflect.DeepEqual(got.h, want) {
					t.Errorf("%s read as %+v; want %+v", r.input, got.h, want)
				}
				got.h.Seq, got.h.ID = seq, id
				read = append(read, got.h)
			case <-time.After(time.Second):
				t.Fatalf("reading %s: no header within a second (is the reader writing?)", r.input)
			}
		}
	}

	answers := make(chan string, 64)
	go func() {
		lines := bufio.NewScanner(theirs)
		for lines.Scan() {
			answers <- lines.Text()
		}
		close(answers)
	}()
	for _, h := range read {
		resp := codec.Header{Kind: codec.Response, Seq: h.Seq, Error: "not this", Code: 1}
		if h.Error == "" {
			resp.Error, resp.Code = "", 0
		}
		if err := conn.Write(&resp, 6); err != nil {
			t.Fatalf("answering %+v: %v", h, err)
		}
	}
	for i, want := range rejectionAnswers {
		select {
		case got := <-answers:
			if got != want {
				t.Errorf("answer %d:\n%s\nwant\n%s", i, got, want)
			}
		case <-time.After(10 * time.Second):
			t.Fatalf("answer %d not written within 10s", i)
		}
	}
	conn.Close()
	if r := <-results; r.err == nil {
		t.Errorf("read %+v after the rejections; want the end of the stream", r.h)
	}
}

// TestAdaptersSkipCancel checks that the net/rpc adapters skip a Cancel:
// the client codec one sent by a server of this package, the server codec
// one sent by its client, and that neither takes it for another frame.
func TestAdaptersSkipCancel(t *testing.T) {
	for _, c := range codec.All() {
		t.Run(c.Name(), func(t *testing.T) {
			t.Parallel()
			t.Run("client", func(t *testing.T) {
				clientConn, serverConn := loopback(t)
				server := c.NewConn(serverConn, nil)
				goServe(t, serverConn, func() {
					for {
						var h codec.Header
						if server.ReadHeader(&h) != nil || server.ReadBody(nil) != nil {
							return
						}
						server.Write(&codec.Header{Kind: codec.Cancel, Seq: h.Seq}, nil)
						server.Write(&codec.Header{Kind: codec.Response, Seq: h.Seq}, 56)
					}
				})
				client := newClient(t, codec.NewClientCodec(c.NewConn(clientConn, nil)))
				for range 3 {
					var got int
					if err := client.Call("Arith.Multiply", 1, &got); err != nil || got != 56 {
						t.Fatalf("call answered after a Cancel: %d, %v; want 56, nil", got, err)
					}
				}
			})
			t.Run("server", func(t *testing.T) {
				clientConn, serverConn := loopback(t)
				server := newTestServer(t)
				goServe(t, serverConn, func() { server.ServeCodec(codec.NewServerCodec(c.NewConn(serverConn, nil))) })
				client := c.NewConn(clientConn, nil)
				for seq := uint64(1); seq <= 3; seq++ {
					write(t, client, codec.Header{Kind: codec.Request, ServiceMethod: "Echo.String", Seq: seq}, strings.Repeat("x", int(seq)))
					write(t, client, codec.Header{Kind: codec.Cancel, Seq: seq}, nil)
				}
				seen := make(map[uint64]bool)
				for range 3 {
					var h codec.Header
					if err := client.ReadHeader(&h); err != nil {
						t.Fatal(err)
					}
					var got string
					if err := client.ReadBody(&got); err != nil {
						t.Fatal(err)
					}
					if h.Kind != codec.Response && h.Kind != 0 || h.Error != "" || h.Seq < 1 || h.Seq > 3 || seen[h.Seq] || got != strings.Repeat("x", int(h.Seq)) {
						t.Errorf("read %+v, %q; want one success for each of Seqs 1 to 3", h, got)
					}
					seen[h.Seq] = true
				}
			})
		})
	}
}
