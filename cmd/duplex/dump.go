package main

import (
	"bytes"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"
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
	lsp     bool   // the JSON frames have LSP's Content-Length headers
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
		if errors.Is(err, errShort) {
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
	if f.d.msgpack {
		return "msgpack"
	}
	return "JSON"
}

// next finds the frame at the front of f.buf: the bytes it takes up, the
// frame's own, and its text. A JSON frame takes up the white space around
// it too (the newline after it, mostly), which is not the frame's; only
// white space is no frame.
func (f *frames) next() (n int, frame, text []byte, err error) {
	if f.d.msgpack {
		text, n, err := msgpackToJSON(nil, f.buf)
		return n, f.buf[:n], text, err
	}
	if f.d.lsp {
		return f.nextLSP()
	}
	start := len(f.buf) - len(bytes.TrimLeft(f.buf, jsonSpace))
	if start == len(f.buf) {
		return start, nil, nil, nil
	}
	dec := json.NewDecoder(bytes.NewReader(f.buf[start:]))
	var raw json.RawMessage
	if err := dec.Decode(&raw); err != nil {
		if errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF) {
			return 0, nil, nil, errShort
		}
		return 0, nil, nil, err
	}
	var compact bytes.Buffer
	if err := json.Compact(&compact, raw); err != nil {
		return 0, nil, nil, err
	}
	end := start + int(dec.InputOffset())
	n = len(f.buf) - len(bytes.TrimLeft(f.buf[end:], jsonSpace))
	return n, f.buf[start:end], compact.Bytes(), nil
}

// nextLSP finds the LSP frame at the front of f.buf: its header, then the
// body the header's Content-Length counts. The frame shown is the whole
// of it; the text, the body compacted.
func (f *frames) nextLSP() (n int, frame, text []byte, err error) {
	end := bytes.Index(f.buf, []byte("\r\n\r\n"))
	sep := 4
	if lf := bytes.Index(f.buf, []byte("\n\n")); lf >= 0 && (end < 0 || lf < end) {
		end, sep = lf, 2
	}
	if end < 0 {
		return 0, nil, nil, errShort
	}
	length := -1
	for _, line := range strings.Split(string(f.buf[:end]), "\n") {
		name, value, ok := strings.Cut(strings.TrimSpace(line), ":")
		if ok && strings.EqualFold(strings.TrimSpace(name), "Content-Length") {
			if length, err = strconv.Atoi(strings.TrimSpace(value)); err != nil || length < 0 {
				return 0, nil, nil, fmt.Errorf("bad Content-Length %q", value)
			}
		}
	}
	if length < 0 {
		return 0, nil, nil, errors.New("an LSP header with no Content-Length")
	}
	n = end + sep + length
	if len(f.buf) < n {
		return 0, nil, nil, errShort
	}
	var compact bytes.Buffer
	if err := json.Compact(&compact, f.buf[end+sep:n]); err != nil {
		return n, f.buf[:n], []byte(fmt.Sprintf("(body not JSON: %v) %q", err, clip(f.buf[end+sep:n], 200))), nil
	}
	return n, f.buf[:n], compact.Bytes(), nil
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
