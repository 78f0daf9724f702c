package main

import (
	"bytes"
	"fmt"
	"regexp"
	"strings"
	"testing"

	"github.com/duplexrpc/duplex/codec"
)

// dumpOf feeds the chunks to one direction's frames and returns the lines
// of the dump, without their times.
func dumpOf(msgpack, hex bool, chunks ...[]byte) []string {
	var out bytes.Buffer
	c := codec.JSONRPC2
	if msgpack {
		c = codec.Msgpack
	}
	d := &dumper{env: &env{stderr: &out}, codec: c, hex: hex}
	f := d.direction("<--")
	for _, c := range chunks {
		f.feed(c)
	}
	times := regexp.MustCompile(`\d\d:\d\d:\d\d\.\d{6}`)
	return strings.Split(strings.TrimSuffix(times.ReplaceAllString(out.String(), "T"), "\n"), "\n")
}

// bytewise splits b into chunks of one byte.
func bytewise(b []byte) [][]byte {
	var chunks [][]byte
	for i := range b {
		chunks = append(chunks, b[i:i+1])
	}
	return chunks
}

// Frames are found however the stream is cut, and white space between JSON
// frames belongs to neither.
func TestFrames(t *testing.T) {
	stream := []byte("{\"id\":0,\"result\":56}\n \n[{\"id\":1}, {\"id\":2}]\n{\"id\"")
	want := []string{`<-- T 20 bytes {"id":0,"result":56}`, `<-- T 20 bytes [{"id":1},{"id":2}]`}
	for _, chunks := range [][][]byte{{stream}, bytewise(stream)} {
		if got := dumpOf(false, false, chunks...); strings.Join(got, "\n") != strings.Join(want, "\n") {
			t.Errorf("%d chunks: got\n%s\nwant\n%s", len(chunks), strings.Join(got, "\n"), strings.Join(want, "\n"))
		}
	}
	mp := []byte{0x94, 0x01, 0x00, 0xc0, 0x38, 0x93, 0x02, 0xa1, 'M', 0x90, 0x94}
	want = []string{`<-- T 5 bytes [1,0,null,56]`, `<-- T 5 bytes [2,"M",[]]`}
	for _, chunks := range [][][]byte{{mp}, bytewise(mp)} {
		if got := dumpOf(true, false, chunks...); strings.Join(got, "\n") != strings.Join(want, "\n") {
			t.Errorf("%d chunks: got\n%s\nwant\n%s", len(chunks), strings.Join(got, "\n"), strings.Join(want, "\n"))
		}
	}
	got := dumpOf(true, true, mp[:5])
	if want := "    00000000  94 01 00 c0 38                                    |....8|"; len(got) != 2 || got[1] != want {
		t.Errorf("-vv: got\n%s\nwant a hex line\n%s", strings.Join(got, "\n"), want)
	}
}

// Bytes that are not a frame of the codec are shown once, as they came.
func TestFramesNotOfTheCodec(t *testing.T) {
	got := dumpOf(false, false, []byte("Content-Length: 2\r\n\r\n{}"))
	if len(got) != 1 || !strings.HasPrefix(got[0], `<-- T 23 bytes (not JSON: `) || !strings.HasSuffix(got[0], `"Content-Length: 2\r\n\r\n{}"`) {
		t.Errorf("got %q", got)
	}
	got = dumpOf(true, false, []byte{0xc1, 0x01})
	if len(got) != 1 || !strings.HasPrefix(got[0], `<-- T 2 bytes (not msgpack: `) {
		t.Errorf("got %q", got)
	}
}

// A frame larger than the buffer kept between frames, cut in chunks, is
// shown whole, and so is the one after it.
func TestFramesLarge(t *testing.T) {
	big := []byte(`["` + strings.Repeat("x", 2<<20) + `"]` + "\n" + `{"id":1}` + "\n")
	var chunks [][]byte
	for len(big) > 0 {
		n := min(len(big), 64<<10)
		chunks, big = append(chunks, big[:n]), big[n:]
	}
	got := dumpOf(false, false, chunks...)
	if len(got) != 2 || !strings.HasPrefix(got[0], fmt.Sprintf("<-- T %d bytes [\"xxx", 2<<20+4)) || got[1] != `<-- T 8 bytes {"id":1}` {
		t.Fatalf("got %d lines: %.80q", len(got), got)
	}
}
