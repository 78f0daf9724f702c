package main_test

import (
	"fmt"
	"regexp"
	"strings"
	"testing"

	"github.com/duplexrpc/duplex/codec"
)

// -v prints each frame as it is sent and received: direction, time, size
// and the frame, decoded; -vv adds a hex dump of its bytes.
func TestDump(t *testing.T) {
	// The msgpack request, byte by byte: [0, 1, "Arith.Multiply", [{"A": 7, "B": 8}]].
	request := append(append([]byte{0x94, 0x00, 0x01, 0xae}, "Arith.Multiply"...), 0x91, 0x82, 0xa1, 'A', 7, 0xa1, 'B', 8)
	cases := []struct {
		codec codec.Codec
		sent  string
		got   string
		size  int
	}{
		{codec.Msgpack, `[0,1,"Arith.Multiply",[{"A":7,"B":8}]]`, `[1,1,null,56]`, len(request)},
		{codec.MsgpackUgorji, `[0,1,"Arith.Multiply",[{"A":7,"B":8}]]`, `[1,1,null,56]`, len(request)},
		{codec.JSONRPC, `{"method":"Arith.Multiply","params":[{"A":7,"B":8}],"id":1}`, `{"id":1,"result":56,"error":null}`, 0},
		{codec.JSONRPC2, `{"jsonrpc":"2.0","method":"Arith.Multiply","params":[{"A":7,"B":8}],"id":1}`, `{"jsonrpc":"2.0","id":1,"result":56}`, 0},
	}
	for _, c := range cases {
		t.Run(c.codec.Name(), func(t *testing.T) {
			t.Parallel()
			s := startServer(t, listenURL(t, "ws"), c.codec, false, nil)
			size := c.size
			if size == 0 {
				size = len(c.sent)
			}
			r := duplexRun(t, "call", "-v", "-codec", c.codec.Name(), s.url, "Arith.Multiply", `{"A": 7, "B": 8}`)
			r.want(t, 0, "56\n")
			want := regexp.MustCompile(`^--> \d\d:\d\d:\d\d\.\d{6} ` + fmt.Sprint(size) + ` bytes ` + regexp.QuoteMeta(c.sent) + "\n" +
				`<-- \d\d:\d\d:\d\d\.\d{6} \d+ bytes ` + regexp.QuoteMeta(c.got) + "\n$")
			if !want.MatchString(r.stderr) {
				t.Fatalf("the dump is\n%s\nwant it to match\n%s", r.stderr, want)
			}
		})
	}
	t.Run("hex", func(t *testing.T) {
		t.Parallel()
		s := startServer(t, listenURL(t, "tcp"), codec.Msgpack, false, nil)
		r := duplexRun(t, "call", "-vv", s.url, "Arith.Multiply", `{"A": 7, "B": 8}`)
		r.want(t, 0, "56\n")
		lines := strings.Split(r.stderr, "\n")
		if want := "    00000000  94 00 01 ae 41 72 69 74  68 2e 4d 75 6c 74 69 70  |....Arith.Multip|"; len(lines) < 2 || lines[1] != want {
			t.Fatalf("the hex dump is\n%s\nwant its first line\n%s", r.stderr, want)
		}
		if want := "    00000000  94 01 01 c0 38                                    |....8|"; !strings.Contains(r.stderr, want) {
			t.Fatalf("the hex dump is\n%s\nwant the answer's\n%s", r.stderr, want)
		}
	})
}
