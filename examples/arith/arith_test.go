package main_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/rpc"
	"net/url"
	"os"
	"os/exec"
	"runtime"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/duplexrpc/duplex/codec"
	"github.com/duplexrpc/duplex/internal/exampletest"
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

// wantGo is what the Go client prints: the three calls, then a Wait it
// gives up on and one it lets finish. Its context's deadline ends the
// first, so the error is the client's own, whatever the server did.
var wantGo = append(append([]string(nil), want...),
	"Arith.Wait(60000) cancelled after 200ms: context deadline exceeded",
	"Arith.Wait(10) = done")

// wantPipelined is what the Python and Node clients print: the three calls
// one at a time, then the same three pipelined, then a Wait they cancel
// and one they let finish. The cancelled Wait's error is the server's
// answer, which the clients see only because the server heard the cancel
// (they give it 5 seconds, of the 60 it would otherwise take).
var wantPipelined = append(append([]string(nil), want...),
	"pipelined "+want[0], "pipelined "+want[1], "pipelined "+want[2],
	"Arith.Wait(60000) cancelled: context canceled",
	"Arith.Wait(10) = done")

func TestGoClient(t *testing.T) {
	for _, name := range codec.Names() {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			s := startServer(t, name)
			got := run(t, "", arith, "-connect", s.addr, "-codec", name)
			checkLines(t, got, wantGo)
		})
	}
}

// TestGoClientTransports runs the Go client over the address URLs other
// than TCP's. Over WebSocket every frame must be a message of its own, on
// both the server's peers and the client's, for every wire.
func TestGoClientTransports(t *testing.T) {
	type target struct{ listen, codec string }
	var targets []target
	for _, name := range codec.Names() {
		targets = append(targets, target{"ws://127.0.0.1:0/rpc", name})
	}
	targets = append(targets, target{"unix", "msgpack"}, target{"http://127.0.0.1:0", "msgpack"})
	for _, srv := range targets {
		scheme, _, _ := strings.Cut(srv.listen, "://")
		t.Run(scheme+"/"+srv.codec, func(t *testing.T) {
			t.Parallel()
			listen := srv.listen
			if listen == "unix" {
				// Not t.TempDir: a socket's path has a short limit.
				dir, err := os.MkdirTemp("", "arith")
				if err != nil {
					t.Fatal(err)
				}
				t.Cleanup(func() { os.RemoveAll(dir) })
				listen = "unix://" + dir + "/arith.sock"
			}
			s := startServerAt(t, listen, srv.codec)
			if scheme == "unix" && s.addr != listen || !strings.HasPrefix(s.addr, scheme+"://") {
				t.Fatalf("listening with -listen %s on %s", listen, s.addr)
			}
			got := run(t, "", arith, "-connect", s.addr, "-codec", srv.codec)
			checkLines(t, got, wantGo)
		})
	}
}

// TestStockServer calls a server of net/rpc's own, which has Multiply and
// Divide but no Wait, over its HTTP CONNECT handshake, as the usage says
// the client can. The client must notice there is nothing to cancel: a
// peer calling a stock gob server would never get its answer.
func TestStockServer(t *testing.T) {
	server := rpc.NewServer()
	if err := server.RegisterName("Arith", new(StockArith)); err != nil {
		t.Fatal(err)
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	hs := &http.Server{Handler: server} // *rpc.Server answers CONNECT on any path
	go hs.Serve(l)
	t.Cleanup(func() { hs.Close() })

	got := run(t, "", arith, "-connect", "http://"+l.Addr().String()+"/_goRPC_", "-codec", "gob")
	checkLines(t, got, append(append([]string(nil), want...),
		"Arith.Wait: rpc: can't find method Arith.Wait: nothing to cancel"))
}

// StockArith is net/rpc's example service, as a server that predates
// Arith.Wait has it. Gob matches structs by field names, so these types
// stand for the example's own; net/rpc serves only exported ones.
type StockArith int

type StockArgs struct{ A, B int }

type StockQuotient struct{ Quo, Rem int }

func (*StockArith) Multiply(args *StockArgs, reply *int) error {
	*reply = args.A * args.B
	return nil
}

func (*StockArith) Divide(args *StockArgs, quo *StockQuotient) error {
	if args.B == 0 {
		return errors.New("divide by zero")
	}
	quo.Quo, quo.Rem = args.A/args.B, args.A%args.B
	return nil
}

func TestDemo(t *testing.T) {
	got := run(t, "", arith)
	first, rest, _ := strings.Cut(got, "\n")
	if _, err := parseListening(first, "msgpack"); err != nil {
		t.Error(err)
	}
	checkLines(t, rest, wantGo)
}

// TestJSONRPC2Cancel cancels Arith.Wait from a client that knows nothing
// but the JSON-RPC 2.0 spec and LSP's $/cancelRequest: the answer comes at
// once, under the request's own id, with LSP's RequestCancelled code. Two
// Waits run at once, with a number and a string for ids, and are cancelled
// in the other order, so that a cancel that reached the wrong request, or
// an answer under the wrong id, shows.
func TestJSONRPC2Cancel(t *testing.T) {
	c := dialJSON(t, startServer(t, "jsonrpc2").addr)
	c.send(t, `{"jsonrpc":"2.0","method":"Arith.Wait","params":[60000],"id":7}`)
	c.send(t, `{"jsonrpc":"2.0","method":"Arith.Wait","params":[60000],"id":"eight"}`)

	for _, id := range []string{`"eight"`, `7`} {
		c.send(t, `{"jsonrpc":"2.0","method":"$/cancelRequest","params":{"id":`+id+`}}`)
		r := c.read(t, 5*time.Second) // of the 60 the Wait would take
		if string(r.ID) != id {
			t.Fatalf("after cancelling id %s, the answer of id %s came first: %+v", id, r.ID, r)
		}
		if r.Error == nil || r.Error.Code != codec.CodeRequestCancelled || r.Error.Message != "context canceled" || r.Result != nil {
			t.Errorf("cancelled request %s answered %s, want the error {code %d, message \"context canceled\"} and no result",
				id, r.raw, codec.CodeRequestCancelled)
		}
	}

	// The connection serves on: a cancel ends one call, nothing else.
	c.send(t, `{"jsonrpc":"2.0","method":"Arith.Wait","params":[10],"id":9}`)
	r := c.read(t, timeout)
	if string(r.ID) != "9" || r.Error != nil || string(r.Result) != `"done"` {
		t.Errorf("Wait(10) after the cancels answered %s, want id 9 with the result \"done\"", r.raw)
	}
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

// TestClientExitsOnInterrupt interrupts a client whose server never
// answers: Ctrl-C ends it at once (it once ignored Ctrl-C until killed).
func TestClientExitsOnInterrupt(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("no signals to send on Windows")
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	go func() { // accept and stay silent
		if c, err := ln.Accept(); err == nil {
			defer c.Close()
			io.Copy(io.Discard, c)
		}
	}()
	cmd := exec.Command(arith, "-connect", ln.Addr().String())
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	time.Sleep(300 * time.Millisecond) // connected, waiting for an answer
	if err := cmd.Process.Signal(os.Interrupt); err != nil {
		t.Fatal(err)
	}
	select {
	case <-exited:
	case <-time.After(5 * time.Second):
		cmd.Process.Kill()
		t.Fatal("the client ignored Ctrl-C")
	}
}

// TestServerExitsWithWaitInFlight interrupts a server while a Wait(100)
// and a Wait(60000) run: the first is let finish and answered, the second
// is cancelled when the grace is over, so the server exits long before
// that Wait would have.
func TestServerExitsWithWaitInFlight(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("no signals to send on Windows")
	}
	s := startServer(t, "jsonrpc2")
	c := dialJSON(t, s.addr)
	c.send(t, `{"jsonrpc":"2.0","method":"Arith.Wait","params":[60000],"id":1}`)
	c.send(t, `{"jsonrpc":"2.0","method":"Arith.Wait","params":[100],"id":2}`)
	c.send(t, `{"jsonrpc":"2.0","method":"Arith.Wait","params":[0],"id":3}`)
	// A peer takes requests in order, so with 3 answered, 1 and 2 run.
	if r := c.read(t, timeout); string(r.ID) != "3" {
		t.Fatalf("first answer %s, want id 3's", r.raw)
	}
	if err := s.cmd.Process.Signal(os.Interrupt); err != nil {
		t.Fatal(err)
	}
	if r := c.read(t, timeout); string(r.ID) != "2" || string(r.Result) != `"done"` {
		t.Errorf("after the interrupt: answer %s, want id 2 done within the grace", r.raw)
	}
	select {
	case <-s.exited:
		if s.err != nil {
			t.Errorf("got %v, want a clean exit; stderr:\n%s", s.err, &s.stderr)
		}
	case <-time.After(30 * time.Second):
		t.Errorf("server still runs 30s after the interrupt, with a Wait(60000) it should have cancelled")
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

// startServer runs the example's server on a free TCP port with the given
// codec until the test ends.
func startServer(t testing.TB, codecName string) *server {
	t.Helper()
	return startServerAt(t, "127.0.0.1:0", codecName)
}

// startServerAt runs the example's server on listen with the given codec
// until the test ends.
func startServerAt(t testing.TB, listen, codecName string) *server {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	s := &server{
		cmd:    exec.CommandContext(ctx, arith, "-listen", listen, "-codec", codecName),
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
// "listening on 127.0.0.1:41234 (msgpack)", or with an address URL,
// "listening on ws://127.0.0.1:41234/rpc (msgpack)". Any address but a
// Unix socket's must be on 127.0.0.1 with its port bound.
func parseListening(line, codecName string) (string, error) {
	addr, ok := strings.CutPrefix(line, "listening on ")
	addr, ok2 := strings.CutSuffix(addr, " ("+codecName+")")
	if !ok || !ok2 {
		return "", fmt.Errorf("first line %q, want \"listening on 127.0.0.1:PORT (%s)\"", line, codecName)
	}
	hostPort := addr
	if strings.Contains(addr, "://") {
		u, err := url.Parse(addr)
		if err != nil {
			return "", fmt.Errorf("first line %q: %v", line, err)
		}
		if u.Scheme == "unix" {
			return addr, nil
		}
		hostPort = u.Host
	}
	if host, port, err := net.SplitHostPort(hostPort); err != nil || host != "127.0.0.1" || port == "0" {
		return "", fmt.Errorf("first line %q: address is not 127.0.0.1:PORT", line)
	}
	return addr, nil
}

// jsonClient is a JSON-RPC 2.0 client of nothing but a TCP connection and
// encoding/json, as a program in any language could write one.
type jsonClient struct {
	conn net.Conn
	dec  *json.Decoder
}

// jsonResponse is a JSON-RPC 2.0 response, with the id and result as they
// came, and raw, the whole of it, for messages.
type jsonResponse struct {
	ID     json.RawMessage `json:"id"`
	Result json.RawMessage `json:"result"`
	Error  *struct {
		Code    int    `json:"code"`
		Message string `json:"message"`
	} `json:"error"`
	raw json.RawMessage
}

func dialJSON(t testing.TB, addr string) *jsonClient {
	t.Helper()
	conn, err := net.DialTimeout("tcp", addr, timeout)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	return &jsonClient{conn: conn, dec: json.NewDecoder(conn)}
}

// send writes one message, as a line.
func (c *jsonClient) send(t testing.TB, msg string) {
	t.Helper()
	if !json.Valid([]byte(msg)) {
		t.Fatalf("the test's message is not JSON: %s", msg)
	}
	c.conn.SetWriteDeadline(time.Now().Add(timeout))
	if _, err := c.conn.Write([]byte(msg + "\n")); err != nil {
		t.Fatal(err)
	}
}

// read reads the next message, which must come within d.
func (c *jsonClient) read(t testing.TB, d time.Duration) jsonResponse {
	t.Helper()
	c.conn.SetReadDeadline(time.Now().Add(d))
	var r jsonResponse
	if err := c.dec.Decode(&r.raw); err != nil {
		t.Fatalf("no answer within %v: %v", d, err)
	}
	if err := json.Unmarshal(r.raw, &r); err != nil {
		t.Fatalf("answer %s: %v", r.raw, err)
	}
	return r
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
