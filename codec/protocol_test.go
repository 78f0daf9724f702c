package codec_test

import (
	"bufio"
	"bytes"
	"encoding/hex"
	"errors"
	"os"
	"reflect"
	"strings"
	"testing"

	"github.com/duplexrpc/duplex/codec"
)

// This file checks what travels beside a call, codec by codec: metadata,
// progress tokens, cancels and progress in each dialect, error codes and
// data, and request ids; and that a call without any of it is the same
// bytes as before they existed.

// gArgs is the argument of the frames in testdata/bytes-before-metadata.tsv.
type gArgs struct{ A, B int }

// TestBytesWithoutMetadata checks that frames without metadata, token or
// data are byte for byte what the codecs wrote before those existed:
// testdata/bytes-before-metadata.tsv was written by the codecs of commit
// 233a317, for the frames listed here.
func TestBytesWithoutMetadata(t *testing.T) {
	want := map[string]string{}
	f, err := os.Open("testdata/bytes-before-metadata.tsv")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	for sc := bufio.NewScanner(f); sc.Scan(); {
		parts := strings.Split(sc.Text(), "\t")
		want[parts[0]+" "+parts[1]] = parts[2]
	}
	calls := []struct {
		name string
		h    codec.Header
		v    any
	}{
		{"request", codec.Header{Kind: codec.Request, ServiceMethod: "Arith.Multiply", Seq: 7}, &gArgs{7, 8}},
		{"request-params", codec.Header{Kind: codec.Request, ServiceMethod: "Any.Sum", Seq: 8}, codec.Params{1, "two"}},
		{"notification", codec.Header{Kind: codec.Notification, ServiceMethod: "Log.Line"}, "hello"},
		{"cancel", codec.Header{Kind: codec.Cancel, Seq: 9}, nil},
	}
	answers := []struct {
		name string
		h    codec.Header
		v    any
	}{
		{"response", codec.Header{Kind: codec.Response}, 56},
		{"response-error", codec.Header{Kind: codec.Response, Error: "divide by zero"}, nil},
		{"response-notfound", codec.Header{Kind: codec.Response, Error: "rpc: can't find method Arith.Nope", Code: codec.CodeMethodNotFound, StandardCode: true}, nil},
		{"response-cancelled", codec.Header{Kind: codec.Response, Error: "context canceled", Code: codec.CodeRequestCancelled, StandardCode: true}, nil},
	}
	for _, c := range codec.All() {
		var req []byte
		for _, f := range calls {
			var out bytes.Buffer
			write(t, c.NewConn(nopCloser{&out}, nil), f.h, f.v)
			if f.name == "request" {
				req = bytes.Clone(out.Bytes())
			}
			if got, w := out.String(), unhex(want[c.Name()+" "+f.name]); !sameFrame(c, got, w) {
				t.Errorf("%s %s: wrote %q; before metadata, %q", c.Name(), f.name, got, w)
			}
		}
		for _, f := range answers {
			got := answer(t, c, string(req), f.h, f.v)
			if w := unhex(want[c.Name()+" "+f.name]); !sameFrame(c, got, w) {
				t.Errorf("%s %s: wrote %q; before metadata, %q", c.Name(), f.name, got, w)
			}
		}
	}
}

// sameFrame compares what c wrote. gob numbers the types of bodies in the
// order a process first sends them, so there only the header's part of
// the stream, its type and its value, which are the first two messages,
// can be the same bytes from one process to another.
func sameFrame(c codec.Codec, got, want string) bool {
	if c != codec.Gob {
		return got == want
	}
	n := 0
	for range 2 {
		if n >= len(want) || want[n] >= 0x80 {
			return false // a message this short has a one-byte length
		}
		n += 1 + int(want[n])
	}
	return len(want) >= n && strings.HasPrefix(got, want[:n])
}

func unhex(s string) string {
	b, _ := hex.DecodeString(s)
	return string(b)
}

// roundTrip writes h and v with a conn of c and reads the frame back with
// another, returning the header read and what was written.
func roundTrip(t *testing.T, c codec.Codec, opts *codec.Options, h codec.Header, v any) (codec.Header, string) {
	t.Helper()
	var out bytes.Buffer
	write(t, c.NewConn(nopCloser{&out}, opts), h, v)
	wire := out.String()
	conn := c.NewConn(readerConn{strings.NewReader(wire)}, opts)
	var got codec.Header
	if err := conn.ReadHeader(&got); err != nil {
		t.Fatalf("%s: reading back %q: %v", c.Name(), wire, err)
	}
	if err := conn.ReadBody(nil); err != nil {
		t.Fatalf("%s: ReadBody of %q: %v", c.Name(), wire, err)
	}
	return got, wire
}

// TestMetadataRoundTrip writes a request and a notification with metadata
// and a progress token on every codec, in every dialect, and reads them
// back.
func TestMetadataRoundTrip(t *testing.T) {
	meta := map[string]string{
		"traceparent":  "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01",
		"tracestate":   "congo=t61rcWkgMzE",
		"ünï \"code\"": "line\nbreak",
	}
	for _, c := range codec.All() {
		for _, d := range codec.Dialects() {
			for _, kind := range []codec.Kind{codec.Request, codec.Notification} {
				for _, v := range []any{&gArgs{7, 8}, "positional", codec.Params{1, 2}} {
					h := codec.Header{Kind: kind, ServiceMethod: "Arith.Multiply", Seq: 3, Meta: meta}
					if kind == codec.Request {
						h.Token, h.Stream = codec.NumberID(3), codec.StringID("s3")
					}
					got, wire := roundTrip(t, c, &codec.Options{Dialect: d}, h, v)
					if got.Kind != kind || !reflect.DeepEqual(got.Meta, meta) || got.Token != h.Token || got.Stream != h.Stream {
						t.Errorf("%s/%s %v %#v: wrote %q, read kind %v meta %v token %v stream %v; want %v, %v, %v, %v",
							c.Name(), d.Name, kind, v, wire, got.Kind, got.Meta, got.Token, got.Stream, kind, meta, h.Token, h.Stream)
					}
				}
			}
		}
	}
}

// TestMetadataWire checks where metadata and the token go, byte by byte,
// on the forms docs/wire.md §12 gives.
func TestMetadataWire(t *testing.T) {
	meta := map[string]string{"traceparent": "00-ab-cd-01", "k": "v"}
	for _, tc := range []struct {
		c    codec.Codec
		d    *codec.Dialect
		v    any
		want string
	}{
		{codec.JSONRPC2, nil, &gArgs{7, 8},
			`{"jsonrpc":"2.0","method":"M.N","params":[{"A":7,"B":8}],"_meta":{"progressToken":5,"k":"v","traceparent":"00-ab-cd-01"},"id":5}` + "\n"},
		{codec.JSONRPC, nil, &gArgs{7, 8},
			`{"method":"M.N","params":[{"A":7,"B":8}],"_meta":{"progressToken":5,"k":"v","traceparent":"00-ab-cd-01"},"id":5}` + "\n"},
		{codec.JSONRPC2Lines, nil, &gArgs{7, 8},
			`{"jsonrpc":"2.0","method":"M.N","params":{"_meta":{"progressToken":5,"k":"v","traceparent":"00-ab-cd-01"},"A":7,"B":8},"id":5}` + "\n"},
		{codec.JSONRPC2, codec.MCPDialect, struct{}{},
			`{"jsonrpc":"2.0","method":"M.N","params":{"_meta":{"progressToken":5,"k":"v","traceparent":"00-ab-cd-01"}},"id":5}` + "\n"},
		{codec.JSONRPC2Lines, codec.LSPDialect, &gArgs{7, 8},
			`{"jsonrpc":"2.0","method":"M.N","params":{"workDoneToken":5,"_meta":{"k":"v","traceparent":"00-ab-cd-01"},"A":7,"B":8},"id":5}` + "\n"},
		{codec.LSP, codec.LSPDialect, &gArgs{7, 8},
			lspFrame(`{"jsonrpc":"2.0","method":"M.N","params":{"workDoneToken":5,"partialResultToken":"s5","_meta":{"k":"v","traceparent":"00-ab-cd-01"},"A":7,"B":8},"id":5}`)},
		{codec.JSONRPC2Lines, codec.LSPDialect, codec.Params{1},
			`{"jsonrpc":"2.0","method":"M.N","params":[1],"_meta":{"progressToken":5,"k":"v","traceparent":"00-ab-cd-01"},"id":5}` + "\n"},
		{codec.Msgpack, nil, "x",
			"\x93\x02\xa6$/meta\x91\x83\xadprogressToken\x05\xa1k\xa1v\xabtraceparent\xab00-ab-cd-01" +
				"\x94\x00\x05\xa3M.N\x91\xa1x"},
	} {
		var out bytes.Buffer
		h := codec.Header{Kind: codec.Request, ServiceMethod: "M.N", Seq: 5, Meta: meta, Token: codec.NumberID(5)}
		if tc.c == codec.LSP {
			h.Stream = codec.StringID("s5")
		}
		write(t, tc.c.NewConn(nopCloser{&out}, &codec.Options{Dialect: tc.d}), h, tc.v)
		if out.String() != tc.want {
			t.Errorf("%s/%v: wrote\n%q want\n%q", tc.c.Name(), tc.d, out.String(), tc.want)
		}
	}
}

// TestParamsByName checks that the bare JSON-RPC 2.0 codec sends an
// object argument as the params themselves when asked, by the option or
// by the dialect, and as [arg] otherwise.
func TestParamsByName(t *testing.T) {
	h := codec.Header{Kind: codec.Request, ServiceMethod: "echo", Seq: 1}
	for _, tc := range []struct {
		opts *codec.Options
		want string
	}{
		{nil, `{"jsonrpc":"2.0","method":"echo","params":[{"text":"hi"}],"id":1}` + "\n"},
		{&codec.Options{ParamsByName: true}, `{"jsonrpc":"2.0","method":"echo","params":{"text":"hi"},"id":1}` + "\n"},
		{&codec.Options{Dialect: codec.MCPDialect}, `{"jsonrpc":"2.0","method":"echo","params":{"text":"hi"},"id":1}` + "\n"},
	} {
		var out bytes.Buffer
		write(t, codec.JSONRPC2.NewConn(nopCloser{&out}, tc.opts), h, map[string]string{"text": "hi"})
		if out.String() != tc.want {
			t.Errorf("%+v: wrote %q; want %q", tc.opts, out.String(), tc.want)
		}
	}
}

// TestDialectCancel checks each dialect's cancel, as written and as read.
func TestDialectCancel(t *testing.T) {
	h := codec.Header{Kind: codec.Cancel, Seq: 4, Error: "context canceled"}
	for _, tc := range []struct {
		c    codec.Codec
		d    *codec.Dialect
		want string
	}{
		{codec.JSONRPC2, codec.DefaultDialect, `{"jsonrpc":"2.0","method":"$/cancelRequest","params":{"id":4}}` + "\n"},
		{codec.JSONRPC2Lines, codec.LSPDialect, `{"jsonrpc":"2.0","method":"$/cancelRequest","params":{"id":4}}` + "\n"},
		{codec.JSONRPC2Lines, codec.MCPDialect, `{"jsonrpc":"2.0","method":"notifications/cancelled","params":{"requestId":4,"reason":"context canceled"}}` + "\n"},
		{codec.JSONRPC, codec.MCPDialect, `{"method":"notifications/cancelled","params":[{"requestId":4,"reason":"context canceled"}],"id":null}` + "\n"},
		{codec.Msgpack, codec.MCPDialect, "\x93\x02\xb7notifications/cancelled\x91\x82\xa9requestId\x04\xa6reason\xb0context canceled"},
		{codec.Msgpack, codec.LSPDialect, "\x93\x02\xaf$/cancelRequest\x91\x04"},
	} {
		var out bytes.Buffer
		write(t, tc.c.NewConn(nopCloser{&out}, &codec.Options{Dialect: tc.d}), h, nil)
		if out.String() != tc.want {
			t.Errorf("%s/%s: wrote %q; want %q", tc.c.Name(), tc.d.Name, out.String(), tc.want)
		}
		// Read back by an end that has request 4 pending, in the same
		// dialect: a Cancel of it. In another dialect: a notification.
		for _, d := range []*codec.Dialect{tc.d, otherDialect(tc.d)} {
			got := readAfterRequest(t, tc.c, d, tc.want)
			if same := d.CancelMethod == tc.d.CancelMethod; (got.Kind == codec.Cancel) != same {
				t.Errorf("%s: %s's cancel read by %s as %v", tc.c.Name(), tc.d.Name, d.Name, got.Kind)
			}
		}
	}
}

func otherDialect(d *codec.Dialect) *codec.Dialect {
	if d == codec.MCPDialect {
		return codec.LSPDialect
	}
	return codec.MCPDialect
}

// readAfterRequest has a conn of c in dialect d read a request of id 4,
// then the frame in wire, and returns that frame's header.
func readAfterRequest(t *testing.T, c codec.Codec, d *codec.Dialect, wire string) codec.Header {
	t.Helper()
	var req bytes.Buffer
	write(t, c.NewConn(nopCloser{&req}, nil), codec.Header{Kind: codec.Request, ServiceMethod: "Slow.Wait", Seq: 4}, 1)
	conn := c.NewConn(readerConn{strings.NewReader(req.String() + wire)}, &codec.Options{Dialect: d})
	read(t, conn)
	return read(t, conn)
}

// TestProgressWire checks each dialect's progress message, written and
// read, its value read alone with a ProgressValue and its params read
// whole without one.
func TestProgressWire(t *testing.T) {
	type mcpValue struct {
		Progress int    `json:"progress"`
		Total    int    `json:"total"`
		Message  string `json:"message,omitempty"`
	}
	value := mcpValue{Progress: 1, Total: 3, Message: "one"}
	for _, tc := range []struct {
		c    codec.Codec
		d    *codec.Dialect
		want string
	}{
		{codec.JSONRPC2, codec.DefaultDialect, `{"jsonrpc":"2.0","method":"$/progress","params":{"token":"t1","value":{"progress":1,"total":3,"message":"one"}}}` + "\n"},
		{codec.LSP, codec.LSPDialect, lspFrame(`{"jsonrpc":"2.0","method":"$/progress","params":{"token":"t1","value":{"progress":1,"total":3,"message":"one"}}}`)},
		{codec.JSONRPC2Lines, codec.MCPDialect, `{"jsonrpc":"2.0","method":"notifications/progress","params":{"progressToken":"t1","progress":1,"total":3,"message":"one"}}` + "\n"},
		{codec.JSONRPC, codec.DefaultDialect, `{"method":"$/progress","params":[{"token":"t1","value":{"progress":1,"total":3,"message":"one"}}],"id":null}` + "\n"},
		{codec.Msgpack, codec.DefaultDialect, "\x93\x02\xaa$/progress\x91\x82\xa5token\xa2t1\xa5value\x83\xa8progress\x01\xa5total\x03\xa7message\xa3one"},
		{codec.MsgpackUgorji, codec.MCPDialect, "\x93\x02\xb6notifications/progress\x91\x84\xadprogressToken\xa2t1\xa8progress\x01\xa5total\x03\xa7message\xa3one"},
		{codec.Gob, codec.DefaultDialect, ""},
	} {
		opts := &codec.Options{Dialect: tc.d}
		h := codec.Header{Kind: codec.Progress, Token: codec.StringID("t1")}
		var out bytes.Buffer
		write(t, tc.c.NewConn(nopCloser{&out}, opts), h, value)
		if tc.want != "" && out.String() != tc.want {
			t.Errorf("%s/%s: wrote\n%q want\n%q", tc.c.Name(), tc.d.Name, out.String(), tc.want)
		}
		for _, whole := range []bool{false, true} {
			conn := tc.c.NewConn(readerConn{strings.NewReader(out.String())}, opts)
			var got codec.Header
			if err := conn.ReadHeader(&got); err != nil {
				t.Fatal(err)
			}
			if got.Kind != codec.Progress || got.Token != h.Token || got.ServiceMethod != tc.d.ProgressMethod {
				t.Errorf("%s/%s: read %+v; want a progress of token t1, method %s", tc.c.Name(), tc.d.Name, got, tc.d.ProgressMethod)
			}
			var v mcpValue
			target := any(&codec.ProgressValue{V: &v})
			var params map[string]any
			switch {
			case whole && tc.c == codec.Gob: // gob's params are the value
				target = &v
			case whole:
				target = &params
			}
			if err := conn.ReadBody(target); err != nil {
				t.Fatalf("%s/%s: ReadBody: %v", tc.c.Name(), tc.d.Name, err)
			}
			switch {
			case (!whole || tc.c == codec.Gob) && v != value:
				t.Errorf("%s/%s: value read as %+v; want %+v", tc.c.Name(), tc.d.Name, v, value)
			case whole && tc.c != codec.Gob && params[tc.d.ProgressToken] != "t1":
				t.Errorf("%s/%s: params read as %v; want the token in them", tc.c.Name(), tc.d.Name, params)
			}
		}
	}
}

// TestErrorData checks that an error's code and data round-trip on the
// wires that carry them, in the shapes docs/wire.md §7 gives, and that a
// standard code without data leaves msgpack-rpc's error a string.
func TestErrorData(t *testing.T) {
	type detail struct {
		Field string `json:"field"`
	}
	for _, tc := range []struct {
		c        codec.Codec
		h        codec.Header
		want     string
		readCode int
		readData string // the Raw read, as text; "" for none
	}{
		{codec.JSONRPC2, codec.Header{Error: "bad", Code: -32602, Data: detail{"a"}},
			`{"jsonrpc":"2.0","id":0,"error":{"code":-32602,"message":"bad","data":{"field":"a"}}}` + "\n", -32602, `{"field":"a"}`},
		{codec.JSONRPC2, codec.Header{Error: "bad", Code: 7},
			`{"jsonrpc":"2.0","id":0,"error":{"code":7,"message":"bad"}}` + "\n", 7, ""},
		{codec.Msgpack, codec.Header{Error: "bad", Code: 1},
			"\x94\x01\x00\x92\x01\xa3bad\xc0", 1, ""},
		{codec.MsgpackUgorji, codec.Header{Error: "bad", Code: -32602, Data: detail{"a"}},
			"\x94\x01\x00\x93\xd1\x80\xa6\xa3bad\x81\xa5field\xa1a\xc0", -32602, "\x81\xa5field\xa1a"},
		{codec.Msgpack, codec.Header{Error: "bad", Code: -32602, StandardCode: true},
			"\x94\x01\x00\xa3bad\xc0", 0, ""},
		{codec.JSONRPC, codec.Header{Error: "bad", Code: 7, Data: detail{"a"}},
			`{"id":0,"result":null,"error":"bad"}` + "\n", 0, ""},
	} {
		tc.h.Kind = codec.Response
		var req bytes.Buffer
		write(t, tc.c.NewConn(nopCloser{&req}, nil), codec.Header{Kind: codec.Request, ServiceMethod: "A.B", Seq: 0}, 1)
		got := answer(t, tc.c, req.String(), tc.h, nil)
		if got != tc.want {
			t.Errorf("%s %+v: wrote %q; want %q", tc.c.Name(), tc.h, got, tc.want)
		}
		// The caller's side reads what was written.
		conn := tc.c.NewConn(readerConn{strings.NewReader(got)}, nil)
		h := read(t, conn)
		var data string
		if raw, ok := h.Data.(codec.Raw); ok {
			data = string(raw)
		}
		if h.Error != "bad" || h.Code != tc.readCode || data != tc.readData {
			t.Errorf("%s: read error %q code %d data %q; want \"bad\", %d, %q", tc.c.Name(), h.Error, h.Code, data, tc.readCode, tc.readData)
		}
	}
}

// TestForeignMsgpackErrors checks the error shapes foreign msgpack-rpc
// peers send: Neovim's [type, message], a map, a string, anything else.
func TestForeignMsgpackErrors(t *testing.T) {
	for _, tc := range []struct {
		name, elem string
		code       int
		msg        string
	}{
		{"neovim validation", "\x92\x01\xaeInvalid buffer", 1, "Invalid buffer"},
		{"negative code", "\x92\xd1\x80\xa6\xa3bad", -32602, "bad"},
		{"with data", "\x93\x05\xa3bad\x91\x01", 5, "bad"},
		{"map", "\x82\xa4code\x07\xa7message\xa3bad", 7, "bad"},
		{"string", "\xa3bad", 0, "bad"},
		{"list of two strings", "\x92\xa1a\xa1b", 0, "remote error [a b]"},
	} {
		frame := "\x94\x01\x00" + tc.elem + "\xc0"
		h := read(t, codec.Msgpack.NewConn(readerConn{strings.NewReader(frame)}, nil))
		if h.Code != tc.code || h.Error != tc.msg {
			t.Errorf("%s: read code %d %q; want %d %q", tc.name, h.Code, h.Error, tc.code, tc.msg)
		}
	}
}

// TestRequestIDs checks that a request's id is read exactly: numbers of
// any size, strings of any text; and that JSON-RPC 2.0 refuses an id
// with a fraction or an exponent.
func TestRequestIDs(t *testing.T) {
	for _, tc := range []struct {
		id       string
		text     string
		isString bool
	}{
		{`0`, "0", false},
		{`9007199254740991`, "9007199254740991", false},
		{`18446744073709551615`, "18446744073709551615", false},
		{`18446744073709551617`, "18446744073709551617", false},
		{`-7`, "-7", false},
		{`"ünï\u00e9 x"`, "ünïé x", true},
		{`""`, "", true},
	} {
		frame := `{"jsonrpc":"2.0","method":"A.B","params":[1],"id":` + tc.id + `}` + "\n"
		h := read(t, codec.JSONRPC2.NewConn(readerConn{strings.NewReader(frame)}, nil))
		if h.Error != "" || h.ID.String() != tc.text || h.ID.IsString() != tc.isString || h.ID.IsZero() {
			t.Errorf("id %s read as %+v (%q, string %v); want %q, string %v", tc.id, h, h.ID.String(), h.ID.IsString(), tc.text, tc.isString)
		}
		if got := string(h.ID.AppendJSON(nil)); !tc.isString && got != tc.id {
			t.Errorf("id %s written back as %s", tc.id, got)
		}
	}
	for _, id := range []string{`1.5`, `1e3`, `2.0`} {
		frame := `{"jsonrpc":"2.0","method":"A.B","params":[1],"id":` + id + `}` + "\n"
		h := read(t, codec.JSONRPC2.NewConn(readerConn{strings.NewReader(frame)}, nil))
		if h.Code != codec.CodeInvalidRequest {
			t.Errorf("id %s read as %+v; want a rejection with code %d", id, h, codec.CodeInvalidRequest)
		}
	}
	h := read(t, codec.Msgpack.NewConn(readerConn{strings.NewReader("\x94\x00\xce\xff\xff\xff\xff\xa3A.B\x90")}, nil))
	if n, ok := h.ID.Uint64(); !ok || n != 1<<32-1 {
		t.Errorf("msgpack msgid read as %+v; want 4294967295", h.ID)
	}
}

// TestAppendFrameIsWrite checks that AppendFrame appends exactly the bytes
// Write writes, for every kind of frame on every codec, leaves what dst
// held alone, and appends nothing when a body does not encode.
func TestAppendFrameIsWrite(t *testing.T) {
	frames := append([]frame(nil), seedFrames...)
	for _, c := range codec.All() {
		for _, fr := range frames {
			var wrote bytes.Buffer
			w := c.NewConn(seedRWC{strings.NewReader(requestsFor(c, []frame{fr})), &wrote}, nil)
			writeFrame(t, c, w, fr)

			a := c.NewConn(seedRWC{strings.NewReader(requestsFor(c, []frame{fr})), new(bytes.Buffer)}, nil)
			h := fr.h
			if h.Kind == codec.Response && isJSON(c) {
				h.Seq = read(t, a).Seq
			}
			dst := []byte("held")
			got, err := a.(codec.FrameAppender).AppendFrame(dst, &h, fr.body)
			if err != nil {
				t.Fatalf("%s %v: %v", c.Name(), fr.h.Kind, err)
			}
			if string(got[:4]) != "held" || !sameFrame(c, string(got[4:]), wrote.String()) {
				t.Errorf("%s %+v: appended %q; Write wrote %q", c.Name(), fr.h, got[4:], wrote.String())
			}
		}
		if c == codec.Gob {
			continue // gob keeps the frame, with a stand-in body
		}
		a := c.NewConn(nopCloser{new(bytes.Buffer)}, nil)
		h := codec.Header{Kind: codec.Request, ServiceMethod: "A.B", Seq: 1}
		got, err := a.(codec.FrameAppender).AppendFrame([]byte("held"), &h, codec.Raw("\xc1{")) // one value of no wire
		if !errors.Is(err, codec.ErrEncode) || string(got) != "held" {
			t.Errorf("%s: a body that does not encode appended %q, %v; want nothing and ErrEncode", c.Name(), got, err)
		}
	}
}
