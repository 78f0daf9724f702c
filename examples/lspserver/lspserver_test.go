package main_test

// The server, built, driven by a real LSP client: client.mjs, on
// vscode-languageserver-protocol and vscode-jsonrpc.

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/duplexrpc/duplex/internal/exampletest"
)

var (
	// lspserver is the example's binary, built once by TestMain.
	lspserver string
	// raceEnabled is set by race_test.go when the tests run with -race:
	// the server is built with -race too, and a race in it fails the
	// test, as the process then exits with status 66.
	raceEnabled bool
)

func TestMain(m *testing.M) { exampletest.Main(m, &lspserver, raceEnabled) }

// needClient returns the node binary, or skips the test when Node or the
// client's packages are missing (on CI it fails instead).
func needClient(t *testing.T) string {
	t.Helper()
	node, err := exec.LookPath("node")
	if err == nil {
		_, err = os.Stat(filepath.Join("node_modules", "vscode-languageserver-protocol", "package.json"))
	}
	exampletest.Need(t, err)
	return node
}

// wantClient is what client.mjs prints, line by line, for a server that
// does what LSP and this server promise. The document is
//
//	"héllo 👋 wörld\nsecond line_2\r\nthird\rfourth"
//
// in which UTF-16 counts 👋 as 2 units and UTF-8 as 4 bytes, é and ö as 1
// unit and 2 bytes: a server that counted bytes, or code points, where the
// client counts UTF-16 units would put wörld elsewhere.
var wantClient = []string{
	// LSP: a request before initialize fails with ServerNotInitialized.
	"before initialize: textDocument/hover: error -32002",
	"initialize: positionEncoding utf-16, hoverProvider true, workspaceSymbolProvider true, executeCommandProvider {\"commands\":[\"slow\"]}, textDocumentSync {\"openClose\":true,\"change\":1}",
	"hover 0:1 markdown `héllo` (5) 0:0-0:5",
	"hover 0:5 markdown `héllo` (5) 0:0-0:5", // just past the word
	"hover 0:7 null", // between 👋's two UTF-16 units
	"hover 0:8 null", // the space after 👋
	"hover 0:9 markdown `wörld` (5) 0:9-0:14",
	"hover 0:14 markdown `wörld` (5) 0:9-0:14", // the end of the line
	"hover 0:99 markdown `wörld` (5) 0:9-0:14", // past it: its end, as LSP says
	"hover 1:8 markdown `line_2` (6) 1:7-1:13",
	"hover 2:0 markdown `third` (5) 2:0-2:5",  // after a \r\n
	"hover 3:6 markdown `fourth` (6) 3:0-3:6", // after a lone \r
	"hover 4:0 null", // past the last line
	// The hover was sent right behind the didChange.
	"didChange, then hover 0:16 markdown `again` (5) 0:16-0:21",
	// A partial result per line that has a match (notes.txt's two), and
	// an empty answer after them; without a token, all in the answer,
	// the documents in the order of their URIs (utf-16 ranges: 👋 is 2).
	"workspace/symbol ALPH, partial results: alpha/15@notes.txt:0:0-5 | alphabet/15@notes.txt:1:0-8; answer []",
	"workspace/symbol l, no token: héllo/15@greeting.txt:0:0-5 wörld/15@greeting.txt:0:9-14 alpha/15@notes.txt:0:0-5 alphabet/15@notes.txt:1:0-8",
	// Every $/progress came before the command's answer, in order.
	`slow 200, the server's token: 1 created; $/progress before the answer: begin 0, report 25, report 50, report 75, end done; result "slept 200 ms"`,
	`slow 200, the client's workDoneToken: 0 more created; $/progress before the answer: begin 0, report 25, report 50, report 75, end done; result "slept 200 ms"`,
	// vscode-jsonrpc rejects a cancelled request only when the server
	// answers it: the -32800 is the server's.
	"slow 60000, cancelled after its begin: error -32800; $/progress before the answer: begin 0, end cancelled",
	"slow []: error -32602",
	"nope []: error -32602",
	"didClose, then hover: error -32803",
	"shutdown: null",
	"after shutdown: textDocument/hover: error -32600",
	"exit after shutdown: status 0",
	// The second session offers UTF-8, which the server takes: positions
	// are bytes.
	"initialize offering utf-16 and utf-8: positionEncoding utf-8",
	"hover 0:9 null", // inside 👋's four bytes
	"hover 0:12 markdown `wörld` (5) 0:12-0:18",
	"exit without shutdown: status 1",
}

// TestVSCodeLanguageClient runs client.mjs against the server: the
// lifecycle, document sync, hovers in UTF-16 and UTF-8, slow's progress
// both ways (the server's token, made with a call back to the client, and
// the client's workDoneToken), its cancel, and the exit statuses.
func TestVSCodeLanguageClient(t *testing.T) {
	node := needClient(t)
	ctx, cancel := context.WithTimeout(context.Background(), exampletest.Timeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, node, "client.mjs", lspserver)
	var stderr strings.Builder
	cmd.Stderr = &stderr
	cmd.WaitDelay = 5 * time.Second // a server left behind holds standard error open
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("node client.mjs: %v\nstdout:\n%s\nstderr:\n%s", err, out, stderr.String())
	}
	got := strings.Split(strings.TrimSpace(string(out)), "\n")
	for i := range max(len(got), len(wantClient)) {
		var g, w string
		if i < len(got) {
			g = got[i]
		}
		if i < len(wantClient) {
			w = wantClient[i]
		}
		if g != w {
			t.Errorf("line %d:\n got: %s\nwant: %s", i+1, g, w)
		}
	}
	if t.Failed() || stderr.Len() > 0 {
		t.Logf("the server's and the client's standard error:\n%s", stderr.String())
	}
	if strings.Contains(stderr.String(), "WARNING: DATA RACE") {
		t.Error("the server raced")
	}
}
