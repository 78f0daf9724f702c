package main_test

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"

	"github.com/duplexrpc/duplex/codec"
)

// The transports and codecs every behaviour is checked over.
var (
	schemes = []string{"tcp", "unix", "ws", "http"}
	codecs  = []codec.Codec{codec.Msgpack, codec.JSONRPC, codec.JSONRPC2}
)

// forEach runs body in parallel for every transport and codec, against a
// server of this process.
func forEach(t *testing.T, body func(t *testing.T, s *server, c codec.Codec)) {
	for _, scheme := range schemes {
		for _, c := range codecs {
			t.Run(scheme+"/"+c.Name(), func(t *testing.T) {
				t.Parallel()
				s := startServer(t, listenURL(t, scheme), c, false, nil)
				body(t, s, c)
			})
		}
	}
}

// A call with one param, with several, one that fails remotely, and
// several calls read from stdin on one connection.
func TestCall(t *testing.T) {
	forEach(t, func(t *testing.T, s *server, c codec.Codec) {
		name := c.Name()
		duplexRun(t, "call", "-codec", name, s.url, "Arith.Multiply", `{"A": 7, "B": 8}`).want(t, 0, "56\n")
		duplexRun(t, "call", "-codec", name, s.url, "Echo.Sum", "-params", "[1, 2, 3]").want(t, 0, "6\n")
		duplexRun(t, "call", "-codec", name, s.url, "Arith.Divide", `{"A": 17, "B": 5}`).want(t, 0, "{\n  \"Quo\": 3,\n  \"Rem\": 2\n}\n")
		// JSON-RPC 2.0 always carries a code: -32000 for a plain error.
		code := map[codec.Codec]string{codec.JSONRPC2: " -32000"}[c]
		r := duplexRun(t, "call", "-codec", name, s.url, "Arith.Divide", `{"A": 1, "B": 0}`)
		r.want(t, 1, "")
		if want := "duplex: Arith.Divide: remote error" + code + ": divide by zero\n"; r.stderr != want {
			t.Errorf("stderr:\n%s\nwant:\n%s", r.stderr, want)
		}
		stdin := `{"A": 1, "B": 2}
			{"A": 3, "B": 0} {"A": 5, "B": 6}`
		run(t, stdin, duplex, "call", "-codec", name, "-d", "@-", s.url, "Arith.Multiply").want(t, 0, "2\n0\n30\n")
		run(t, "[1, 2] [3] []", duplex, "call", "-codec", name, "-params", "@-", s.url, "Echo.Sum").want(t, 0, "3\n3\n0\n")
	})
}

// Several calls on stdin go on, past a remote error, on one connection;
// the exit code is the remote error's.
func TestCallStreamGoesOnPastRemoteErrors(t *testing.T) {
	s := startServer(t, listenURL(t, "tcp"), codec.Msgpack, false, nil)
	stdin := `{"A": 6, "B": 3} {"A": 1, "B": 0} {"A": 9, "B": 3}`
	r := run(t, stdin, duplex, "call", "-d", "@-", s.url, "Arith.Divide")
	r.want(t, 1, "{\n  \"Quo\": 2,\n  \"Rem\": 0\n}\n{\n  \"Quo\": 3,\n  \"Rem\": 0\n}\n", "divide by zero")
}

// Calls are made as their params are read from stdin: a bad value there
// ends the stream with a usage error, after the calls before it.
func TestCallStreamStopsAtBadJSON(t *testing.T) {
	s := startServer(t, listenURL(t, "tcp"), codec.Msgpack, false, nil)
	r := run(t, `"a" "b" {`, duplex, "call", "-d", "@-", s.url, "Echo.Upper")
	r.want(t, 2, "\"A\"\n\"B\"\n", "-d @-: JSON value 3")
}

// JSON goes to the remote and back unchanged, through every codec,
// msgpack-ugorji's included.
func TestCallRoundTripsJSON(t *testing.T) {
	in := `{"Name": "outer \"q\" ç 🌍 <&>", "Tags": ["a", ""], "Counts": {"one": 1, "big": 9007199254740993},
		"Inner": {"X": -1.5, "Bytes": null}, "List": [{"X": 1e-7, "Bytes": null}]}`
	var want any
	if err := json.Unmarshal([]byte(in), &want); err != nil {
		t.Fatal(err)
	}
	for _, c := range append(codecs, codec.MsgpackUgorji) {
		t.Run(c.Name(), func(t *testing.T) {
			t.Parallel()
			s := startServer(t, listenURL(t, "tcp"), c, false, nil)
			r := duplexRun(t, "call", "-codec", c.Name(), s.url, "Echo.Nested", in)
			var got any
			if err := json.Unmarshal([]byte(r.stdout), &got); r.code != 0 || err != nil || !reflect.DeepEqual(got, want) {
				t.Fatalf("got %v (%v)\nwant %s", r, err, in)
			}
			if !strings.Contains(r.stdout, "9007199254740993") {
				t.Errorf("an integer lost its precision: %s", r.stdout)
			}
		})
	}
}

// Notify sends a notification and exits 0, whether or not the method
// exists.
func TestNotify(t *testing.T) {
	for _, c := range codecs {
		t.Run(c.Name(), func(t *testing.T) {
			t.Parallel()
			s := startServer(t, listenURL(t, "tcp"), c, false, nil)
			duplexRun(t, "notify", "-codec", c.Name(), s.url, "Notes.Add", `"one"`).want(t, 0, "")
			duplexRun(t, "notify", "-codec", c.Name(), s.url, "Nope.Nothing", `1`).want(t, 0, "")
			run(t, `"two" "three"`, duplex, "notify", "-codec", c.Name(), "-d", "@-", s.url, "Notes.Add").want(t, 0, "")
			s.wantNotes(t, "one", "three", "two")
		})
	}
}

// -batch sends the calls as one JSON-RPC 2.0 batch and prints the answers
// in their order.
func TestBatch(t *testing.T) {
	s := startServer(t, listenURL(t, "ws"), codec.JSONRPC2, false, nil)
	stdin := `{"A": 6, "B": 3} {"A": 1, "B": 0} {"A": 9, "B": 3}`
	r := run(t, stdin, duplex, "call", "-codec", "jsonrpc2", "-batch", "-v", "-d", "@-", s.url, "Arith.Divide")
	r.want(t, 1, "{\n  \"Quo\": 2,\n  \"Rem\": 0\n}\n{\n  \"Quo\": 3,\n  \"Rem\": 0\n}\n",
		"duplex: Arith.Divide (call 2 of the batch): remote error -32000: divide by zero\n",
		`--> `, `[{"jsonrpc":"2.0","method":"Arith.Divide","params":[{"A":6,"B":3}],"id":1},`)
	if n := strings.Count(r.stderr, "--> "); n != 1 {
		t.Errorf("the batch went out in %d frames; want 1:\n%s", n, r.stderr)
	}

	run(t, `"a" "b"`, duplex, "notify", "-codec", "jsonrpc2", "-batch", "-d", "@-", s.url, "Notes.Add").want(t, 0, "")
	s.wantNotes(t, "a", "b")

	// The answer is read in the frames of each framed codec.
	for _, c := range []codec.Codec{codec.LSP, codec.JSONRPC2Lines} {
		s := startServer(t, listenURL(t, "tcp"), c, false, nil)
		run(t, stdin, duplex, "call", "-codec", c.Name(), "-batch", "-d", "@-", s.url, "Arith.Divide").want(t, 1,
			"{\n  \"Quo\": 2,\n  \"Rem\": 0\n}\n{\n  \"Quo\": 3,\n  \"Rem\": 0\n}\n",
			"duplex: Arith.Divide (call 2 of the batch): remote error -32000: divide by zero\n")
	}
}

// Against examples/arith, run as its users run it, over each codec and
// transport: calls, a remote error and list.
func TestArith(t *testing.T) {
	type target struct{ scheme, codec string }
	var targets []target
	for _, c := range codecs {
		targets = append(targets, target{"tcp", c.Name()})
	}
	for _, s := range schemes[1:] {
		targets = append(targets, target{s, "jsonrpc2"})
	}
	for _, tg := range targets {
		t.Run(tg.scheme+"/"+tg.codec, func(t *testing.T) {
			t.Parallel()
			srv := start(t, arith, "-listen", listenURL(t, tg.scheme), "-codec", tg.codec, "-introspect")
			addr := srv.address(t)
			duplexRun(t, "call", "-codec", tg.codec, addr, "Arith.Multiply", `{"A": 7, "B": 8}`).want(t, 0, "56\n")
			duplexRun(t, "call", "-codec", tg.codec, addr, "Arith.Divide", `{"A": 1, "B": 0}`).want(t, 1, "", "divide by zero")
			duplexRun(t, "call", "-codec", tg.codec, addr, "Arith.Wait", "10").want(t, 0, "\"done\"\n")
			duplexRun(t, "list", "-codec", tg.codec, addr, "Arith.").want(t, 0,
				"Arith.Count     {\"N\": int, \"EveryMs\": int}  ->  stream of int\n"+
					"Arith.Divide    {\"A\": int, \"B\": int}        ->  {\"Quo\": int, \"Rem\": int}\n"+
					"Arith.Multiply  {\"A\": int, \"B\": int}        ->  int\n"+
					"Arith.Wait      int                         ->  string\n")
			if code := srv.interrupt(t); code != 0 {
				t.Errorf("arith exited with %d", code)
			}
		})
	}
}

// Over msgpack, several params fill a struct argument in order.
func TestArithPositionalParams(t *testing.T) {
	srv := start(t, arith, "-listen", "127.0.0.1:0")
	duplexRun(t, "call", srv.address(t), "Arith.Multiply", "-params", "[7, 8]").want(t, 0, "56\n")
}

// A master that calls back while it answers gets nothing from a plain
// call, and its own argument from call -echo.
func TestCallEchoesCallsBack(t *testing.T) {
	m := start(t, masterworker, "master", "-listen", "127.0.0.1:0")
	addr := m.address(t)
	duplexRun(t, "call", addr, "Master.Hello", `"me"`).want(t, 1, "", "calling me back", "can't find service Echo.Echo")
	duplexRun(t, "call", "-echo", addr, "Master.Hello", `"me"`).
		want(t, 0, "\"hello, me (echo: ping from master)\"\n", `duplex: answered Echo.Echo "ping from master" -> "ping from master"`)
}

// The framed JSON-RPC 2.0 codecs, lsp and jsonrpc2-lines, take calls,
// params lists, remote errors, the dump and batches as jsonrpc2 does.
func TestFramedCodecs(t *testing.T) {
	for _, c := range []codec.Codec{codec.LSP, codec.JSONRPC2Lines} {
		t.Run(c.Name(), func(t *testing.T) {
			t.Parallel()
			s := startServer(t, listenURL(t, "tcp"), c, false, nil)
			name := c.Name()
			duplexRun(t, "call", "-codec", name, s.url, "Arith.Multiply", `{"A": 7, "B": 8}`).want(t, 0, "56\n")
			duplexRun(t, "call", "-codec", name, s.url, "Echo.Sum", "-params", "[1, 2, 3]").want(t, 0, "6\n")
			duplexRun(t, "call", "-codec", name, s.url, "Arith.Divide", `{"A": 1, "B": 0}`).
				want(t, 1, "", "duplex: Arith.Divide: remote error -32000: divide by zero\n")
			frame := `{"jsonrpc":"2.0","method":"Arith.Multiply","params":{"A":2,"B":3},"id":1}`
			r := duplexRun(t, "call", "-vv", "-codec", name, s.url, "Arith.Multiply", `{"A": 2, "B": 3}`)
			r.want(t, 0, "6\n", "--> ", frame, `{"jsonrpc":"2.0","id":1,"result":6}`)
			if got := strings.Contains(r.stderr, "|Content-Length: |"); got != (c == codec.LSP) {
				t.Errorf("hex dump shows an LSP header: %v; want %v\n%s", got, c == codec.LSP, r.stderr)
			}
			stdin := `{"A": 6, "B": 3} {"A": 1, "B": 0}`
			run(t, stdin, duplex, "call", "-codec", name, "-batch", "-d", "@-", s.url, "Arith.Divide").
				want(t, 1, "{\n  \"Quo\": 2,\n  \"Rem\": 0\n}\n", "(call 2 of the batch): remote error -32000: divide by zero\n")
		})
	}
}
