package main_test

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"maps"
	"net"
	"os"
	"os/exec"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/duplexrpc/duplex/codec"
	"github.com/duplexrpc/duplex/internal/rpctest"
	"github.com/duplexrpc/duplex/peer"
	"github.com/duplexrpc/duplex/transport"
)

// result is how a run of the command ended.
type result struct {
	stdout, stderr string
	code           int
}

func (r result) String() string {
	return fmt.Sprintf("exit %d\nstdout:\n%s\nstderr:\n%s", r.code, short(r.stdout), short(r.stderr))
}

// childEnv is the environment of the binaries the tests run. A binary
// built with -race would otherwise wait a second at exit, for reports
// from other goroutines; a tenth is enough on loopback.
var childEnv = append(os.Environ(), "GORACE=atexit_sleep_ms=100")

// run runs the binary with args and stdin, within the timeout.
func run(t testing.TB, stdin string, bin string, args ...string) result {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, args...)
	cmd.Env = childEnv
	cmd.Stdin = strings.NewReader(stdin)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	cmd.WaitDelay = 5 * time.Second
	err := cmd.Run()
	r := result{stdout: stdout.String(), stderr: stderr.String()}
	var exit *exec.ExitError
	switch {
	case errors.As(err, &exit):
		r.code = exit.ExitCode()
	case err != nil:
		t.Fatalf("%s %q: %v", bin, args, err)
	}
	if r.code == 66 && strings.Contains(r.stderr, "DATA RACE") {
		t.Fatalf("%s %q raced:\n%s", bin, args, r.stderr)
	}
	return r
}

// duplexRun runs the command with args, and no stdin.
func duplexRun(t testing.TB, args ...string) result {
	t.Helper()
	return run(t, "", duplex, args...)
}

// want fails the test unless r exited with code and printed stdout
// exactly, and stderr containing each of stderrHas.
func (r result) want(t testing.TB, code int, stdout string, stderrHas ...string) {
	t.Helper()
	if r.code != code || r.stdout != stdout {
		t.Fatalf("got %v\nwant exit %d and stdout:\n%s", r, code, stdout)
	}
	for _, s := range stderrHas {
		if !strings.Contains(r.stderr, s) {
			t.Fatalf("got %v\nwant stderr with %q", r, s)
		}
	}
}

// listenURL returns an address to listen on for scheme, on a free port of
// loopback (or a fresh socket path).
func listenURL(t testing.TB, scheme string) string {
	t.Helper()
	switch scheme {
	case "unix":
		// Not t.TempDir: a socket's path has a short limit.
		dir, err := os.MkdirTemp("", "duplex")
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { os.RemoveAll(dir) })
		return "unix://" + dir + "/s.sock"
	case "ws", "http":
		return scheme + "://127.0.0.1:0/rpc"
	}
	return scheme + "://127.0.0.1:0"
}

// Sleep waits, or stops when its caller gives up.
type Sleep struct{}

// Ms sleeps ms milliseconds and answers "slept".
func (Sleep) Ms(ctx context.Context, ms int, reply *string) error {
	select {
	case <-time.After(time.Duration(ms) * time.Millisecond):
		*reply = "slept"
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// Notes collects the notes it is sent.
type Notes struct{ got chan string }

// Add takes a note.
func (n *Notes) Add(s string, _ *struct{}) error {
	n.got <- s
	return nil
}

// Meta takes a note, followed by the metadata it came with.
func (n *Notes) Meta(ctx context.Context, s string, _ *struct{}) error {
	n.got <- strings.Join(append([]string{s}, metadataPairs(ctx)...), " ")
	return nil
}

// Beside answers with what travels beside a call: the metadata it came
// with, progress, an error with a code and data.
type Beside struct{}

// Meta answers with the metadata of its call, as key=value, sorted: a
// list, whose order the JSON of no wire changes.
func (Beside) Meta(ctx context.Context, _ int, reply *[]string) error {
	*reply = metadataPairs(ctx)
	return nil
}

// Steps reports the progress {"step": i} for i from 1 to n, then answers
// "done".
func (Beside) Steps(ctx context.Context, n int, reply *string) error {
	for i := 1; i <= n; i++ {
		if err := peer.ReportProgress(ctx, map[string]int{"step": i}); err != nil {
			return err
		}
	}
	*reply = "done"
	return nil
}

// Refuse fails with code -32602 and the data {"field": field}.
func (Beside) Refuse(field string, _ *struct{}) error {
	return &peer.Error{Code: codec.CodeInvalidParams, Message: "bad field", Data: map[string]string{"field": field}}
}

// metadataPairs is the metadata a handler's ctx came with, as key=value,
// sorted, never nil.
func metadataPairs(ctx context.Context) []string {
	md := peer.IncomingMetadata(ctx)
	pairs := []string{}
	for _, k := range slices.Sorted(maps.Keys(md)) {
		pairs = append(pairs, k+"="+md[k])
	}
	return pairs
}

// server is a peer.Hub serving Arith, Echo, Sleep, Notes and Beside in
// this process.
type server struct {
	url   string
	notes chan string
}

// startServer serves on listen with codec c until the test ends, with
// introspection if asked. topts may be nil.
func startServer(t testing.TB, listen string, c codec.Codec, introspect bool, topts *transport.Options) *server {
	t.Helper()
	return startServerWith(t, listen, c, topts, nil, func(r *peer.Registry) error {
		if introspect {
			return r.RegisterIntrospection()
		}
		return nil
	})
}

// startServerWith is startServer with the hub's options, which may be nil,
// and more to register on each connection.
func startServerWith(t testing.TB, listen string, c codec.Codec, topts *transport.Options, hopts *peer.HubOptions, register func(*peer.Registry) error) *server {
	t.Helper()
	ln, err := transport.Listen(context.Background(), listen, topts)
	if err != nil {
		t.Fatal(err)
	}
	s := &server{url: ln.URL(), notes: make(chan string, 100)}
	hub := peer.NewHub(c, func(_ *peer.Peer, r *peer.Registry) error {
		return errors.Join(r.Register(new(rpctest.Arith)), r.Register(new(rpctest.Echo)),
			r.Register(Sleep{}), r.Register(&Notes{got: s.notes}), r.Register(Beside{}), register(r))
	}, hopts)
	served := make(chan error, 1)
	go func() { served <- hub.Serve(ln) }()
	t.Cleanup(func() {
		hub.Close()
		<-served
	})
	return s
}

// wantNotes waits for the notes the server is sent, in any order (each
// notification is served in a goroutine of its own), and fails the test
// unless they are want, sorted.
func (s *server) wantNotes(t testing.TB, want ...string) {
	t.Helper()
	var got []string
	for range want {
		select {
		case n := <-s.notes:
			got = append(got, n)
		case <-time.After(timeout):
			t.Fatalf("the server got notes %q; want %q", got, want)
		}
	}
	slices.Sort(got)
	if !slices.Equal(got, want) {
		t.Fatalf("the server got notes %q; want %q", got, want)
	}
}

// proc is a child process whose stdout is collected line by line, so that
// a test can wait for a line while the process runs on.
type proc struct {
	cmd    *exec.Cmd
	stderr syncBuffer

	mu    sync.Mutex
	lines []string
	grew  chan struct{} // closed and replaced when a line comes or the process exits

	exited chan struct{}
	err    error // how it exited, once exited is closed
}

// start starts bin, killed when the test ends or the timeout passes.
func start(t testing.TB, bin string, args ...string) *proc {
	t.Helper()
	return startWithStdin(t, "", bin, args...)
}

// startWithStdin is start with stdin.
func startWithStdin(t testing.TB, stdin string, bin string, args ...string) *proc {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	p := &proc{cmd: exec.CommandContext(ctx, bin, args...), grew: make(chan struct{}), exited: make(chan struct{})}
	p.cmd.Env = childEnv
	p.cmd.Stdin = strings.NewReader(stdin)
	p.cmd.Stderr = &p.stderr
	p.cmd.WaitDelay = 5 * time.Second
	stdout, err := p.cmd.StdoutPipe()
	if err == nil {
		err = p.cmd.Start()
	}
	if err != nil {
		cancel()
		t.Fatal(err)
	}
	go func() {
		defer cancel()
		s := bufio.NewScanner(stdout)
		for s.Scan() {
			p.mu.Lock()
			p.lines = append(p.lines, s.Text())
			close(p.grew)
			p.grew = make(chan struct{})
			p.mu.Unlock()
		}
		p.err = p.cmd.Wait()
		close(p.exited)
		p.mu.Lock()
		close(p.grew)
		p.grew = make(chan struct{})
		p.mu.Unlock()
	}()
	t.Cleanup(func() {
		p.cmd.Process.Kill()
		<-p.exited
	})
	return p
}

func (p *proc) String() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return fmt.Sprintf("%s\nstdout:\n%s\nstderr:\n%s", strings.Join(p.cmd.Args, " "), short(strings.Join(p.lines, "\n")), short(p.stderr.String()))
}

// waitFor waits until a line printed so far satisfies ok, and returns it.
func (p *proc) waitFor(t testing.TB, what string, ok func(string) bool) string {
	t.Helper()
	deadline := time.NewTimer(timeout)
	defer deadline.Stop()
	for {
		exited := p.hasExited() // before the lines: then they are all there
		p.mu.Lock()
		lines, grew := slices.Clone(p.lines), p.grew
		p.mu.Unlock()
		if i := slices.IndexFunc(lines, ok); i >= 0 {
			return lines[i]
		}
		if exited {
			t.Fatalf("exited (%v) without printing %s: %v", p.err, what, p)
		}
		select {
		case <-grew:
		case <-deadline.C:
			t.Fatalf("printed no %s within %v: %v", what, timeout, p)
		}
	}
}

// waitLine waits for a line equal to want.
func (p *proc) waitLine(t testing.TB, want string) {
	t.Helper()
	p.waitFor(t, fmt.Sprintf("%q", want), func(l string) bool { return l == want })
}

// address waits for the "… listening on ADDR (codec)" line and returns
// ADDR.
func (p *proc) address(t testing.TB) string {
	t.Helper()
	line := p.waitFor(t, "the address it listens on", func(l string) bool { return strings.Contains(l, "listening on ") })
	_, addr, _ := strings.Cut(line, "listening on ")
	addr, _, _ = strings.Cut(addr, " ")
	return addr
}

func (p *proc) hasExited() bool {
	select {
	case <-p.exited:
		return true
	default:
		return false
	}
}

// wait waits for the process to exit and returns its exit code.
func (p *proc) wait(t testing.TB) int {
	t.Helper()
	select {
	case <-p.exited:
	case <-time.After(timeout):
		t.Fatalf("still running after %v: %v", timeout, p)
	}
	var exit *exec.ExitError
	switch {
	case p.err == nil:
		return 0
	case errors.As(p.err, &exit):
		if exit.ExitCode() == 66 && strings.Contains(p.stderr.String(), "DATA RACE") {
			t.Fatalf("raced: %v", p)
		}
		return exit.ExitCode()
	}
	t.Fatalf("%v: %v", p.err, p)
	return -1
}

// interrupt sends SIGINT and returns the exit code.
func (p *proc) interrupt(t testing.TB) int {
	t.Helper()
	if err := p.cmd.Process.Signal(syscall.SIGINT); err != nil {
		t.Fatal(err)
	}
	return p.wait(t)
}

// output returns the lines printed so far.
func (p *proc) output() []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return slices.Clone(p.lines)
}

// syncBuffer is a bytes.Buffer that a process writes while a test reads.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// freeAddr returns a loopback host:port where nothing listens.
func freeAddr(t testing.TB) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	return addr
}
