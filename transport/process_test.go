package transport_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"os"
	"os/exec"
	"testing"
	"time"

	"github.com/duplexrpc/duplex/transport"
)

// TestProcessDies checks that a child that dies makes Read fail with
// ErrProcessExited and its exit status, after what it wrote.
func TestProcessDies(t *testing.T) {
	p := startHelper(t, "die", nil)
	if _, err := p.Write([]byte("x")); err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 1)
	if _, err := io.ReadFull(p, buf); err != nil || buf[0] != 'x' {
		t.Fatalf("Read = %q, %v; want the child's answer", buf, err)
	}
	_, err := p.Read(buf)
	var exit *exec.ExitError
	if !errors.Is(err, transport.ErrProcessExited) || !errors.As(err, &exit) || exit.ExitCode() != 3 {
		t.Errorf("Read after the child died: %v, want ErrProcessExited with exit status 3", err)
	}
	if err := p.Wait(); !errors.As(err, &exit) || exit.ExitCode() != 3 {
		t.Errorf("Wait() = %v, want exit status 3", err)
	}
	if _, err := p.Write([]byte("anyone?")); !errors.Is(err, transport.ErrProcessExited) {
		t.Errorf("Write after the child died: %v, want ErrProcessExited", err)
	}
}

// TestProcessKilledAfterGrace checks that Close kills a child that ignores
// its input closing, once the grace period is over.
func TestProcessKilledAfterGrace(t *testing.T) {
	const grace = 200 * time.Millisecond
	p := startHelper(t, "hang", &transport.Options{GracePeriod: grace})
	start := time.Now()
	if err := p.Close(); err != nil {
		t.Errorf("Close: %v", err)
	}
	if d := time.Since(start); d < grace || d > 5*time.Second {
		t.Errorf("Close took %v, want a little over %v", d, grace)
	}
	select {
	case <-p.Done():
	default:
		t.Fatal("Done not closed after Close")
	}
	var exit *exec.ExitError
	if err := p.Wait(); !errors.As(err, &exit) || exit.Exited() {
		t.Errorf("Wait() = %v, want killed by a signal", err)
	}
}

// TestProcessContext checks that a command built with a context dies with
// it, failing reads.
func TestProcessContext(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cmd := exec.CommandContext(ctx, os.Args[0], "-test.run=^$")
	cmd.Env = helperEnviron("hang")
	p, err := transport.StartCommand(cmd, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	pending := readResult(p, 1)
	cancel()
	if err := waitErr(t, pending, 5*time.Second); !errors.Is(err, transport.ErrProcessExited) {
		t.Errorf("Read after the context ended: %v, want ErrProcessExited", err)
	}
}

// TestStartCommandRefusesStdio checks that StartCommand will not replace
// standard input or output the caller set.
func TestStartCommandRefusesStdio(t *testing.T) {
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Stdout = io.Discard
	if p, err := transport.StartCommand(cmd, nil); err == nil {
		p.Close()
		t.Error("StartCommand with Stdout set succeeded")
	}
}

// Closing Stdio ends a Read blocked on a standard input that is a pipe
// nobody writes to and nobody closes, as an MCP or LSP server's is when
// it is told to stop.
func TestStdioCloseEndsABlockedRead(t *testing.T) {
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = helperEnviron("close-stdio")
	stdin, err := cmd.StdinPipe() // held open, never written
	if err != nil {
		t.Fatal(err)
	}
	defer stdin.Close()
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("the child: %v: %s", err, stderr.String())
		}
	case <-time.After(10 * time.Second):
		cmd.Process.Kill()
		<-done
		t.Fatal("the child did not exit")
	}
}
