package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/duplexrpc/duplex/codec"
	"github.com/vmihailenco/msgpack/v5"
)

// msgpackToJSON writes what encoding/json would write for the value the
// msgpack encodes, keeping the order of map keys.
func TestMsgpackToJSON(t *testing.T) {
	type ordered struct {
		Z int    `msgpack:"z"`
		A string `msgpack:"a"`
	}
	cases := []struct {
		v    any
		want string
	}{
		{nil, `null`},
		{true, `true`},
		{false, `false`},
		{0, `0`},
		{-1, `-1`},
		{-33, `-33`},
		{200, `200`},
		{-200, `-200`},
		{70000, `70000`},
		{-70000, `-70000`},
		{int64(math.MinInt64), `-9223372036854775808`},
		{uint64(math.MaxUint64), `18446744073709551615`},
		{1.5, `1.5`},
		{float32(0.1), `0.1`},
		{1e21, `1e+21`},
		{math.NaN(), `"NaN"`},
		{math.Inf(-1), `"-Inf"`},
		{"", `""`},
		{"héllo \"q\" \\ \n\t\x01 <&>", `"héllo \"q\" \\ \n\t\u0001 <&>"`},
		{strings.Repeat("x", 300), `"` + strings.Repeat("x", 300) + `"`},
		{[]byte("hi"), `"aGk="`},
		{[]any{1, "a", []any{}, map[string]any{}}, `[1,"a",[],{}]`},
		{ordered{Z: 1, A: "b"}, `{"z":1,"a":"b"}`},
		{map[int]string{7: "seven"}, `{"7":"seven"}`},
		{make([]int, 20), `[` + strings.TrimSuffix(strings.Repeat("0,", 20), ",") + `]`},
		{time.Date(2024, 5, 6, 7, 8, 9, 10, time.UTC), `"2024-05-06T07:08:09.00000001Z"`},
		{time.Unix(1700000000, 0).UTC(), `"2023-11-14T22:13:20Z"`},
	}
	for _, c := range cases {
		b, err := msgpack.Marshal(c.v)
		if err != nil {
			t.Fatal(err)
		}
		b = append(b, 0xc0) // a next value, which must be left alone
		got, n, err := msgpackToJSON(nil, b)
		if err != nil || string(got) != c.want || n != len(b)-1 {
			t.Errorf("%#v: got %s, %d bytes, %v; want %s, %d bytes", c.v, got, n, err, c.want, len(b)-1)
		}
		if !json.Valid(got) {
			t.Errorf("%#v: %s is not JSON", c.v, got)
		}
	}
}

// Bytes that end inside a value are short, whatever lengths they declare;
// bytes that are not msgpack say so.
func TestMsgpackToJSONShortAndBad(t *testing.T) {
	whole, _ := msgpack.Marshal([]any{0, 1, "Arith.Multiply", []any{map[string]int{"A": 7}}})
	for i := range len(whole) {
		if _, _, err := msgpackToJSON(nil, whole[:i]); !errors.Is(err, errShort) {
			t.Errorf("%d of %d bytes: got %v; want %v", i, len(whole), err, errShort)
		}
	}
	for _, b := range [][]byte{
		{0xdb, 0xff, 0xff, 0xff, 0xff, 'a'},  // a 4 GiB string, 1 byte of it
		{0xdd, 0xff, 0xff, 0xff, 0xff, 0x01}, // 4 billion elements, 1 of them
	} {
		if _, _, err := msgpackToJSON(nil, b); !errors.Is(err, errShort) {
			t.Errorf("% x: got %v; want %v", b, err, errShort)
		}
	}
	if _, _, err := msgpackToJSON(nil, []byte{0x91, 0xc1}); !errors.Is(err, errMsgpack) {
		t.Errorf("0xc1: got %v; want %v", err, errMsgpack)
	}
	deep := append(bytes.Repeat([]byte{0x91}, codec.MaxDepth+2), 0xc0)
	if _, _, err := msgpackToJSON(nil, deep); !errors.Is(err, errMsgpack) {
		t.Errorf("%d levels: got %v; want %v", codec.MaxDepth+2, err, errMsgpack)
	}
}

// An extension that is not a timestamp shows its type and data.
func TestMsgpackToJSONExtension(t *testing.T) {
	got, _, err := msgpackToJSON(nil, []byte{0xd5, 0x05, 0xab, 0xcd})
	if want := `{"ext":5,"data":"q80="}`; err != nil || string(got) != want {
		t.Fatalf("got %s, %v; want %s", got, err, want)
	}
}

func FuzzMsgpackToJSON(f *testing.F) {
	for _, v := range []any{nil, 1, "a", []any{0, 1, "M", []any{map[string]any{"A": 1.5}}}, []byte{1}} {
		b, _ := msgpack.Marshal(v)
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		got, n, err := msgpackToJSON(nil, b)
		if err == nil && (!json.Valid(got) || n > len(b)) {
			t.Fatalf("% x: %s (%d bytes)", b, got, n)
		}
	})
}
