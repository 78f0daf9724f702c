package codec_test

import (
	"encoding/json"
	"net"
	"net/rpc"
	"strings"
	"testing"

	"github.com/duplexrpc/duplex/codec"
	"github.com/duplexrpc/duplex/internal/rpctest"
)

// A call whose params do not fit the method's argument is told which
// param, what was expected and what came, over the wires that have
// positional params.
func TestParamErrorsNameTheParam(t *testing.T) {
	cases := []struct {
		method string
		params any
		want   string
	}{
		{"Arith.Multiply", codec.Params{1, 2, 3}, "got 3 params, want 2 (A int, B int)"},
		{"Arith.Multiply", codec.Params{"x", 2}, `param 1 (Args.A): want int, got string "x"`},
		{"Arith.Multiply", codec.Params{1, []int{2}}, "param 2 (Args.B): want int, got an array"},
		{"Echo.Upper", 5, "param 1: want string, got "},
		{"Echo.Upper", codec.Params{"a", "b"}, "got 2 params, want 1 (*string)"},
		{"Arith.Multiply", map[string]any{"A": "7", "B": 8}, `param 1 (Args): field A: want int, got string "7"`},
		{"Arith.Multiply", map[string]any{"A": 7, "B": 8, "C": 9}, `param 1 (Args): unknown field "C"; it has A, B`},
	}
	for _, c := range []codec.Codec{codec.Msgpack, codec.MsgpackUgorji, codec.JSONRPC2} {
		t.Run(c.Name(), func(t *testing.T) {
			a, b := net.Pipe()
			server := rpc.NewServer()
			server.Register(new(rpctest.Arith))
			server.Register(new(rpctest.Echo))
			go server.ServeCodec(codec.NewServerCodec(c.NewConn(b, nil)))
			client := rpc.NewClientWithCodec(codec.NewClientCodec(c.NewConn(a, nil)))
			defer client.Close()
			for i, tc := range cases {
				if i == 0 && c == codec.MsgpackUgorji {
					continue // ugorji takes the first fields and drops the rest (docs/wire.md §5.4)
				}
				err := client.Call(tc.method, tc.params, new(any))
				if err == nil || !strings.Contains(err.Error(), tc.want) || !strings.Contains(err.Error(), "invalid params") {
					t.Errorf("%s%v = %v; want an invalid-params error with %q", tc.method, tc.params, err, tc.want)
				}
			}
		})
	}
}

// TestParamsByNameChecked checks by-name params into a struct, on the
// JSON-RPC 2.0 and msgpack-rpc wires: names match as encoding/json
// matches them, a key no field takes and a value that does not fit fail
// with errors that name them, and so does a request without params,
// unless the connection is lenient or the argument needs none.
func TestParamsByNameChecked(t *testing.T) {
	type args struct{ A, B int }
	type withTag struct {
		Name  string `json:"name"`
		Count int    `json:"count,omitempty"`
	}
	cases := []struct {
		params  string // JSON; the msgpack frame carries the same value
		into    any
		want    string // the error, "" for none
		lenient string // the error when lenient
	}{
		{`{"a":7,"b":8}`, new(args), "", ""},
		{`[{"A":7,"B":8}]`, new(args), "", ""},
		{`{"NAME":"x","Count":2}`, new(withTag), "", ""},
		{`{"A":7,"B":8,"c":9}`, new(args), `codec: invalid params: param 1 (Args): unknown field "c"; it has A, B`, ""},
		{`{"name":"x","Name":1}`, new(withTag), `codec: invalid params: param 1 (withTag): field name: want string, got number 1`,
			`codec: invalid params: param 1 (withTag): field name: want string, got number 1`},
		{`{"A":"7","B":8}`, new(args), `codec: invalid params: param 1 (Args): field A: want int, got string "7"`,
			`codec: invalid params: param 1 (Args): field A: want int, got string "7"`},
		{`{"_meta":{"progressToken":1},"A":1,"B":2}`, new(args), "", ""},
		{`{"A":7,"B":8,"workDoneToken":"w1"}`, new(args), `codec: invalid params: param 1 (Args): unknown field "workDoneToken"; it has A, B (a member LSP's clients add: serve them with Options.Dialect = codec.LSPDialect, or set Options.LenientParams)`, ""},
		{`null`, new(args), "codec: invalid params: missing params: want Args", ""},
		{`[]`, new(args), "codec: invalid params: missing params: want Args", ""},
		{``, new(args), "codec: invalid params: missing params: want Args", ""},
		{``, new(optionalArgs), "", ""},
		{``, new(struct{}), "", ""},
		{``, new(any), "", ""},
	}
	for _, c := range []codec.Codec{codec.JSONRPC2, codec.Msgpack, codec.MsgpackUgorji} {
		for _, lenient := range []bool{false, true} {
			for _, tc := range cases {
				frame := paramsFrame(t, c, tc.params)
				conn := c.NewConn(readerConn{strings.NewReader(frame)}, &codec.Options{LenientParams: lenient})
				var h codec.Header
				if err := conn.ReadHeader(&h); err != nil {
					t.Fatal(err)
				}
				want := tc.want
				if lenient {
					want = tc.lenient
				}
				want = strings.ReplaceAll(want, "got number", gotNumber(c))
				want = strings.ReplaceAll(want, "(Args)", "(args)")
				want = strings.ReplaceAll(want, "want Args", "want args")
				err := conn.ReadBody(tc.into)
				if got := errText(err); got != want {
					t.Errorf("%s lenient=%v %s: error %q; want %q", c.Name(), lenient, tc.params, got, want)
				}
				if a, ok := tc.into.(*args); ok && want == "" && tc.params != "" && tc.params != "null" && tc.params != "[]" && *a != (args{7, 8}) && *a != (args{1, 2}) {
					t.Errorf("%s %s: decoded %+v", c.Name(), tc.params, *a)
				}
			}
		}
	}
}

// optionalArgs says that a request without params is a whole one.
type optionalArgs struct{ Cursor string }

func (optionalArgs) OptionalParams() {}

func gotNumber(c codec.Codec) string {
	if c == codec.JSONRPC2 {
		return "got number"
	}
	return "got integer"
}

func errText(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}

// paramsFrame is a request of c whose params are the JSON value params
// (none when it is empty), as that wire writes it.
func paramsFrame(t *testing.T, c codec.Codec, params string) string {
	t.Helper()
	if c == codec.JSONRPC2 {
		if params == "" {
			return `{"jsonrpc":"2.0","method":"A.B","id":1}`
		}
		return `{"jsonrpc":"2.0","method":"A.B","params":` + params + `,"id":1}`
	}
	frame := "\x94\x00\x01\xa3A.B"
	if params == "" {
		return frame + "\xc0"
	}
	dec := json.NewDecoder(strings.NewReader(params))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		t.Fatal(err)
	}
	v = integers(v)
	if _, isList := v.([]any); !isList && v != nil {
		v = []any{v}
	}
	raw, err := codec.EncodeRaw(c, v)
	if err != nil {
		t.Fatal(err)
	}
	return frame + string(raw)
}

// integers turns the json.Numbers of a decoded value into int64s, which
// msgpack encodes as integers.
func integers(v any) any {
	switch x := v.(type) {
	case json.Number:
		n, _ := x.Int64()
		return n
	case []any:
		for i := range x {
			x[i] = integers(x[i])
		}
	case map[string]any:
		for k := range x {
			x[k] = integers(x[k])
		}
	}
	return v
}
