package main_test

import (
	"strconv"
	"testing"

	"github.com/duplexrpc/duplex/codec"
)

// A stream's items print one a line, on every wire duplex speaks (under
// lsp, from LSP's partial results); -stream makes a plain method's reply
// the one item; a stream's error exits 1 with the remote's text.
func TestCallStream(t *testing.T) {
	for _, c := range codec.All() {
		if c == codec.Gob {
			continue // duplex refuses gob: it needs Go types
		}
		t.Run(c.Name(), func(t *testing.T) {
			t.Parallel()
			srv := start(t, arith, "-listen", "127.0.0.1:0", "-codec", c.Name())
			addr := srv.address(t)
			if c == codec.LSP {
				// Under lsp, a plain call gets the items in its answer.
				duplexRun(t, "call", "-codec", c.Name(), "-dialect", "lsp", addr, "Arith.Count", `{"N": 2}`).want(t, 0, "[\n  1,\n  2\n]\n")
			}
			duplexRun(t, "call", "-codec", c.Name(), "-stream", addr, "Arith.Count", `{"N": 3, "EveryMs": 1}`).want(t, 0, "1\n2\n3\n")
			if c != codec.LSP { // without -stream: called again as a stream
				duplexRun(t, "call", "-codec", c.Name(), addr, "Arith.Count", `{"N": 3, "EveryMs": 1}`).want(t, 0, "1\n2\n3\n")
			}
			duplexRun(t, "call", "-codec", c.Name(), "-stream", addr, "Arith.Count", `{"N": 2}`).want(t, 0, "1\n2\n")
			duplexRun(t, "call", "-codec", c.Name(), "-stream", addr, "Arith.Multiply", `{"A": 7, "B": 8}`).want(t, 0, "56\n")
			duplexRun(t, "call", "-codec", c.Name(), addr, "Arith.Count", `{"N": -1}`).want(t, 1, "", "N is -1")
			if code := srv.interrupt(t); code != 0 {
				t.Errorf("arith exited with %d", code)
			}
		})
	}
}

// Items print as they come, not when the stream ends: the second of sixty
// items, one every 200 ms, is on stdout while the call still runs.
func TestCallStreamPrintsAsItComes(t *testing.T) {
	for _, c := range []codec.Codec{codec.Msgpack, codec.LSP} {
		t.Run(c.Name(), func(t *testing.T) {
			t.Parallel()
			srv := start(t, arith, "-listen", "127.0.0.1:0", "-codec", c.Name())
			call := start(t, duplex, "call", "-codec", c.Name(), "-stream", srv.address(t), "Arith.Count", `{"N": 60, "EveryMs": 200}`)
			for i := 1; i <= 2; i++ {
				call.waitLine(t, strconv.Itoa(i))
			}
			if call.hasExited() {
				t.Fatalf("the call ended after two items of sixty: %v", call)
			}
			if code := call.interrupt(t); code == 0 {
				t.Errorf("an interrupted stream exited 0: %v", call)
			}
		})
	}
}
