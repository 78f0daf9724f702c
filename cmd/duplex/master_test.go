package main_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/duplexrpc/duplex/codec"
	"github.com/duplexrpc/duplex/internal/rpctest"
	"github.com/duplexrpc/duplex/peer"
	"github.com/duplexrpc/duplex/transport"
)

// dialGoWorker connects a Go worker serving Arith and Echo to a master at
// url, until the test ends.
func dialGoWorker(t testing.TB, url string, c codec.Codec, topts *transport.Options) *peer.Peer {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	conn, err := transport.Dial(ctx, url, topts)
	if err != nil {
		t.Fatal(err)
	}
	p, err := peer.New(conn, c, func(_ *peer.Peer, r *peer.Registry) error {
		return errors.Join(r.Register(new(rpctest.Arith)), r.Register(new(rpctest.Echo)), r.Register(Beside{}))
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { p.Close() })
	return p
}

// The master calls a Go worker as it connects and prints the reply, and
// answers the worker's own call with its argument, over every transport
// and codec.
func TestMasterCallsGoWorker(t *testing.T) {
	for _, scheme := range schemes {
		for _, c := range codecs {
			t.Run(scheme+"/"+c.Name(), func(t *testing.T) {
				t.Parallel()
				m := start(t, duplex, "master", "-listen", listenURL(t, scheme), "-codec", c.Name(),
					"-call", "Arith.Multiply", `{"A": 6, "B": 7}`)
				addr := m.address(t)
				if !strings.HasPrefix(addr, scheme+"://") {
					t.Fatalf("listening on %q", addr)
				}
				p := dialGoWorker(t, addr, c, nil)
				var hello string
				if err := p.Call(context.Background(), "Master.Hello", "w1", &hello); err != nil || hello != "w1" {
					t.Fatalf(`Master.Hello("w1") = %q, %v; want "w1"`, hello, err)
				}
				m.waitFor(t, "the worker connecting", func(l string) bool { return strings.HasPrefix(l, "master: worker 1 connected") })
				m.waitLine(t, "master: worker 1: Arith.Multiply -> 42")
				m.waitLine(t, `master: worker 1: Master.Hello "w1" -> "w1"`)
				p.Close()
				m.waitFor(t, "the worker leaving", func(l string) bool { return strings.HasPrefix(l, "master: worker 1 left (") })
				if code := m.interrupt(t); code != 0 {
					t.Fatalf("exit %d; want 0: %v", code, m)
				}
			})
		}
	}
}

// With -n the master exits once that many workers have had their calls,
// with the exit code of the worst call; several calls from stdin are made
// on each worker in turn.
func TestMasterCount(t *testing.T) {
	for _, tc := range []struct {
		stdin string
		code  int
		lines []string
	}{
		{`{"A": 6, "B": 3} {"A": 8, "B": 4}`, 0, []string{
			`master: worker 1: Arith.Divide -> {"Quo":2,"Rem":0}`, `master: worker 1: Arith.Divide -> {"Quo":2,"Rem":0}`,
			`master: worker 2: Arith.Divide -> {"Quo":2,"Rem":0}`, `master: worker 2: Arith.Divide -> {"Quo":2,"Rem":0}`,
		}},
		{`{"A": 1, "B": 0} {"A": 8, "B": 4}`, 1, []string{
			"master: worker 1: Arith.Divide -> error: divide by zero", `master: worker 1: Arith.Divide -> {"Quo":2,"Rem":0}`,
		}},
	} {
		t.Run(fmt.Sprint(tc.code), func(t *testing.T) {
			t.Parallel()
			m := startWithStdin(t, tc.stdin, duplex, "master", "-listen", "127.0.0.1:0", "-n", "2", "-d", "@-", "-call", "Arith.Divide")
			addr := m.address(t)
			dialGoWorker(t, addr, codec.Msgpack, nil)
			m.waitFor(t, "worker 1's calls", func(l string) bool { return strings.HasPrefix(l, "master: worker 1: ") })
			dialGoWorker(t, addr, codec.Msgpack, nil)
			if code := m.wait(t); code != tc.code {
				t.Fatalf("exit %d; want %d: %v", code, tc.code, m)
			}
			for _, want := range tc.lines {
				m.waitLine(t, want)
			}
		})
	}
}

// Against examples/masterworker's worker, as its users run it: the master
// answers its hello and calls its Echo.Echo.
func TestMasterAgainstMasterworker(t *testing.T) {
	m := start(t, duplex, "master", "-listen", listenURL(t, "ws"), "-call", "Echo.Echo", `"hi"`)
	w := start(t, masterworker, "worker", "-connect", m.address(t), "-name", "w1")
	m.waitLine(t, `master: worker 1: Master.Hello "w1" -> "w1"`)
	m.waitLine(t, `master: worker 1: Echo.Echo -> "hi"`)
	w.waitLine(t, `worker w1: echoing "hi"`)
	w.waitLine(t, `worker w1: the master answered "w1"`)
	if code := w.interrupt(t); code != 0 {
		t.Errorf("the worker exited with %d: %v", code, w)
	}
	if code := m.interrupt(t); code != 0 {
		t.Errorf("the master exited with %d: %v", code, m)
	}
}
