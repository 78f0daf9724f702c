package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/duplexrpc/duplex/codec"
	"github.com/duplexrpc/duplex/peer"
)

const timeout = 30 * time.Second

// The demo streams the notes whole and breaks off the long file after
// three lines, on every codec; the worker, held back by the window, had
// sent no more than a window of lines when the master broke off.
func TestDemo(t *testing.T) {
	for _, c := range codec.All() {
		t.Run(c.Name(), func(t *testing.T) {
			t.Parallel()
			ctx, cancel := context.WithTimeout(context.Background(), timeout)
			defer cancel()
			var stdout, stderr bytes.Buffer
			if err := run(ctx, []string{"-codec", c.Name()}, &stdout, &stderr); err != nil {
				t.Fatalf("the demo: %v\n%s%s", err, stdout.String(), stderr.String())
			}
			out := stdout.String()
			want := []string{}
			for i, n := range notes {
				want = append(want, fmt.Sprintf("master: worker 1: notes.txt:%d: %s\n", i+1, n))
			}
			want = append(want, "master: worker 1: notes.txt: 4 lines\n",
				"master: worker 1: big.log:1: event 1\n",
				"master: worker 1: big.log:3: event 3\n",
				"master: worker 1: big.log: broke off after 3 lines\n")
			rest := out
			for _, w := range want {
				i := strings.Index(rest, w)
				if i < 0 {
					t.Fatalf("the demo printed no %q after what came before it:\n%s", w, out)
				}
				rest = rest[i+len(w):]
			}
			if strings.Contains(out, "big.log:4:") {
				t.Errorf("the master printed past its head of 3:\n%s", out)
			}
			_, after, ok := strings.Cut(out, "worker: big.log: stopped after ")
			sent, err := strconv.Atoi(strings.Fields(after + " x")[0])
			if !ok || err != nil || sent < headLines || sent > peer.DefaultStreamWindow {
				t.Errorf("the worker's stream ended so: %q; want it stopped after %d to %d lines (the window)", after, headLines, peer.DefaultStreamWindow)
			}
		})
	}
}

// lines is a writer that hands each line written to it to a channel.
type lines struct {
	mu  sync.Mutex
	buf []byte
	ch  chan string
}

func (l *lines) Write(b []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.buf = append(l.buf, b...)
	for {
		i := bytes.IndexByte(l.buf, '\n')
		if i < 0 {
			return len(b), nil
		}
		l.ch <- string(l.buf[:i])
		l.buf = l.buf[i+1:]
	}
}

// next returns the next line that has prefix.
func (l *lines) next(t *testing.T, prefix string) string {
	t.Helper()
	deadline := time.After(timeout)
	for {
		select {
		case s := <-l.ch:
			if strings.HasPrefix(s, prefix) {
				return s
			}
		case <-deadline:
			t.Fatalf("no line %q within %v", prefix, timeout)
		}
	}
}

// The master and worker commands, as a user runs them: the worker serves
// the files under its root and nothing outside it.
func TestMasterAndWorker(t *testing.T) {
	root := t.TempDir()
	if err := os.WriteFile(filepath.Join(root, "a.txt"), []byte("one\ntwo"), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct{ file, want string }{
		{"a.txt", "master: worker 1: a.txt: 2 lines"},
		{"../a.txt", "master: worker 1: ../a.txt: openat ../a.txt: path escapes from parent"},
		{"/etc/passwd", "master: worker 1: /etc/passwd: openat /etc/passwd: path escapes from parent"},
		{"missing.txt", "master: worker 1: missing.txt: openat missing.txt: no such file or directory"},
	} {
		t.Run(tc.file, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), timeout)
			defer cancel()
			out := &lines{ch: make(chan string, 100)}
			var stderr bytes.Buffer
			mastered := make(chan error, 1)
			go func() {
				mastered <- run(ctx, []string{"master", "-listen", "127.0.0.1:0", "-file", tc.file}, out, &stderr)
			}()
			line := out.next(t, "master: listening on ")
			addr := strings.Fields(strings.TrimPrefix(line, "master: listening on "))[0]
			worked := make(chan error, 1)
			go func() { worked <- run(ctx, []string{"worker", "-connect", addr, "-root", root}, out, &stderr) }()
			if tc.file == "a.txt" {
				out.next(t, "master: worker 1: a.txt:1: one")
				out.next(t, "master: worker 1: a.txt:2: two")
			}
			if got := out.next(t, "master: worker 1: "+tc.file+": "); !strings.HasPrefix(got, tc.want) {
				t.Errorf("got %q; want %q", got, tc.want)
			}
			cancel()
			for _, ch := range []chan error{mastered, worked} {
				if err := <-ch; err != nil {
					t.Errorf("a role ended with %v; want nil, as on an interrupt\n%s", err, stderr.String())
				}
			}
		})
	}
}

// Bad command lines exit 2, with what is wrong.
func TestUsage(t *testing.T) {
	for _, args := range [][]string{{"master", "-head", "-1"}, {"-codec", "nope"}, {"other"}} {
		var stdout, stderr bytes.Buffer
		if err := run(context.Background(), args, &stdout, &stderr); !errors.Is(err, errUsage) || !strings.Contains(stderr.String(), "streams: ") {
			t.Errorf("%q: %v, %q; want errUsage, explained", args, err, stderr.String())
		}
	}
}
