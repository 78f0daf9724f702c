package codec_test

import (
	"bytes"
	"errors"
	"io"
	"sync"
	"testing"

	"github.com/duplexrpc/duplex/codec"
)

// writeCounter records each Write to the stream separately.
type writeCounter struct {
	mu     sync.Mutex
	writes [][]byte
	err    error
}

func (w *writeCounter) Read([]byte) (int, error) { return 0, io.EOF }
func (w *writeCounter) Close() error             { return nil }
func (w *writeCounter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.err != nil {
		return 0, w.err
	}
	w.writes = append(w.writes, bytes.Clone(p))
	return len(p), nil
}

func (w *writeCounter) count() int {
	w.mu.Lock()
	defer w.mu.Unlock()
	return len(w.writes)
}

// TestCork checks that frames written while corked leave in one write
// once the last cork is removed, and not before.
func TestCork(t *testing.T) {
	for _, c := range codec.All() {
		t.Run(c.Name(), func(t *testing.T) {
			w := &writeCounter{}
			conn := c.NewConn(w, nil)
			corker, ok := conn.(codec.Corker)
			if !ok {
				t.Fatalf("%T is not a codec.Corker", conn)
			}
			corker.Cork()
			corker.Cork() // corks nest
			for seq := uint64(1); seq <= 3; seq++ {
				h := codec.Header{Kind: codec.Request, ServiceMethod: "Arith.Multiply", Seq: seq}
				if err := conn.Write(&h, &struct{ A, B uint64 }{seq, 2}); err != nil {
					t.Fatal(err)
				}
			}
			if err := corker.Uncork(); err != nil {
				t.Fatal(err)
			}
			if n := w.count(); n != 0 {
				t.Fatalf("%d writes with a cork still in place, want 0", n)
			}
			if err := corker.Uncork(); err != nil {
				t.Fatal(err)
			}
			if n := w.count(); n != 1 {
				t.Fatalf("%d writes after the last uncork, want 1", n)
			}

			// Uncorked, every frame goes out by itself.
			h := codec.Header{Kind: codec.Request, ServiceMethod: "Arith.Multiply", Seq: 4}
			if err := conn.Write(&h, &struct{ A, B int }{4, 2}); err != nil {
				t.Fatal(err)
			}
			if n := w.count(); n != 2 {
				t.Fatalf("%d writes after an uncorked frame, want 2", n)
			}
		})
	}
}

// TestCorkWriteError checks that a write failing at Uncork is reported
// there, and by every later Write.
func TestCorkWriteError(t *testing.T) {
	broken := errors.New("broken pipe")
	w := &writeCounter{err: broken}
	conn := codec.Msgpack.NewConn(w, nil)
	corker := conn.(codec.Corker)
	corker.Cork()
	h := codec.Header{Kind: codec.Request, ServiceMethod: "Arith.Multiply", Seq: 1}
	if err := conn.Write(&h, 1); err != nil {
		t.Fatalf("corked Write: %v, want nil (the frame is only buffered)", err)
	}
	if err := corker.Uncork(); !errors.Is(err, broken) {
		t.Fatalf("Uncork: %v, want %v", err, broken)
	}
	if err := conn.Write(&h, 1); !errors.Is(err, broken) {
		t.Fatalf("Write after a failed flush: %v, want %v", err, broken)
	}
}
