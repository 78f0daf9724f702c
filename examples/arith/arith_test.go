package main_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"github.com/duplexrpc/duplex/internal/exampletest"
	"net"
	"os"
	"os/exec"
	"runtime"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/duplexrpc/duplex/codec"
)

// timeout bounds every child process: a build, a server, a client.
const timeout = exampletest.Timeout

// python is Debian's interpreter, which sees Debian's python3-msgpack.
const python = "/usr/bin/python3"

// arith is the example's binary, built once by TestMain.
var arith string

func TestMain(m *testing.M) { exampletest.Main(m, &arith, false) }

// want is what every client prints for its three calls.
var want = []string{
	"Arith.Multiply(7, 8) = 56",
	"Arith.Divide(17, 5) = 3 remainder 2",
	"Arith.Divide(1, 0): divide by zero",
}

// wantPipelined is what the Python and Node clients print: the three calls
// one at a time, then the same three pipelined.
var wantPipelined = append(append([]string(nil), want...),
	"pipelined "+want[0], "pipelined "+want[1], "pipelined "+want[2])

func TestGoClient(t *testing.T) {
	for _, name := range codec.Names() {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			s := startServer(t, name)
			got := run(t, "", arith, "-connect", s.addr, "-codec", name)
			checkLines(t, got, want)
		})
	}
}

func TestDemo(t *testing.T) {
	got := run(t, "", arith)
	first, rest, _ := strings.Cut(got, "\n")
	if _, err := parseListening(first, "msgpack"); err != nil {
		t.Error(err)
	}
	checkLines(t, rest, want)
}

func TestUnknownCodec(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, arith, "-codec", "nope")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	err := cmd.Run()
	var exit *exec.ExitError
	if !errors.As(err, &exit) || exit.ExitCode() != 2 {
		t.Fatalf("arith -codec nope: got %v, want exit status 2", err)
	}
	for _, name := range codec.Names() {
		if !strings.Contains(stderr.String(), name) {
			t.Errorf("stderr %q does not list the codec %q", stderr.String(), name)
		}
	}
}

func TestServerExitsOnSignal(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("no signals to send on Windows")
	}
	for _, sig := range []os.Signal{os.Interrupt, syscall.SIGTERM} {
		t.Run(sig.String(), func(t *testing.T) {
			s := startServer(t, "msgpack")
			if err := s.cmd.Process.Signal(sig); err != nil {
				t.Fatal(err)
			}
			select {
			case <-s.exited:
				if s.err != nil {
					t.Errorf("after %v: got %v, want a clean exit; stderr:\n%s", sig, s.err, &s.stderr)
				}
			case <-time.After(timeout):
				t.Errorf("no exit %v after %v", timeout, sig)
			}
		})
	}
}

func TestPythonClient(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	out, err := exec.CommandContext(ctx, python, "-c", "import msgpack").CombinedOutput()
	if err != nil {
		err = fmt.Errorf("%s with msgpack: %v %s", python, err, out)
	}
	exampletest.Need(t, err)

	host, port, _ := net.SplitHostPort(startServer(t, "msgpack").addr)
	got := run(t, "", python, "../python/arith_client.py", host, port)
	checkLines(t, got, wantPipelined)
}

func TestNodeClient(t *testing.T) {
	_, err := exec.LookPath("node")
	if err == nil {
		_, err = os.Stat("../node/node_modules/@msgpack/msgpack/package.json")
	}
	exampletest.Need(t, err)

	host, port, _ := net.SplitHostPort(startServer(t, "msgpack").addr)
	got := run(t, "../node", "node", "arith_client.mjs", host, port)
	checkLines(t, got, wantPipelined)
}

// server is the example serving on a free port of 127.0.0.1.
type server struct {
	addr   string
	cmd    *exec.Cmd
	stderr bytes.Buffer
	exited chan struct{} // closed when the process has exited
	err    error         // its exit; read after exited is closed
}

// startServer runs the example's server with the given codec until the
// test ends.
func startServer(t testing.TB, codecName string) *server {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	s := &server{
		cmd:    exec.CommandContext(ctx, arith, "-listen", "127.0.0.1:0", "-codec", codecName),
		exited: make(chan struct{}),
	}
	line := make(chan string, 1)
	s.cmd.Stdout = &firstLine{line: line}
	s.cmd.Stderr = &s.stderr
	s.cmd.WaitDelay = 5 * time.Second
	if err := s.cmd.Start(); err != nil {
		cancel()
		t.Fatal(err)
	}
	go func() {
		s.err = s.cmd.Wait()
		close(s.exited)
	}()
	t.Cleanup(func() {
		cancel() // kills the process if it still runs
		select {
		case <-s.exited:
		case <-time.After(timeout):
			t.Errorf("server (pid %d) still runs %v after it was killed", s.cmd.Process.Pid, timeout)
		}
	})

	select {
	case l := <-line:
		addr, err := parseListening(l, codecName)
		if err != nil {
			t.Fatal(err)
		}
		s.addr = addr
		return s
	case <-s.exited:
		t.Fatalf("server exited before it listened: %v\nstderr:\n%s", s.err, &s.stderr)
	case <-time.After(timeout):
		t.Fatalf("server did not say where it listens within %v", timeout)
	}
	return nil
}

// parseListening returns the address of the server's first line,
// "listening on 127.0.0.1:41234 (msgpack)".
func parseListening(line, codecName string) (string, error) {
	addr, ok := strings.CutPrefix(line, "listening on ")
	addr, ok2 := strings.CutSuffix(addr, " ("+codecName+")")
	if !ok || !ok2 {
		return "", fmt.Errorf("first line %q, want \"listening on 127.0.0.1:PORT (%s)\"", line, codecName)
	}
	if host, _, err := net.SplitHostPort(addr); err != nil || host != "127.0.0.1" {
		return "", fmt.Errorf("first line %q: address is not 127.0.0.1:PORT", line)
	}
	return addr, nil
}

// firstLine is a process's stdout that sends its first line on line and
// drops the rest. Only exec's copying goroutine writes to it.
type firstLine struct {
	buf  []byte
	line chan<- string // nil once the line is sent
}

func (w *firstLine) Write(p []byte) (int, error) {
	if w.line != nil {
		w.buf = append(w.buf, p...)
		if i := bytes.IndexByte(w.buf, '\n'); i >= 0 {
			w.line <- string(w.buf[:i])
			w.line, w.buf = nil, nil
		}
	}
	return len(p), nil
}

// run runs a program in dir ("" for the test's own) to its end, within
// the timeout, and returns its stdout. It fails the test unless the
// program exits 0.
func run(t testing.TB, dir, name string, args ...string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Dir = dir
	cmd.WaitDelay = 5 * time.Second
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		if ctx.Err() != nil {
			err = fmt.Errorf("killed after %v: %w", timeout, err)
		}
		t.Fatalf("%s: %v\nstdout:\n%s\nstderr:\n%s", strings.Join(cmd.Args, " "), err, &stdout, &stderr)
	}
	return stdout.String()
}

// checkLines compares a program's output with the lines it should print.
func checkLines(t testing.TB, got string, want []string) {
	t.Helper()
	if g, w := got, strings.Join(want, "\n")+"\n"; g != w {
		t.Errorf("got output:\n%s\nwant:\n%s", g, w)
	}
}
