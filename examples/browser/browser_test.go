package main_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"github.com/duplexrpc/duplex/internal/exampletest"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/coder/websocket"
	"github.com/vmihailenco/msgpack/v5"
)

// timeout bounds every child process: the build, the server, the browser.
const timeout = exampletest.Timeout

// demo is the example's binary, built once by TestMain.
var demo string

func TestMain(m *testing.M) { exampletest.Main(m, &demo, false) }

// wantAnswer is the line the server prints when a page answered its call.
var wantAnswer = regexp.MustCompile(`^page \d+ answered Page\.Add\(2, 3\) = 5$`)

// TestBrowser opens the page in a real headless Chromium and checks both
// directions of the one WebSocket: the page shows the greeting it got from
// Go, and Go got the page's answer to its call.
func TestBrowser(t *testing.T) {
	chromium := os.Getenv("CHROMIUM")
	if chromium == "" {
		chromium = "/usr/bin/chromium"
	}
	_, err := os.Stat(chromium)
	if err == nil {
		_, err = exec.LookPath("node")
	}
	if err == nil {
		_, err = os.Stat("node_modules/playwright-core/package.json")
	}
	exampletest.Need(t, err)

	s := startServer(t)
	profile := t.TempDir()
	// Runs before the profile is removed: a browser the driver could not
	// close (it was killed) is found by its profile, which is ours alone.
	t.Cleanup(func() { killProcessesUsing(t, profile) })

	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, "node", "testdata/drive.mjs", s.url, profile)
	cmd.Env = append(os.Environ(), "CHROMIUM="+chromium)
	// On timeout, SIGTERM lets the driver close the browser itself.
	cmd.Cancel = func() error { return cmd.Process.Signal(syscall.SIGTERM) }
	cmd.WaitDelay = 5 * time.Second
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	runErr := cmd.Run()

	var shown struct {
		Status, Greeting, Added string
		Errors                  []string
	}
	if err := json.Unmarshal(stdout.Bytes(), &shown); err != nil {
		t.Fatalf("driver: %v, printed %q (%v); stderr:\n%s", runErr, &stdout, err, &stderr)
	}
	if runErr != nil || len(shown.Errors) > 0 {
		t.Errorf("driver: %v; the page's errors: %q; stderr:\n%s", runErr, shown.Errors, &stderr)
	}
	if want := "Hello, browser, from Go!"; shown.Greeting != want {
		t.Errorf("the page shows the greeting %q, want %q", shown.Greeting, want)
	}
	if want := "2 + 3 = 5"; shown.Added != want {
		t.Errorf("the page shows its answer to Go as %q, want %q", shown.Added, want)
	}
	if want := "connected"; shown.Status != want {
		t.Errorf("the page shows the WebSocket as %q, want %q", shown.Status, want)
	}
	s.waitLine(t, wantAnswer)
}

// TestLikeThePage speaks to the server the way the page's script does,
// without a browser: msgpack-rpc arrays, each in a binary WebSocket message
// of its own. Many calls at once check that the server, too, never puts two
// frames in one message, which the page's decode would reject.
func TestLikeThePage(t *testing.T) {
	s := startServer(t)
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	ws, _, err := websocket.Dial(ctx, "ws://"+s.addr+"/rpc", nil)
	if err != nil {
		t.Fatal(err)
	}
	defer ws.CloseNow()
	send := func(msg ...any) {
		b, err := msgpack.Marshal(msg)
		if err != nil {
			t.Fatal(err)
		}
		if err := ws.Write(ctx, websocket.MessageBinary, b); err != nil {
			t.Fatal(err)
		}
	}

	const calls = 50
	for id := 1; id <= calls; id++ {
		send(0, id, "Greeter.Hello", []any{fmt.Sprint("caller ", id)})
	}
	greeted := make(map[int]bool)
	for answered := false; !answered || len(greeted) < calls; {
		typ, data, err := ws.Read(ctx)
		if err != nil {
			t.Fatalf("reading a message: %v", err)
		}
		r := bytes.NewReader(data)
		var msg []any
		if err := msgpack.NewDecoder(r).Decode(&msg); typ != websocket.MessageBinary || err != nil {
			t.Fatalf("a %v message that is no msgpack array: %v", typ, err)
		}
		if r.Len() > 0 {
			t.Fatalf("a message holds more than one frame: %d bytes follow %v", r.Len(), msg)
		}
		switch {
		case len(msg) == 4 && toInt(msg[0]) == 0 && msg[2] == "Page.Add":
			params, _ := msg[3].([]any)
			if len(params) != 2 {
				t.Fatalf("Go called Page.Add with %v, want two params", msg[3])
			}
			send(1, msg[1], nil, toInt(params[0])+toInt(params[1]))
			answered = true
		case len(msg) == 4 && toInt(msg[0]) == 1:
			id := toInt(msg[1])
			if want := fmt.Sprintf("Hello, caller %d, from Go!", id); msg[2] != nil || msg[3] != want {
				t.Fatalf("Greeter.Hello answered %v, want [1 %d <nil> %s]", msg, id, want)
			}
			greeted[id] = true
		default:
			t.Fatalf("unexpected message %v", msg)
		}
	}
	s.waitLine(t, wantAnswer)
}

// TestServesPage checks that the page and its scripts are served, the
// vendored library with its licence.
func TestServesPage(t *testing.T) {
	s := startServer(t)
	for path, want := range map[string]string{
		"/":               `<script src="peer.js">`,
		"/peer.js":        `"Greeter.Hello"`,
		"/msgpack.min.js": "ISC licence",
	} {
		resp, err := http.Get(s.url + strings.TrimPrefix(path, "/"))
		if err != nil {
			t.Fatal(err)
		}
		body, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		if err != nil || resp.StatusCode != http.StatusOK || !strings.Contains(string(body), want) {
			t.Errorf("GET %s: %s, %d bytes, %v; want 200 with %q", path, resp.Status, len(body), err, want)
		}
	}
}

func toInt(v any) int {
	var n int
	b, _ := msgpack.Marshal(v)
	if err := msgpack.Unmarshal(b, &n); err != nil {
		return -1
	}
	return n
}

// server is the demo serving on a free port of 127.0.0.1.
type server struct {
	addr  string      // host:port
	url   string      // http://host:port/
	lines chan string // what it prints after its first line
}

// startServer runs the demo until the test ends.
func startServer(t *testing.T) *server {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	cmd := exec.CommandContext(ctx, demo, "-listen", "127.0.0.1:0")
	lines := make(chan string, 100)
	var stderr bytes.Buffer
	cmd.Stdout = &lineWriter{lines: lines}
	cmd.Stderr = &stderr
	cmd.WaitDelay = 5 * time.Second
	if err := cmd.Start(); err != nil {
		cancel()
		t.Fatal(err)
	}
	exited := make(chan struct{}) // closed once waitErr is set
	var waitErr error
	go func() {
		waitErr = cmd.Wait()
		close(exited)
	}()
	t.Cleanup(func() {
		cmd.Process.Signal(os.Interrupt)
		select {
		case <-exited:
			if waitErr != nil && !t.Failed() {
				t.Errorf("server: %v; stderr:\n%s", waitErr, &stderr)
			}
		case <-time.After(10 * time.Second):
			t.Errorf("server still runs 10s after an interrupt")
			cancel()
			<-exited
		}
		cancel()
	})

	select {
	case first := <-lines:
		rest, ok := strings.CutPrefix(first, "browser demo: open ")
		u, err := url.Parse(rest)
		if !ok || err != nil || u.Scheme != "http" || u.Path != "/" {
			t.Fatalf("first line %q, want \"browser demo: open http://127.0.0.1:PORT/\"", first)
		}
		if host, _, err := net.SplitHostPort(u.Host); err != nil || host != "127.0.0.1" {
			t.Fatalf("first line %q: the address is not 127.0.0.1:PORT", first)
		}
		return &server{addr: u.Host, url: rest, lines: lines}
	case <-exited:
		t.Fatalf("server exited before it listened: %v; stderr:\n%s", waitErr, &stderr)
	case <-time.After(timeout):
		t.Fatalf("server did not say where it listens within %v", timeout)
	}
	return nil
}

// waitLine waits for the server to print a line that matches want.
func (s *server) waitLine(t *testing.T, want *regexp.Regexp) {
	t.Helper()
	deadline := time.After(10 * time.Second)
	var seen []string
	for {
		select {
		case line := <-s.lines:
			if want.MatchString(line) {
				return
			}
			seen = append(seen, line)
		case <-deadline:
			t.Fatalf("the server did not print a line matching %q; it printed %q", want, seen)
		}
	}
}

// lineWriter is a process's stdout that sends each line on lines, dropping
// lines nobody reads. Only exec's copying goroutine writes to it.
type lineWriter struct {
	buf   []byte
	lines chan<- string
}

func (w *lineWriter) Write(p []byte) (int, error) {
	w.buf = append(w.buf, p...)
	for {
		i := bytes.IndexByte(w.buf, '\n')
		if i < 0 {
			return len(p), nil
		}
		select {
		case w.lines <- string(w.buf[:i]):
		default:
		}
		w.buf = w.buf[i+1:]
	}
}

// killProcessesUsing kills what still runs with dir on its command line:
// a browser whose driver died before it could close it. Only Linux has
// /proc to find them by; elsewhere it does nothing.
func killProcessesUsing(t *testing.T, dir string) {
	cmdlines, _ := filepath.Glob("/proc/[0-9]*/cmdline")
	for _, f := range cmdlines {
		b, err := os.ReadFile(f)
		if err != nil || !bytes.Contains(b, []byte(dir)) {
			continue
		}
		var pid int
		if _, err := fmt.Sscanf(f, "/proc/%d/cmdline", &pid); err == nil && pid != os.Getpid() {
			t.Logf("killing leftover browser process %d", pid)
			syscall.Kill(pid, syscall.SIGKILL)
		}
	}
}
