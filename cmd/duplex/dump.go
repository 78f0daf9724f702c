package main

import (
	"bytes"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"sync"
	"time"

	"github.com/duplexrpc/duplex/codec"
)

// The wire dump of -v and -vv. Each direction of a connection gathers the
// bytes that pass until they make a whole frame, which it then prints on
// stderr as one line:
//
//	--> 15:04:05.000001 41 bytes [0,0,"Arith.Multiply",[{"A":7,"B":8}]]
//	<-- 15:04:05.000203 5 bytes [1,0,null,56]
//
// msgpack frames are shown as JSON; JSON frames as they are, compacted.
// With -vv a hex dump of the frame's bytes follows. A frame is found where
// the codec's own reader finds it (codec.SplitFrame).

// dumper prints the frames of one connection.
type dumper struct {
	env   *env
	hex   bool
	label string      // "worker 2", for a master's connections
	codec codec.Codec // the wire's
}

// direction returns the frames of one direction, marked by arrow.
func (d *dumper) direction(arrow string) *frames {
	return &frames{d: d, arrow: arrow}
}

// frames gathers one direction's bytes into frames.
type frames struct {
	d     *dumper
	arrow string
	mu    sync.Mutex // a peer's writes come from more than one goroutine
	buf   []byte
}

// maxDumped is the most a frame may grow to before the dump gives up on
// it: the codecs' own frame limit.
const maxDumped = codec.DefaultMaxFrameSize

// feed takes bytes that passed and prints every frame they complete. It
// does nothing on a nil *frames: the dump is off.
func (f *frames) feed(b []byte) {
	if f == nil {
		return
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	f.buf = append(f.buf, b...)
	for len(f.buf) > 0 {
		n, frame, text, err := f.next()
		if errors.Is(err, io.ErrUnexpectedEOF) {
			if len(f.buf) > maxDumped {
				f.print(f.buf, []byte(fmt.Sprintf("(no whole frame in %d bytes; not shown)", len(f.buf))))
				f.buf = f.buf[:0]
			}
			return
		}
		if err != nil { // not a frame of the codec: show what came, once
			n, frame, text = len(f.buf), f.buf, []byte(fmt.Sprintf("(not %s: %v) %q", f.format(), err, clip(f.buf, 200)))
		}
		if len(frame) > 0 {
			f.print(frame, text)
		}
		f.buf = f.buf[n:]
	}
	if len(f.buf) == 0 && cap(f.buf) > 1<<20 {
		f.buf = nil // a large frame's buffer is not kept for small ones
	}
}

func (f *frames) format() string {
	if f.d.msgpack() {
		return "msgpack"
	}
	return "JSON"
}

func (d *dumper) msgpack() bool {
	return d.codec == codec.Msgpack || d.codec == codec.MsgpackUgorji
}

// next finds the frame at the front of f.buf: the bytes it takes up, the
// frame's own, and its text. A JSON frame takes up the white space before
// it too, which is not the frame's; white space alone is no frame. An LSP
// frame is shown with its header.
func (f *frames) next() (n int, frame, text []byte, err error) {
	n, body, err := codec.SplitFrame(f.d.codec, f.buf)
	if err != nil || body == nil {
		return n, nil, nil, err
	}
	frame = body
	if f.d.codec == codec.LSP {
		frame = bytes.TrimLeft(f.buf[:n], jsonSpace)
	}
	if f.d.msgpack() {
		text, _, err := msgpackToJSON(nil, body)
		return n, frame, text, err
	}
	var compact bytes.Buffer
	if err := json.Compact(&compact, body); err != nil {
		return n, frame, []byte(fmt.Sprintf("(body not JSON: %v) %q", err, clip(body, 200))), nil
	}
	return n, frame, compact.Bytes(), nil
}

// jsonSpace is JSON's white space.
const jsonSpace = " \t\r\n"

// print writes one frame.
func (f *frames) print(frame, text []byte) {
	var line strings.Builder
	if f.d.label != "" {
		line.WriteString(f.d.label + " ")
	}
	fmt.Fprintf(&line, "%s %s %d bytes %s\n", f.arrow, time.Now().Format("15:04:05.000000"), len(frame), text)
	if f.d.hex {
		for _, l := range strings.SplitAfter(hex.Dump(frame), "\n") {
			if l != "" {
				line.WriteString("    " + l)
			}
		}
	}
	e := f.d.env
	e.mu.Lock()
	defer e.mu.Unlock()
	io.WriteString(e.stderr, line.String())
}

// clip returns at most n bytes of b.
func clip(b []byte, n int) []byte {
	if len(b) > n {
		return b[:n]
	}
	return b
}

// wireCodec is the codec named name, for the dump: by the time a
// connection is dumped, the name has been checked (wireFor).
func wireCodec(name string) codec.Codec {
	c, err := codec.ByName(name)
	if err != nil {
		return codec.Msgpack // not reached
	}
	return c
}
