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
// With -vv a hex dump of the frame's bytes follows. A frame is found by
// reading the stream as the codec does, one value after another, so the
// dump needs nothing of the codec.

// dumper prints the frames of one connection.
type dumper struct {
	env     *env
	hex     bool
	label   string // "worker 2", for a master's connections
	msgpack bool   // the frames are msgpack values, not JSON
	now     func() time.Time
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
		frame, text, err := f.next()
		if errors.Is(err, errShort) {
			if len(f.buf) > maxDumped {
				f.print(f.buf, []byte(fmt.Sprintf("(no whole frame in %d bytes; not shown)", len(f.buf))))
				f.buf = f.buf[:0]
			}
			return
		}
		if err != nil { // not a frame of the codec: show what came, once
			frame, text = f.buf, []byte(fmt.Sprintf("(not %s: %v) %q", f.format(), err, clip(f.buf, 200)))
		}
		if frame != nil {
			f.print(frame, text)
		}
		f.buf = f.buf[len(frame):]
		if len(frame) == 0 { // only white space was left
			f.buf = f.buf[:0]
		}
	}
	if cap(f.buf) > 1<<20 {
		f.buf = nil
	}
}

func (f *frames) format() string {
	if f.d.msgpack {
		return "msgpack"
	}
	return "JSON"
}

// next finds the frame at the front of f.buf and its text. A JSON frame
// includes the white space before it; frame is nil when only white space
// is buffered.
func (f *frames) next() (frame, text []byte, err error) {
	if f.d.msgpack {
		text, n, err := msgpackToJSON(nil, f.buf)
		return f.buf[:n], text, err
	}
	start := len(f.buf) - len(bytes.TrimLeft(f.buf, " \t\r\n"))
	if start == len(f.buf) {
		return nil, nil, nil
	}
	dec := json.NewDecoder(bytes.NewReader(f.buf))
	var raw json.RawMessage
	if err := dec.Decode(&raw); err != nil {
		if errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF) {
			return nil, nil, errShort
		}
		return nil, nil, err
	}
	var compact bytes.Buffer
	if err := json.Compact(&compact, raw); err != nil {
		return nil, nil, err
	}
	return f.buf[:dec.InputOffset()], compact.Bytes(), nil
}

// print writes one frame.
func (f *frames) print(frame, text []byte) {
	now := time.Now
	if f.d.now != nil {
		now = f.d.now
	}
	var line strings.Builder
	if f.d.label != "" {
		line.WriteString(f.d.label + " ")
	}
	fmt.Fprintf(&line, "%s %s %d bytes %s\n", f.arrow, now().Format("15:04:05.000000"), len(bytes.TrimSpace(frame)), text)
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
