package main_test

import (
	"encoding/json"
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

// With -json-errors every error is one JSON object on stderr.
func TestJSONErrors(t *testing.T) {
	s := startServer(t, listenURL(t, "tcp"), codec.Msgpack, false, nil)
	type jsonError struct {
		Error  string `json:"error"`
		Code   int    `json:"code"`
		Kind   string `json:"kind"`
		Method string `json:"method"`
	}
	cases := []struct {
		args []string
		want jsonError
	}{
		{[]string{"call", "-json-errors", s.url, "Arith.Divide", `{"A": 1, "B": 0}`}, jsonError{"divide by zero", 1, "remote", "Arith.Divide"}},
		{[]string{"call", s.url, "Arith.Nope", "1", "-json-errors"}, jsonError{"rpc: can't find method Arith.Nope", 1, "remote", "Arith.Nope"}},
		{[]string{"call", "-json-errors", "-timeout", "100ms", s.url, "Sleep.Ms", "60000"}, jsonError{"no answer within 100ms", 3, "timeout", "Sleep.Ms"}},
		{[]string{"call", "-json-errors", "-codec", "gob", s.url, "A.B"}, jsonError{Code: 2, Kind: "usage"}},
		{[]string{"call", "-json-errors", "-bad"}, jsonError{Code: 2, Kind: "usage"}},
		{[]string{"list", "-json-errors", s.url}, jsonError{Code: 1, Kind: "remote", Method: "duplex.Methods"}},
		{[]string{"call", "-json-errors", freeAddr(t), "A.B"}, jsonError{Code: 3, Kind: "connection"}},
	}
	for _, c := range cases {
		r := run(t, "", duplex, c.args...)
		var got jsonError
		if err := json.Unmarshal([]byte(r.stderr), &got); err != nil || strings.Count(r.stderr, "\n") != 1 {
			t.Fatalf("%q: stderr is not one JSON object (%v): %v", c.args, err, r)
		}
		if c.want.Error == "" {
			got.Error = ""
		}
		if r.code != c.want.Code || got != c.want {
			t.Errorf("%q: got %+v, exit %d; want %+v", c.args, got, r.code, c.want)
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
			if (cmd == "call" || cmd == "notify") && !strings.Contains(h.stdout, "There is no -H") {
				t.Errorf("duplex %s -h does not say why there is no -H", cmd)
			}
		})
	}
}
