package codec_test

import (
	"encoding/json"
	"errors"
	"maps"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/duplexrpc/duplex/codec"
)

// This file holds the JSON-RPC 2.0 specification's examples
// (https://www.jsonrpc.org/specification), written by hand on a socket to
// a net/rpc server, and what a Go caller sends to such servers.

// Spec is the service of the specification's examples, in net/rpc's shape.
type Spec struct{ updates chan []int }

// SubtractArgs is subtract's by-name params.
type SubtractArgs struct {
	Minuend    int `json:"minuend"`
	Subtrahend int `json:"subtrahend"`
}

// Subtract takes its two params by position.
func (*Spec) Subtract(xs []int, reply *int) error {
	if len(xs) != 2 {
		return errors.New("subtract takes two params")
	}
	*reply = xs[0] - xs[1]
	return nil
}

// SubtractNamed takes its params by name.
func (*Spec) SubtractNamed(args SubtractArgs, reply *int) error {
	*reply = args.Minuend - args.Subtrahend
	return nil
}

// Update is the notification of the examples: it reports its params.
func (s *Spec) Update(xs []int, _ *struct{}) error {
	s.updates <- xs
	return nil
}

// GetData takes no params.
func (*Spec) GetData(_ struct{}, reply *[]any) error {
	*reply = []any{"hello", 5}
	return nil
}

// response2 is a JSON-RPC 2.0 response as a test reads it.
type response2 struct {
	Version string          `json:"jsonrpc"`
	ID      json.RawMessage `json:"id"`
	Result  json.RawMessage `json:"result"`
	Error   *struct {
		Code    int    `json:"code"`
		Message string `json:"message"`
	} `json:"error"`
}

func (r response2) String() string {
	b, _ := json.Marshal(r)
	return string(b)
}

// dialSpec connects to a JSON-RPC 2.0 server with Spec, Arith and Echo.
func dialSpec(t *testing.T) (*rawSocket, *Spec) {
	t.Helper()
	spec := &Spec{updates: make(chan []int, 16)}
	return dialRaw(t, codec.JSONRPC2, spec), spec
}

// parse2 reads one response object and checks its version member.
func parse2(t *testing.T, raw json.RawMessage) response2 {
	t.Helper()
	var r response2
	if err := json.Unmarshal(raw, &r); err != nil {
		t.Fatalf("response %s: %v", raw, err)
	}
	if r.Version != "2.0" {
		t.Errorf("response %s: jsonrpc = %q; want \"2.0\"", raw, r.Version)
	}
	if (r.Error == nil) == (r.Result == nil) {
		t.Errorf("response %s: want exactly one of result and error", raw)
	}
	return r
}

// wantResult checks a successful response.
func wantResult(t *testing.T, raw json.RawMessage, id, result string) {
	t.Helper()
	r := parse2(t, raw)
	if string(r.ID) != id || r.Error != nil || string(r.Result) != result {
		t.Errorf("got %s; want id %s, result %s", raw, id, result)
	}
}

// wantError checks an error response.
func wantError(t *testing.T, raw json.RawMessage, id string, code int) response2 {
	t.Helper()
	r := parse2(t, raw)
	if string(r.ID) != id || r.Error == nil || r.Error.Code != code {
		t.Errorf("got %s; want id %s, error code %d", raw, id, code)
	}
	return r
}

// wantArray reads a batch response and returns its members by id.
func wantArray(t *testing.T, raw json.RawMessage, n int) map[string][]json.RawMessage {
	t.Helper()
	var parts []json.RawMessage
	if err := json.Unmarshal(raw, &parts); err != nil || len(parts) != n {
		t.Fatalf("got %s; want an array of %d responses", raw, n)
	}
	byID := make(map[string][]json.RawMessage)
	for _, p := range parts {
		r := parse2(t, p)
		byID[string(r.ID)] = append(byID[string(r.ID)], p)
	}
	return byID
}

func TestJSONRPC2Spec(t *testing.T) {
	t.Run("positional params", func(t *testing.T) {
		raw, _ := dialSpec(t)
		raw.send(`{"jsonrpc": "2.0", "method": "Spec.Subtract", "params": [42, 23], "id": 1}`)
		wantResult(t, raw.recv(), `1`, `19`)
		raw.send(`{"jsonrpc": "2.0", "method": "Spec.Subtract", "params": [23, 42], "id": 2}`)
		wantResult(t, raw.recv(), `2`, `-19`)
	})
	t.Run("by-name params", func(t *testing.T) {
		raw, _ := dialSpec(t)
		raw.send(`{"jsonrpc": "2.0", "method": "Spec.SubtractNamed", "params": {"subtrahend": 23, "minuend": 42}, "id": 3}`)
		wantResult(t, raw.recv(), `3`, `19`)
		raw.send(`{"jsonrpc": "2.0", "method": "Spec.SubtractNamed", "params": {"minuend": 42, "subtrahend": 23}, "id": 4}`)
		wantResult(t, raw.recv(), `4`, `19`)
		raw.send(`{"jsonrpc":"2.0","method":"Arith.Multiply","params":{"A":2,"B":3},"id":5}`)
		wantResult(t, raw.recv(), `5`, `6`)
	})
	t.Run("notification", func(t *testing.T) {
		raw, spec := dialSpec(t)
		raw.send(`{"jsonrpc": "2.0", "method": "Spec.Update", "params": [1,2,3,4,5]}`)
		raw.send(`{"jsonrpc": "2.0", "method": "Spec.Foobar"}`)
		raw.send(`{"jsonrpc": "2.0", "method": "Arith.Divide", "params": {"A": 1, "B": 0}}`)
		raw.send(`{"jsonrpc": "2.0", "method": "Arith.Multiply", "params": ["not Args"]}`)
		raw.send(`{"jsonrpc":"2.0","method":"Arith.Multiply","params":{"A":4,"B":5},"id":"after"}`)
		wantResult(t, raw.recv(), `"after"`, `20`)
		select {
		case xs := <-spec.updates:
			if !slices.Equal(xs, []int{1, 2, 3, 4, 5}) {
				t.Errorf("Update got %v; want [1 2 3 4 5]", xs)
			}
		case <-time.After(10 * time.Second):
			t.Error("the notification did not run")
		}
	})
	t.Run("null params are no params", func(t *testing.T) {
		// LSP clients send "params": null for methods that take none.
		raw, _ := dialSpec(t)
		raw.send(`{"jsonrpc":"2.0","method":"Spec.GetData","params":null,"id":6}`)
		wantResult(t, raw.recv(), `6`, `["hello",5]`)
		raw.send(`{"jsonrpc":"2.0","method":"Spec.Subtract","params":"x","id":7}`)
		wantError(t, raw.recv(), `7`, -32600)
	})
	t.Run("null id is a request", func(t *testing.T) {
		raw, _ := dialSpec(t)
		raw.send(`{"jsonrpc":"2.0","method":"Arith.Multiply","params":{"A":4,"B":5},"id":null}`)
		wantResult(t, raw.recv(), `null`, `20`)
	})
	t.Run("method not found", func(t *testing.T) {
		raw, _ := dialSpec(t)
		for _, method := range []string{"foobar", "Arith.Nope", "Nope.Multiply"} {
			raw.send(`{"jsonrpc": "2.0", "method": "` + method + `", "id": "1"}`)
			wantError(t, raw.recv(), `"1"`, -32601)
		}
	})
	t.Run("invalid JSON", func(t *testing.T) {
		raw, _ := dialSpec(t)
		raw.send(`{"jsonrpc": "2.0", "method": "foobar, "params": "bar", "baz]`)
		wantError(t, raw.recv(), `null`, -32700)
		raw.send(`this is not JSON`)
		wantError(t, raw.recv(), `null`, -32700)
		raw.send(`{"jsonrpc": "2.0", "method": "Arith.Multiply", "params": {"A": 2, "B": 3}, "id": 1,}`)
		wantError(t, raw.recv(), `null`, -32700)
		// The connection stays usable.
		raw.send(`{"jsonrpc":"2.0","method":"Arith.Multiply","params":{"A":2,"B":3},"id":2}`)
		wantResult(t, raw.recv(), `2`, `6`)
	})
	t.Run("invalid JSON batch", func(t *testing.T) {
		raw, _ := dialSpec(t)
		raw.send("[\n" +
			`  {"jsonrpc": "2.0", "method": "Echo.Sum", "params": [1,2,4], "id": "1"},` + "\n" +
			`  {"jsonrpc": "2.0", "method"` + "\n" +
			"]")
		wantError(t, raw.recv(), `null`, -32700)
		raw.send(`{"jsonrpc":"2.0","method":"Arith.Multiply","params":{"A":2,"B":3},"id":2}`)
		wantResult(t, raw.recv(), `2`, `6`)
	})
	t.Run("invalid request", func(t *testing.T) {
		raw, _ := dialSpec(t)
		for _, tc := range []struct{ req, id string }{
			{`{"jsonrpc": "2.0", "method": 1, "params": "bar"}`, `null`},
			{`{"jsonrpc": "2.0", "method": "Arith.Multiply", "params": "bar", "id": 7}`, `7`},
			{`{"method": "Arith.Multiply", "params": {"A": 2, "B": 3}, "id": 8}`, `8`},
			{`{"jsonrpc": "1.0", "method": "Arith.Multiply", "params": {"A": 2, "B": 3}, "id": 9}`, `9`},
			{`{"jsonrpc": "2.0", "method": "Arith.Multiply", "params": {"A": 2, "B": 3}, "id": {"a": 1}}`, `null`},
			{`{"jsonrpc": "2.0", "id": 10}`, `null`},
		} {
			raw.send(tc.req)
			wantError(t, raw.recv(), tc.id, -32600)
		}
		raw.send(`{"jsonrpc":"2.0","method":"Arith.Multiply","params":{"A":2,"B":3},"id":2}`)
		wantResult(t, raw.recv(), `2`, `6`)
	})
	t.Run("batch", func(t *testing.T) {
		raw, spec := dialSpec(t)
		raw.send(`[
			{"jsonrpc": "2.0", "method": "Echo.Sum", "params": [1,2,4], "id": "1"},
			{"jsonrpc": "2.0", "method": "Spec.Update", "params": [7]},
			{"jsonrpc": "2.0", "method": "Spec.Subtract", "params": [42,23], "id": "2"},
			{"foo": "boo"},
			{"jsonrpc": "2.0", "method": "foo.get", "params": {"name": "myself"}, "id": "5"},
			{"jsonrpc": "2.0", "method": "Spec.GetData", "id": "9"},
			{"jsonrpc": "2.0", "method": "Arith.Divide", "params": {"A": 1, "B": 0}, "id": 10},
			{"jsonrpc": "2.0", "method": "Arith.Multiply", "params": ["not Args"], "id": 11}
		]`)
		byID := wantArray(t, raw.recv(), 7)
		want := map[string]func(json.RawMessage){
			`"1"`:  func(r json.RawMessage) { wantResult(t, r, `"1"`, `7`) },
			`"2"`:  func(r json.RawMessage) { wantResult(t, r, `"2"`, `19`) },
			`null`: func(r json.RawMessage) { wantError(t, r, `null`, -32600) },
			`"5"`:  func(r json.RawMessage) { wantError(t, r, `"5"`, -32601) },
			`"9"`:  func(r json.RawMessage) { wantResult(t, r, `"9"`, `["hello",5]`) },
			`10`:   func(r json.RawMessage) { wantError(t, r, `10`, codec.CodeServerError) },
			`11`:   func(r json.RawMessage) { wantError(t, r, `11`, -32602) },
		}
		if got, want := slices.Sorted(maps.Keys(byID)), slices.Sorted(maps.Keys(want)); !slices.Equal(got, want) {
			t.Fatalf("response ids %v; want %v", got, want)
		}
		for id, check := range want {
			if len(byID[id]) != 1 {
				t.Errorf("%d responses with id %s; want 1", len(byID[id]), id)
				continue
			}
			check(byID[id][0])
		}
		if xs := <-spec.updates; !slices.Equal(xs, []int{7}) {
			t.Errorf("Update got %v; want [7]", xs)
		}
	})
	t.Run("batch of notifications", func(t *testing.T) {
		raw, spec := dialSpec(t)
		raw.send(`[
			{"jsonrpc": "2.0", "method": "Spec.Update", "params": [1,2,4]},
			{"jsonrpc": "2.0", "method": "Spec.Update", "params": [7]},
			{"jsonrpc": "2.0", "method": "No.Such", "params": [7]}
		]`)
		raw.send(`{"jsonrpc":"2.0","method":"Arith.Multiply","params":{"A":4,"B":5},"id":"after"}`)
		wantResult(t, raw.recv(), `"after"`, `20`)
		for range 2 {
			<-spec.updates
		}
	})
	t.Run("empty batch", func(t *testing.T) {
		raw, _ := dialSpec(t)
		raw.send(`[]`)
		got := raw.recv()
		if got[0] != '{' {
			t.Fatalf("got %s; want one error object", got)
		}
		wantError(t, got, `null`, -32600)
	})
	t.Run("batch of non-objects", func(t *testing.T) {
		raw, _ := dialSpec(t)
		raw.send(`[1]`)
		for _, r := range wantArray(t, raw.recv(), 1)[`null`] {
			wantError(t, r, `null`, -32600)
		}
		raw.send(`[1,2,3]`)
		for _, r := range wantArray(t, raw.recv(), 3)[`null`] {
			wantError(t, r, `null`, -32600)
		}
	})
	t.Run("invalid params", func(t *testing.T) {
		raw, _ := dialSpec(t)
		for i, params := range []string{`["not Args"]`, `{"A": "two", "B": 3}`, `[1, 2, 3]`, `[[1, 2]]`} {
			id := strconv.Itoa(i)
			raw.send(`{"jsonrpc":"2.0","method":"Arith.Multiply","params":` + params + `,"id":` + id + `}`)
			wantError(t, raw.recv(), id, -32602)
		}
		raw.send(`{"jsonrpc":"2.0","method":"Arith.Multiply","params":{"A":2,"B":3},"id":"ok"}`)
		wantResult(t, raw.recv(), `"ok"`, `6`)
	})
	t.Run("handler error", func(t *testing.T) {
		raw, _ := dialSpec(t)
		raw.send(`{"jsonrpc":"2.0","method":"Arith.Divide","params":[{"A":1,"B":0}],"id":"d"}`)
		r := wantError(t, raw.recv(), `"d"`, codec.CodeServerError)
		if r.Error != nil && r.Error.Message != "divide by zero" {
			t.Errorf("message = %q; want \"divide by zero\"", r.Error.Message)
		}
	})
	t.Run("ids echoed verbatim", func(t *testing.T) {
		raw, _ := dialSpec(t)
		for _, id := range []string{`"abc"`, `""`, `"\u00e9 \"q\""`, `"12"`, `0`, `-1`, `9007199254740991`, `18446744073709551617`, `123456789012345678901234567890`} {
			raw.send(`{"jsonrpc":"2.0","method":"Arith.Multiply","params":{"A":2,"B":3},"id":` + id + `}`)
			got := raw.recv()
			if want := `{"jsonrpc":"2.0","id":` + id + `,"result":6}`; string(got) != want {
				t.Errorf("got %s; want %s", got, want)
			}
		}
	})
	t.Run("fractional ids refused", func(t *testing.T) {
		raw, _ := dialSpec(t)
		for _, id := range []string{`1.5`, `2.0`, `1e3`} {
			raw.send(`{"jsonrpc":"2.0","method":"Arith.Multiply","params":{"A":2,"B":3},"id":` + id + `}`)
			wantError(t, raw.recv(), id, codec.CodeInvalidRequest)
		}
		raw.send(`{"jsonrpc":"2.0","method":"Arith.Multiply","params":{"A":2,"B":3},"id":7}`)
		wantResult(t, raw.recv(), `7`, `6`)
	})
}

// TestParamsList checks that a Go caller's codec.Params reaches a method
// that takes a whole positional list, on the wires that have one.
func TestParamsList(t *testing.T) {
	for _, c := range []codec.Codec{codec.JSONRPC2, codec.Msgpack, codec.MsgpackUgorji} {
		t.Run(c.Name(), func(t *testing.T) {
			t.Parallel()
			client, _ := servePair(t, c)
			var got int
			if err := client.Call("Echo.Sum", codec.Params{1, 2, 3}, &got); err != nil || got != 6 {
				t.Errorf("Sum(Params{1, 2, 3}) = %d, %v; want 6, nil", got, err)
			}
			got = 0
			if err := client.Call("Echo.Sum", []int{4, 5}, &got); err != nil || got != 9 {
				t.Errorf("Sum([]int{4, 5}) = %d, %v; want 9, nil", got, err)
			}
		})
	}
}
