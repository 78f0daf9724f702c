package main

// An internal test: it drives the real gopls with the example's own
// session and Client, and taps the child's pipes to check on the wire what
// the peer cannot show, such as the answer gopls gave a call the peer had
// given up on.

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/textproto"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/duplexrpc/duplex/internal/exampletest"
	"github.com/duplexrpc/duplex/internal/rpctest"
)

func TestMain(m *testing.M) { rpctest.VerifyNoLeaks(m) }

// goplsVersion is the gopls these tests are written against, and the one
// .ci/install.sh installs.
const goplsVersion = "v0.23.0"

// needGopls returns the pinned gopls, or skips the test when it is not
// installed (on CI, where .ci/install.sh installs it, it fails instead).
func needGopls(t *testing.T) string {
	t.Helper()
	var found []string
	for _, path := range goplsCandidates() {
		out, err := exec.Command(path, "version").Output()
		if err != nil {
			continue
		}
		if strings.Contains(string(out), " "+goplsVersion) {
			return path
		}
		found = append(found, path+": "+strings.TrimSpace(string(out)))
	}
	exampletest.Need(t, fmt.Errorf("no gopls %s (go install golang.org/x/tools/gopls@%s); found %q", goplsVersion, goplsVersion, found))
	return ""
}

// tap records the bytes of a connection, each direction on its own.
type tap struct {
	io.ReadWriteCloser
	mu          sync.Mutex
	read, wrote bytes.Buffer
}

func (t *tap) Read(p []byte) (int, error) {
	n, err := t.ReadWriteCloser.Read(p)
	t.mu.Lock()
	t.read.Write(p[:n])
	t.mu.Unlock()
	return n, err
}

func (t *tap) Write(p []byte) (int, error) {
	t.mu.Lock()
	t.wrote.Write(p) // before the write: the other end may answer at once
	t.mu.Unlock()
	return t.ReadWriteCloser.Write(p)
}

// message is a JSON-RPC message as the test reads it off the tap.
type message struct {
	ID     json.RawMessage `json:"id"`
	Method string          `json:"method"`
	Params json.RawMessage `json:"params"`
	Result json.RawMessage `json:"result"`
	Error  *struct {
		Code    int    `json:"code"`
		Message string `json:"message"`
	} `json:"error"`
}

// messages parses LSP frames with code of its own: net/textproto reads the
// header, as it reads HTTP's.
func messages(t *testing.T, stream []byte) []message {
	t.Helper()
	r := bufio.NewReader(bytes.NewReader(stream))
	var out []message
	for {
		header, err := textproto.NewReader(r).ReadMIMEHeader()
		if err == io.EOF {
			return out
		}
		if err != nil {
			t.Fatalf("frame %d: reading its header: %v", len(out), err)
		}
		n, err := strconv.Atoi(header.Get("Content-Length"))
		if err != nil {
			t.Fatalf("frame %d: header %v", len(out), header)
		}
		body := make([]byte, n)
		if _, err := io.ReadFull(r, body); err != nil {
			t.Fatalf("frame %d: body of %d bytes: %v", len(out), n, err)
		}
		var m message
		if err := json.Unmarshal(body, &m); err != nil {
			t.Fatalf("frame %d: %v: %s", len(out), err, body)
		}
		out = append(out, m)
	}
}

// TestGopls drives gopls through everything the example does and checks
// each step, on the peer and on the wire.
func TestGopls(t *testing.T) {
	gopls := needGopls(t)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	dir, err := workspace()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	file := fileURI(filepath.Join(dir, "main.go"))

	client := NewClient()
	cmd := goplsCommand(ctx, gopls, dir)
	var stderr bytes.Buffer // read once gopls is reaped: s.close waits for it
	cmd.Stderr = &stderr
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("gopls's stderr:\n%s", stderr.String())
		}
	})
	var wire *tap
	s, err := start(cmd, client, func(rwc io.ReadWriteCloser) io.ReadWriteCloser {
		wire = &tap{ReadWriteCloser: rwc}
		return wire
	})
	if err != nil {
		t.Fatal(err)
	}
	defer s.close()

	init, err := s.initialize(ctx, fileURI(dir))
	if err != nil {
		t.Fatal(err)
	}
	if init.ServerInfo.Name != "gopls" || !strings.Contains(init.ServerInfo.Version, goplsVersion) || init.Capabilities["hoverProvider"] == nil {
		t.Errorf("initialize answered %+v; want gopls %s with a hoverProvider", init.ServerInfo, goplsVersion)
	}
	if err := s.open(ctx, file, mainGo); err != nil {
		t.Fatal(err)
	}

	hover, err := s.hover(ctx, file, greetingCall)
	if err != nil {
		t.Fatal(err)
	}
	if v := hover.Contents.Value; hover.Contents.Kind != "markdown" || !strings.Contains(v, "func Greeting(name string) string") || !strings.Contains(v, "Greeting says hello to name.") {
		t.Errorf("hover = %+v; want Greeting's signature and doc comment, in markdown", hover.Contents)
	}
	locs, err := s.definition(ctx, file, greetingCall)
	if err != nil {
		t.Fatal(err)
	}
	want := Location{URI: file, Range: Range{Start: Position{3, 5}, End: Position{3, 13}}}
	if len(locs) != 1 || locs[0] != want {
		t.Errorf("definition = %+v; want [%+v], where func Greeting is declared", locs, want)
	}

	// The server's requests, answered by Client's methods: wait for
	// those that come after initialized, however late.
	for _, prefix := range []string{
		"workspace/configuration gopls",
		"client/registerCapability workspace/didChangeWatchedFiles",
		"client/registerCapability workspace/didChangeConfiguration",
		"window/workDoneProgress/create",
		"$/progress",
		"window/logMessage",
	} {
		if err := client.WaitFor(ctx, prefix); err != nil {
			t.Fatalf("%v; the client saw %q", err, client.Events())
		}
	}

	start := time.Now()
	if err := s.cancelAddImport(ctx, file, "strings"); err != nil {
		t.Fatal(err)
	}
	t.Logf("gopls.add_import: asked for its edit, then given up, in %v", time.Since(start))

	if err := s.shutdown(ctx); err != nil {
		t.Fatalf("shutdown and exit: %v; want the process to end with status 0", err)
	}
	if st := s.cmd.ProcessState; st == nil || !st.Exited() || st.ExitCode() != 0 {
		t.Errorf("gopls's state after exit: %v; want exited with status 0", st)
	}
	if err := s.cmd.Process.Signal(os.Kill); !errors.Is(err, os.ErrProcessDone) {
		t.Errorf("killing gopls after exit: %v; want os.ErrProcessDone, as it is gone", err)
	}
	select {
	case <-s.peer.Done():
	case <-ctx.Done():
		t.Fatal("the peer lives on after gopls exited")
	}
	s.close()

	wire.mu.Lock()
	in, out := messages(t, wire.read.Bytes()), messages(t, wire.wrote.Bytes())
	wire.mu.Unlock()
	checkAnswered(t, in, out)
	checkNotificationOrder(t, in, client.Events())
	checkCancel(t, in, out)
}

// checkAnswered checks that every request gopls sent was answered with a
// result, none with an error: Client serves them all.
func checkAnswered(t *testing.T, in, out []message) {
	t.Helper()
	answers := map[string]message{}
	for _, m := range out {
		if m.Method == "" {
			answers[string(m.ID)] = m
		}
	}
	asked := 0
	for _, m := range in {
		if m.Method == "" || m.ID == nil {
			continue
		}
		asked++
		a, ok := answers[string(m.ID)]
		if !ok || a.Error != nil || a.Result == nil {
			t.Errorf("gopls's %s (id %s) was answered %+v; want a result", m.Method, m.ID, a)
		}
	}
	if asked < 4 {
		t.Errorf("gopls sent %d requests; want at least configuration, two registrations and progress", asked)
	}
}

// checkNotificationOrder checks that the client handled the $/progress and
// window/logMessage notifications in the order gopls sent them, and that a
// progress began before it ended.
func checkNotificationOrder(t *testing.T, in []message, events []string) {
	t.Helper()
	var sent, handled []string
	for _, m := range in {
		switch m.Method {
		case "$/progress":
			var p ProgressParams
			json.Unmarshal(m.Params, &p)
			sent = append(sent, "$/progress "+string(p.Token)+" "+p.Value.Kind)
		case "window/logMessage":
			var p LogMessageParams
			json.Unmarshal(m.Params, &p)
			sent = append(sent, "window/logMessage "+strconv.Itoa(p.Type)+" "+firstLine(p.Message))
		}
	}
	begun := map[string]bool{}
	for _, e := range events {
		method, rest, _ := strings.Cut(e, " ")
		switch method {
		case "window/logMessage":
			handled = append(handled, e)
			continue
		case "$/progress":
		default:
			continue
		}
		fields := strings.Fields(rest)
		handled = append(handled, method+" "+fields[0]+" "+fields[1])
		switch token := fields[0]; fields[1] {
		case "begin":
			begun[token] = true
		case "end":
			if !begun[token] {
				t.Errorf("progress %s ended before it began: %q", token, events)
			}
		}
	}
	if !slices.Equal(sent, handled) || len(sent) < 3 {
		t.Errorf("gopls sent %q; the client handled %q; want the same, in order", sent, handled)
	}
}

// checkCancel checks on the wire that the request given up on was
// cancelled with $/cancelRequest naming its id, and that gopls, which
// heard the cancel, answered it with LSP's RequestCancelled.
func checkCancel(t *testing.T, in, out []message) {
	t.Helper()
	var id json.RawMessage
	cancelled := false
	for _, m := range out {
		switch {
		case m.Method == "workspace/executeCommand":
			id = m.ID
		case m.Method == "$/cancelRequest" && id != nil:
			var p struct{ ID json.RawMessage }
			json.Unmarshal(m.Params, &p)
			cancelled = cancelled || string(p.ID) == string(id) && m.ID == nil
		}
	}
	if !cancelled {
		t.Fatalf("no $/cancelRequest notification for the executeCommand request (id %s)", id)
	}
	for _, m := range in {
		if m.Method == "" && string(m.ID) == string(id) {
			if m.Error == nil || m.Error.Code != -32800 {
				t.Errorf("gopls answered the cancelled request %s with %+v; want error -32800 (RequestCancelled)", id, m)
			}
			return
		}
	}
	t.Errorf("gopls never answered the cancelled request %s", id)
}

// TestExample runs the example as a user does, and checks what it prints.
func TestExample(t *testing.T) {
	gopls := needGopls(t)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	var out bytes.Buffer
	if err := run(ctx, gopls, &out); err != nil {
		t.Fatalf("run: %v\n%s", err, out.String())
	}
	for _, want := range []string{
		"initialize: gopls\n",
		"hover on Greeting: func Greeting(name string) string: Greeting says hello to name.\n",
		"definition of Greeting: main.go:4:6\n",
		"cancelled with $/cancelRequest\n",
		"shutdown, exit: gopls exited, exit status 0\n",
		"  workspace/configuration gopls\n",
	} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("the example printed\n%s\nwant a line with %q", out.String(), want)
		}
	}
}
