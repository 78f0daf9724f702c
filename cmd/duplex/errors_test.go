package main_test

import (
	"encoding/json"
	"errors"
	"net"
	"strings"
	"testing"

	"github.com/duplexrpc/duplex/codec"
)

// A bad command line exits with 2 and says what is wrong in one line,
// before anything is dialed.
func TestUsageErrors(t *testing.T) {
	addr := freeAddr(t) // nothing listens: a usage error must come first
	cases := []struct {
		name  string
		stdin string
		args  []string
		says  string
	}{
		{"no command", "", nil, "Usage: duplex COMMAND"},
		{"unknown command", "", []string{"frobnicate"}, `unknown command "frobnicate"`},
		{"no method", "", []string{"call", addr}, "want URL and Service.Method"},
		{"unknown flag", "", []string{"call", "-nope", addr, "A.B"}, "flag provided but not defined: -nope"},
		{"gob", "", []string{"call", "-codec", "gob", addr, "A.B", "1"}, "gob needs the Go types"},
		{"unknown codec", "", []string{"call", "-codec", "xml", addr, "A.B", "1"}, `-codec "xml"`},
		{"bad JSON", "", []string{"call", addr, "A.B", "{"}, "the JSON argument is not JSON"},
		{"two JSON arguments", "", []string{"call", addr, "A.B", "1", "2"}, "one JSON argument at most"},
		{"params not a list", "", []string{"call", addr, "A.B", "-params", `{"a": 1}`}, "-params must be a JSON array"},
		{"params twice", "", []string{"call", addr, "A.B", "1", "-d", "2"}, "give the params once"},
		{"no such file", "", []string{"call", addr, "A.B", "-d", "@/no/such/file"}, "no such file"},
		{"empty stdin", "", []string{"call", addr, "A.B", "-d", "@-"}, "no JSON value in it"},
		{"bad JSON on stdin", "{", []string{"call", addr, "A.B", "-d", "@-"}, "-d @-: JSON value 1"},
		{"TLS flags on TCP", "", []string{"call", "-insecure", addr, "A.B"}, "TLS flags apply to tls:// and wss://"},
		{"batch over msgpack", "", []string{"call", "-batch", addr, "A.B", "1"}, "-batch is JSON-RPC 2.0's"},
		{"unknown scheme", "", []string{"call", "ftp://" + addr, "A.B", "1"}, "unknown address scheme"},
		{"worker without master", "", []string{"worker"}, "want -connect URL"},
		{"master without address", "", []string{"master"}, "want -listen URL"},
		{"master params without call", "", []string{"master", "-listen", addr, "1"}, "params go with -call"},
		{"TLS listener without certificate", "", []string{"master", "-listen", "tls://" + addr}, "needs -cert and -key"},
		{"-H without =", "", []string{"call", "-H", "traceparent", addr, "A.B"}, `duplex: invalid value "traceparent" for flag -H: want key=value (see duplex call -h)`},
		{"-H with an empty key", "", []string{"notify", addr, "A.B", "-H", "=x"}, `duplex: invalid value "=x" for flag -H: the key is empty: want key=value (see duplex notify -h)`},
		{"-H twice", "", []string{"call", "-H", "a=1", "-H", "a=2", addr, "A.B"}, `invalid value "a=2" for flag -H: the key "a" is given twice`},
		{"-H progressToken", "", []string{"call", "-H", "progressToken=7", addr, "A.B"}, `invalid value "progressToken=7" for flag -H: progressToken is the progress machinery's own`},
		{"-H on master without call", "", []string{"master", "-listen", addr, "-H", "a=1"}, "-H goes with -call"},
		{"-H with batch", "", []string{"call", "-codec", "jsonrpc2", "-batch", "-H", "a=1", addr, "A.B", "1"}, "-batch takes no -H, -progress or -dialect"},
		{"unknown dialect on call", "", []string{"call", "-dialect", "grpc", addr, "A.B"}, `duplex: -dialect "grpc": want one of default, lsp, mcp (see duplex call -h)`},
		{"unknown dialect on list", "", []string{"list", "-dialect", "grpc", addr}, `-dialect "grpc": want one of default, lsp, mcp`},
		{"unknown dialect on worker", "", []string{"worker", "-dialect", "grpc", "-connect", addr}, `-dialect "grpc": want one of default, lsp, mcp`},
		{"unknown dialect on master", "", []string{"master", "-dialect", "grpc", "-listen", addr}, `-dialect "grpc": want one of default, lsp, mcp`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			r := run(t, c.stdin, duplex, c.args...)
			if r.code != 2 || r.stdout != "" || !strings.Contains(r.stderr, c.says) {
				t.Fatalf("got %v\nwant exit 2 saying %q", r, c.says)
			}
			if len(c.args) > 0 && strings.Count(strings.TrimSpace(r.stderr), "\n") > 0 {
				t.Errorf("the error takes more than one line:\n%s", r.stderr)
			}
		})
	}
}

// No connection, a lost one, or no answer in time: exit 3.
func TestConnectionErrors(t *testing.T) {
	t.Run("refused", func(t *testing.T) {
		t.Parallel()
		addr := freeAddr(t)
		duplexRun(t, "call", addr, "Arith.Multiply", "1").want(t, 3, "", "cannot connect to "+addr, "refused")
		duplexRun(t, "worker", "-connect", addr).want(t, 3, "", "cannot connect to "+addr)
	})
	t.Run("connect timeout", func(t *testing.T) {
		t.Parallel()
		// A listener that accepts and never answers the WebSocket upgrade.
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		defer ln.Close()
		go func() {
			for {
				c, err := ln.Accept()
				if err != nil {
					return
				}
				defer c.Close()
			}
		}()
		duplexRun(t, "call", "-connect-timeout", "300ms", "ws://"+ln.Addr().String()+"/rpc", "A.B", "1").
			want(t, 3, "", "cannot connect to ws://"+ln.Addr().String()+"/rpc within 300ms")
	})
	t.Run("call timeout", func(t *testing.T) {
		t.Parallel()
		s := startServer(t, listenURL(t, "tcp"), codec.Msgpack, false, nil)
		duplexRun(t, "call", "-timeout", "200ms", s.url, "Sleep.Ms", "60000").
			want(t, 3, "", "duplex: Sleep.Ms: no answer within 200ms")
	})
	t.Run("wrong codec", func(t *testing.T) {
		t.Parallel()
		s := startServer(t, listenURL(t, "tcp"), codec.JSONRPC2, false, nil)
		duplexRun(t, "call", "-codec", "msgpack", s.url, "Arith.Multiply", `{"A": 1, "B": 2}`).
			want(t, 3, "", "the other end speaks another wire format", "this end speaks msgpack")
	})
	t.Run("plain TCP to a WebSocket listener", func(t *testing.T) {
		t.Parallel()
		s := startServer(t, listenURL(t, "ws"), codec.JSONRPC2, false, nil)
		hostPort := strings.TrimSuffix(strings.TrimPrefix(s.url, "ws://"), "/rpc")
		duplexRun(t, "call", "-codec", "jsonrpc2", hostPort, "Arith.Multiply", `{"A": 1, "B": 2}`).
			want(t, 3, "", `answered in HTTP ("HTTP/1.1 400 Bad Request")`, "ws://", "this end speaks jsonrpc2")
	})
	t.Run("worker of the wrong codec", func(t *testing.T) {
		t.Parallel()
		s := startServer(t, listenURL(t, "tcp"), codec.JSONRPC2, false, nil)
		r := duplexRun(t, "worker", "-codec", "msgpack", "-connect", s.url)
		r.want(t, 3, r.stdout, "the other end speaks another wire format", "this end speaks msgpack")
		r = duplexRun(t, "worker", "-redial", "-codec", "msgpack", "-connect", s.url)
		r.want(t, 3, r.stdout, "the other end speaks another wire format", "3 connections in a row")
	})
}

// With -json-errors every error is one JSON object on stderr: the exit
// status under "exit", and for a remote error the remote's "code",
// "message" and "data", as it sent them.
func TestJSONErrors(t *testing.T) {
	s := startServer(t, listenURL(t, "tcp"), codec.Msgpack, false, nil)
	j := startServer(t, listenURL(t, "tcp"), codec.JSONRPC2, true, nil)
	refused := `{"error":"bad field","exit":1,"kind":"remote","method":"Beside.Refuse","code":-32602,"message":"bad field","data":{"field":"A"}}` + "\n"
	remote := []struct {
		args []string
		want string
	}{
		{[]string{"call", "-json-errors", s.url, "Arith.Divide", `{"A": 1, "B": 0}`},
			`{"error":"divide by zero","exit":1,"kind":"remote","method":"Arith.Divide","code":0,"message":"divide by zero"}` + "\n"},
		{[]string{"call", s.url, "Arith.Nope", "1", "-json-errors"},
			`{"error":"rpc: can't find method Arith.Nope","exit":1,"kind":"remote","method":"Arith.Nope","code":-32601,"message":"rpc: can't find method Arith.Nope"}` + "\n"},
		{[]string{"call", "-json-errors", s.url, "Beside.Refuse", `"A"`}, refused},
		{[]string{"call", "-json-errors", "-codec", "jsonrpc2", j.url, "Beside.Refuse", `"A"`}, refused},
		{[]string{"call", "-json-errors", "-codec", "jsonrpc2", j.url, "Arith.Divide", `{"A": 1, "B": 0}`},
			`{"error":"divide by zero","exit":1,"kind":"remote","method":"Arith.Divide","code":-32000,"message":"divide by zero"}` + "\n"},
		{[]string{"call", "-json-errors", "-codec", "jsonrpc2", j.url, "Arith.Nope", "1"},
			`{"error":"rpc: can't find method Arith.Nope; the remote lists its methods: duplex list -codec jsonrpc2 ` + j.url + ` Arith.","exit":1,"kind":"remote","method":"Arith.Nope","code":-32601,"message":"rpc: can't find method Arith.Nope"}` + "\n"},
		{[]string{"list", "-json-errors", s.url},
			`{"error":"rpc: can't find service duplex.Methods: the remote does not serve introspection (a Go peer opts in with Registry.RegisterIntrospection)","exit":1,"kind":"remote","method":"duplex.Methods","code":-32601,"message":"rpc: can't find service duplex.Methods"}` + "\n"},
	}
	for _, c := range remote {
		r := run(t, "", duplex, c.args...)
		if r.code != 1 || r.stdout != "" || r.stderr != c.want {
			t.Errorf("%q: got %v\nwant exit 1 and stderr:\n%s", c.args, r, c.want)
		}
	}

	type jsonError struct {
		Error  string `json:"error"`
		Exit   int    `json:"exit"`
		Kind   string `json:"kind"`
		Method string `json:"method"`
	}
	local := []struct {
		args []string
		want jsonError
	}{
		{[]string{"call", "-json-errors", "-timeout", "100ms", s.url, "Sleep.Ms", "60000"}, jsonError{"no answer within 100ms", 3, "timeout", "Sleep.Ms"}},
		{[]string{"call", "-json-errors", "-codec", "gob", s.url, "A.B"}, jsonError{Exit: 2, Kind: "usage"}},
		{[]string{"call", "-json-errors", "-bad"}, jsonError{Exit: 2, Kind: "usage"}},
		{[]string{"call", "-json-errors", "-H", "nokey", s.url, "A.B"}, jsonError{Exit: 2, Kind: "usage"}},
		{[]string{"call", "-json-errors", freeAddr(t), "A.B"}, jsonError{Exit: 3, Kind: "connection"}},
	}
	for _, c := range local {
		r := run(t, "", duplex, c.args...)
		var got jsonError
		var fields map[string]any
		if err := errors.Join(json.Unmarshal([]byte(r.stderr), &got), json.Unmarshal([]byte(r.stderr), &fields)); err != nil || strings.Count(r.stderr, "\n") != 1 {
			t.Fatalf("%q: stderr is not one JSON object (%v): %v", c.args, err, r)
		}
		if c.want.Error == "" {
			got.Error = ""
		}
		if r.code != c.want.Exit || got != c.want {
			t.Errorf("%q: got %+v, exit %d; want %+v", c.args, got, r.code, c.want)
		}
		for _, remoteOnly := range []string{"code", "message", "data"} {
			if _, ok := fields[remoteOnly]; ok {
				t.Errorf("%q: a local error has %q: %s", c.args, remoteOnly, r.stderr)
			}
		}
	}
}

// Each command's -h says how to use it, on stdout, and exits 0.
func TestHelp(t *testing.T) {
	r := duplexRun(t, "-h")
	for _, cmd := range []string{"call", "notify", "list", "worker", "master"} {
		if r.code != 0 || !strings.Contains(r.stdout, "\n  "+cmd+" ") {
			t.Errorf("duplex -h does not list %s: %v", cmd, r)
		}
		t.Run(cmd, func(t *testing.T) {
			t.Parallel()
			h := duplexRun(t, cmd, "-h")
			for _, want := range []string{"Usage: duplex " + cmd, "-codec", "-json-errors", "-v", "Exit codes: 0 ok, 1 remote error, 2 usage, 3 connection or timeout"} {
				if h.code != 0 || !strings.Contains(h.stdout, want) {
					t.Errorf("duplex %s -h says no %q: %v", cmd, want, h)
				}
			}
			if help := duplexRun(t, "help", cmd); help.stdout != h.stdout {
				t.Errorf("duplex help %s differs from duplex %s -h", cmd, cmd)
			}
			if !strings.Contains(h.stdout, "-dialect") {
				t.Errorf("duplex %s -h says no -dialect", cmd)
			}
			if cmd != "worker" && !strings.Contains(h.stdout, "-H key=value") {
				t.Errorf("duplex %s -h says no -H key=value", cmd)
			}
		})
	}
}
