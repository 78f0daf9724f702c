package main

import (
	"flag"
	"io"
	"reflect"
	"testing"
)

// Flags may come before, between and after the arguments; "--" ends them;
// a negative number is an argument unless it is a flag's value.
func TestParseArgs(t *testing.T) {
	cases := []struct {
		args    []string
		pos     []string
		codec   string
		verbose bool
		data    string
	}{
		{[]string{"URL", "M"}, []string{"URL", "M"}, "msgpack", false, ""},
		{[]string{"-codec", "jsonrpc2", "URL", "M", "1"}, []string{"URL", "M", "1"}, "jsonrpc2", false, ""},
		{[]string{"URL", "-v", "M", "-codec=jsonrpc", "[1]"}, []string{"URL", "M", "[1]"}, "jsonrpc", true, ""},
		{[]string{"URL", "M", "-5"}, []string{"URL", "M", "-5"}, "msgpack", false, ""},
		{[]string{"URL", "M", "-d", "-5", "-v"}, []string{"URL", "M"}, "msgpack", true, "-5"},
		{[]string{"-v", "URL", "--", "M", "-codec"}, []string{"URL", "M", "-codec"}, "msgpack", true, ""},
		{[]string{"URL", "M", "-1.5e3", "-v"}, []string{"URL", "M", "-1.5e3"}, "msgpack", true, ""},
		{[]string{"-d", "@-"}, nil, "msgpack", false, "@-"},
	}
	for _, c := range cases {
		fs := flag.NewFlagSet("test", flag.ContinueOnError)
		fs.SetOutput(io.Discard)
		o := new(options)
		o.codecFlag(fs)
		o.paramFlags(fs)
		o.outputFlags(fs)
		pos, err := parseArgs(fs, c.args)
		if err != nil || !reflect.DeepEqual(pos, c.pos) || o.codec != c.codec || o.verbose != c.verbose || o.data != c.data {
			t.Errorf("%q: got %q, codec %q, -v %v, -d %q, %v; want %q, %q, %v, %q",
				c.args, pos, o.codec, o.verbose, o.data, err, c.pos, c.codec, c.verbose, c.data)
		}
	}
	fs := flag.NewFlagSet("test", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	if _, err := parseArgs(fs, []string{"URL", "-nope"}); err == nil {
		t.Error("an unknown flag after an argument was taken")
	}
}

// What an -exec command prints is its JSON, or its text as a string.
func TestOutputJSON(t *testing.T) {
	for out, want := range map[string]string{
		"":               `null`,
		"\n":             `null`,
		"42\n":           `42`,
		` {"a": 1} `:     `{"a": 1}`,
		"hello\n":        `"hello"`,
		"1 2\n":          `"1 2"`,
		"two\nlines\r\n": `"two\nlines"`,
	} {
		if got := outputJSON([]byte(out)); string(got) != want {
			t.Errorf("%q: got %s; want %s", out, got, want)
		}
	}
}

// JSON numbers become the Go numbers a msgpack engine encodes as such.
func TestGoValue(t *testing.T) {
	got, err := goValue([]byte(`{"i": -3, "u": 18446744073709551615, "f": 1.5, "e": 1e3, "l": [1, "a", null, true]}`))
	want := map[string]any{"i": int64(-3), "u": uint64(18446744073709551615), "f": 1.5, "e": 1000.0, "l": []any{int64(1), "a", nil, true}}
	if err != nil || !reflect.DeepEqual(got, want) {
		t.Fatalf("got %#v, %v; want %#v", got, err, want)
	}
	if _, err := goValue([]byte(`{`)); err == nil {
		t.Fatal("bad JSON was taken")
	}
}
