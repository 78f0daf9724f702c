package transport_test

import (
	"bytes"
	"errors"
	"io"
	"net"
	"os"
	"testing"
	"time"

	"github.com/duplexrpc/duplex/transport"
)

func pipe(t *testing.T) (net.Conn, net.Conn) {
	t.Helper()
	a, b := transport.Pipe()
	t.Cleanup(func() { a.Close(); b.Close() })
	return a, b
}

// TestPipeBothWriteFirst checks that both ends can write before either
// reads, which deadlocks net.Pipe.
func TestPipeBothWriteFirst(t *testing.T) {
	a, b := pipe(t)
	msgA, msgB := bytes.Repeat([]byte("a"), 512<<10), bytes.Repeat([]byte("b"), 512<<10)
	done := make(chan error, 1)
	go func() {
		if _, err := a.Write(msgA); err != nil {
			done <- err
			return
		}
		_, err := b.Write(msgB)
		done <- err
	}()
	if err := waitErr(t, done, 5*time.Second); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		c    net.Conn
		want []byte
	}{{a, msgB}, {b, msgA}} {
		got := make([]byte, len(tc.want))
		if _, err := io.ReadFull(tc.c, got); err != nil || !bytes.Equal(got, tc.want) {
			t.Errorf("ReadFull: %v, content equal %v", err, bytes.Equal(got, tc.want))
		}
	}
}

// TestPipeLargeWrite checks that a Write bigger than the buffer waits for
// the reader and arrives whole.
func TestPipeLargeWrite(t *testing.T) {
	a, b := pipe(t)
	msg := make([]byte, 3<<20)
	for i := range msg {
		msg[i] = byte(i / 1000)
	}
	done := make(chan error, 1)
	go func() {
		_, err := a.Write(msg)
		done <- err
	}()
	got := make([]byte, len(msg))
	if _, err := io.ReadFull(b, got); err != nil {
		t.Fatal(err)
	}
	if err := waitErr(t, done, 5*time.Second); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, msg) {
		t.Error("content differs")
	}
}

// TestPipeDeadlines checks read and write deadlines, including one moved
// while a Read waits.
func TestPipeDeadlines(t *testing.T) {
	a, b := pipe(t)

	start := time.Now()
	a.SetReadDeadline(start.Add(50 * time.Millisecond))
	_, err := a.Read(make([]byte, 1))
	var ne net.Error
	if !errors.Is(err, os.ErrDeadlineExceeded) || !errors.As(err, &ne) || !ne.Timeout() {
		t.Errorf("Read past the deadline: %v, want a timeout", err)
	}
	if d := time.Since(start); d < 40*time.Millisecond || d > 2*time.Second {
		t.Errorf("Read returned after %v, want about 50ms", d)
	}

	// Moving the deadline releases nothing early and extends a waiting Read.
	a.SetReadDeadline(time.Now().Add(50 * time.Millisecond))
	got := readResult(a, 1)
	time.Sleep(10 * time.Millisecond)
	a.SetReadDeadline(time.Time{})
	time.Sleep(100 * time.Millisecond)
	if _, err := b.Write([]byte("x")); err != nil {
		t.Fatal(err)
	}
	if err := waitErr(t, got, 5*time.Second); err != nil {
		t.Errorf("Read after clearing the deadline: %v", err)
	}

	// A full buffer makes Write wait until its deadline.
	filled := make(chan error, 1)
	go func() {
		_, err := a.Write(make([]byte, 1<<20))
		filled <- err
	}()
	if err := waitErr(t, filled, 5*time.Second); err != nil {
		t.Fatal(err)
	}
	a.SetWriteDeadline(time.Now().Add(50 * time.Millisecond))
	if n, err := a.Write([]byte("more")); n != 0 || !errors.Is(err, os.ErrDeadlineExceeded) {
		t.Errorf("Write to a full pipe = %d, %v; want 0, os.ErrDeadlineExceeded", n, err)
	}
}

// TestPipeClose checks what each end sees after one closes.
func TestPipeClose(t *testing.T) {
	a, b := pipe(t)
	if _, err := a.Write([]byte("last words")); err != nil {
		t.Fatal(err)
	}
	blocked := readResult(a, 1)
	a.Close()
	if err := waitErr(t, blocked, 5*time.Second); !errors.Is(err, net.ErrClosed) {
		t.Errorf("Read blocked when its own end closed: %v, want net.ErrClosed", err)
	}
	if _, err := a.Write([]byte("x")); !errors.Is(err, net.ErrClosed) {
		t.Errorf("Write on a closed end: %v, want net.ErrClosed", err)
	}
	got, err := io.ReadAll(b)
	if string(got) != "last words" || err != nil {
		t.Errorf("peer reads %q, %v; want the buffered bytes, then EOF", got, err)
	}
	if _, err := b.Write([]byte("x")); !errors.Is(err, io.ErrClosedPipe) {
		t.Errorf("Write to a closed peer: %v, want io.ErrClosedPipe", err)
	}
	if err := a.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
}
