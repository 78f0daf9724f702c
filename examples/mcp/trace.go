package main

import (
	"bytes"
	"io"
	"log"
	"sync"
)

// maxTracedLine is the most of one message the trace logs; the rest of a
// longer line is left out, so that a huge message costs the trace no more.
const maxTracedLine = 64 << 10

// trace wraps a connection so that every message read from it is logged as
// "<- message", and every message written to it as "-> message", one line
// each: MCP's stdio messages are lines of JSON. A line read is logged before
// the codec sees it, and a line written before it goes out, so the log has
// the messages in an order that could have happened: each answer after what
// it answers, on either side.
//
// The result is safe for one reader and one writer at a time each, as a
// peer uses its connection.
func trace(rwc io.ReadWriteCloser, l *log.Logger) io.ReadWriteCloser {
	return &traced{ReadWriteCloser: rwc, in: lineLog{log: l, prefix: "<- "}, out: lineLog{log: l, prefix: "-> "}}
}

// traced is a connection that logs the lines it carries.
type traced struct {
	io.ReadWriteCloser
	in, out lineLog
}

func (t *traced) Read(p []byte) (int, error) {
	n, err := t.ReadWriteCloser.Read(p)
	t.in.mu.Lock()
	t.in.write(p[:n])
	t.in.mu.Unlock()
	return n, err
}

// Write logs p and writes it, holding the lock of the outgoing log
// throughout, so that two writes are logged in the order they were
// written.
func (t *traced) Write(p []byte) (int, error) {
	t.out.mu.Lock()
	defer t.out.mu.Unlock()
	t.out.write(p)
	n, err := t.ReadWriteCloser.Write(p)
	if err != nil {
		t.out.log.Printf("%swrite failed after %d of %d bytes: %v", t.out.prefix, n, len(p), err)
	}
	return n, err
}

// lineLog logs a stream of bytes a line at a time.
type lineLog struct {
	mu      sync.Mutex
	log     *log.Logger
	prefix  string
	partial []byte // the start of a line whose end has not come yet
	cut     bool   // the line being read is over maxTracedLine: skip to its end
}

// write logs the whole lines that p ends, and keeps the start of the next.
// l.mu is held.
func (l *lineLog) write(p []byte) {
	for len(p) > 0 {
		i := bytes.IndexByte(p, '\n')
		if i < 0 {
			if !l.cut {
				l.keep(p)
			}
			return
		}
		if !l.cut {
			l.keep(p[:i])
			l.log.Print(l.prefix + string(bytes.TrimSuffix(l.partial, []byte("\r"))))
		}
		l.partial, l.cut = l.partial[:0], false
		p = p[i+1:]
	}
}

// keep adds b to the line being read; past maxTracedLine it logs what it
// has and marks the rest of the line to be skipped.
func (l *lineLog) keep(b []byte) {
	if room := maxTracedLine - len(l.partial); len(b) > room {
		l.log.Print(l.prefix + string(append(l.partial, b[:room]...)) + " …(cut)")
		l.partial, l.cut = l.partial[:0], true
		return
	}
	l.partial = append(l.partial, b...)
}
