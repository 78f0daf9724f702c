package codec_test

import (
	"bufio"
	"bytes"
	"errors"
	"io"
	"net/textproto"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/duplexrpc/duplex/codec"
)

// The fuzz targets of the framed codecs. Like the others they are seeded
// with every frame this package writes (addSeeds), and also with what a
// real gopls wrote in one session (testdata), with messages as language
// servers and their clients write them, and with the JSON-RPC 2.0
// specification's examples, in each framing.

func FuzzLSP(f *testing.F) {
	var extra [][]byte
	for _, s := range append(lspPeerMessages(), specMessages()...) {
		extra = append(extra, []byte(lspFrame(s)))
	}
	extra = append(extra,
		[]byte(strings.Join([]string{lspFrame(lspPeerMessages()[0]), lspFrame(lspPeerMessages()[1])}, "")),
		[]byte("Content-Type: application/vscode-jsonrpc; charset=utf-8\r\nContent-Length: 2\r\n\r\n{}"),
		[]byte("content-length: 52\n\n"+lspPeerMessages()[0]),
		[]byte("Content-Length: 13\r\nContent-Type: application/json; charset=latin1\r\n\r\n[1,2,3]      "),
		[]byte("Content-Length: 5\r\n\r\nhello"+lspFrame(multiply7x8)),
		goplsSession(f),
	)
	addSeeds(f, codec.LSP, extra...)
	f.Fuzz(func(t *testing.T, input []byte) { fuzzConn(t, codec.LSP, input) })
}

func FuzzJSONRPC2Lines(f *testing.F) {
	var extra [][]byte
	all := append(lspPeerMessages(), specMessages()...)
	for _, s := range all {
		extra = append(extra, []byte(s+"\n"))
	}
	extra = append(extra,
		[]byte(strings.Join(all, "\r\n")),
		[]byte("garbage\n"+multiply7x8+"\n"),
		[]byte(`{"jsonrpc":"2.0","method":"Arith.Multiply","id":1`+"\n"+multiply7x8),
		[]byte(strings.Join(lspBodies(f, goplsSession(f)), "\n")+"\n"),
	)
	addSeeds(f, codec.JSONRPC2Lines, extra...)
	f.Fuzz(func(t *testing.T, input []byte) { fuzzConn(t, codec.JSONRPC2Lines, input) })
}

// lspPeerMessages are messages of the shapes gopls and vscode-jsonrpc
// exchange: both sides' requests, notifications in both directions,
// responses with null results and LSP's error codes, and cancels by number
// and by string.
func lspPeerMessages() []string {
	return []string{
		`{"jsonrpc":"2.0","method":"initialized","params":{}}`,
		`{"jsonrpc":"2.0","id":0,"method":"initialize","params":{"processId":null,"rootUri":"file:///w","capabilities":{"workspace":{"configuration":true},"window":{"workDoneProgress":true}},"workspaceFolders":[{"uri":"file:///w","name":"w"}]}}`,
		`{"jsonrpc":"2.0","method":"textDocument/didOpen","params":{"textDocument":{"uri":"file:///w/main.go","languageId":"go","version":1,"text":"package main\n\nfunc main() {}\n"}}}`,
		`{"jsonrpc":"2.0","id":3,"method":"textDocument/hover","params":{"textDocument":{"uri":"file:///w/main.go"},"position":{"line":2,"character":6}}}`,
		`{"jsonrpc":"2.0","result":{"contents":{"kind":"markdown","value":"func main()"},"range":{"start":{"line":2,"character":5},"end":{"line":2,"character":9}}},"id":3}`,
		`{"jsonrpc":"2.0","method":"workspace/configuration","params":{"items":[{"scopeUri":"file:///w","section":"gopls"}]},"id":1}`,
		`{"jsonrpc":"2.0","method":"window/workDoneProgress/create","params":{"token":"8410317045839404467"},"id":2}`,
		`{"jsonrpc":"2.0","method":"$/progress","params":{"token":"8410317045839404467","value":{"kind":"begin","title":"Setting up workspace","message":"Loading packages..."}}}`,
		`{"jsonrpc":"2.0","method":"window/logMessage","params":{"type":3,"message":"Loading packages..."}}`,
		`{"jsonrpc":"2.0","result":null,"id":2}`,
		`{"jsonrpc":"2.0","error":{"code":-32800,"message":"JSON RPC cancelled"},"id":4}`,
		`{"jsonrpc":"2.0","error":{"code":-32601,"message":"method not found"},"id":"s1"}`,
		`{"jsonrpc":"2.0","method":"$/cancelRequest","params":{"id":4}}`,
		`{"jsonrpc":"2.0","method":"$/cancelRequest","params":{"id":"s1"}}`,
		`{"jsonrpc":"2.0","id":5,"method":"shutdown"}`,
		`{"jsonrpc":"2.0","method":"exit"}`,
	}
}

// specMessages are the JSON-RPC 2.0 specification's examples, batches and
// bad messages included, from jsonSeeds.
func specMessages() []string {
	var out []string
	for _, s := range jsonSeeds() {
		if !strings.Contains(string(s), "\n") {
			out = append(out, string(s))
		}
	}
	return out
}

// goplsSession is what gopls v0.23.0 wrote to its client in one session of
// examples/lsp: 20 frames, from its answer to initialize to its last log
// message, byte for byte but for the paths of the machine it ran on
// (/src/example, /gopath, /cache), with each Content-Length fixed to match.
func goplsSession(tb testing.TB) []byte {
	tb.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", "gopls-v0.23.0.lsp"))
	if err != nil {
		tb.Fatal(err)
	}
	return b
}

// lspBodies splits LSP frames with code of its own (net/textproto).
func lspBodies(tb testing.TB, stream []byte) []string {
	tb.Helper()
	r := bufio.NewReader(bytes.NewReader(stream))
	var bodies []string
	for {
		h, err := textproto.NewReader(r).ReadMIMEHeader()
		if err == io.EOF {
			return bodies
		}
		n, err2 := strconv.Atoi(h.Get("Content-Length"))
		if err != nil || err2 != nil {
			tb.Fatalf("frame %d: header %v: %v", len(bodies), h, errors.Join(err, err2))
		}
		body := make([]byte, n)
		if _, err := io.ReadFull(r, body); err != nil {
			tb.Fatal(err)
		}
		bodies = append(bodies, string(body))
	}
}

// TestLSPReadsGoplsSession reads what gopls wrote, as the client that got
// it did: every frame, of the kind it is, up to a clean end.
func TestLSPReadsGoplsSession(t *testing.T) {
	conn := codec.LSP.NewConn(readerConn{bytes.NewReader(goplsSession(t))}, nil)
	var kinds []string
	for {
		var h codec.Header
		err := conn.ReadHeader(&h)
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatalf("after %d frames: %v", len(kinds), err)
		}
		var body any
		if err := conn.ReadBody(&body); err != nil {
			t.Errorf("frame %d (%+v): body: %v", len(kinds), h, err)
		}
		k := h.Kind.String()
		if h.ServiceMethod != "" {
			k += " " + h.ServiceMethod
		}
		if h.Code != 0 {
			k += " " + strconv.Itoa(h.Code)
		}
		kinds = append(kinds, k)
	}
	want := []string{
		"response", "request window/workDoneProgress/create", "progress $/progress",
		"request workspace/configuration", "notification window/logMessage", "notification window/logMessage",
		"progress $/progress", "request client/registerCapability", "request client/registerCapability",
		"response", "notification textDocument/publishDiagnostics", "response",
		"request window/workDoneProgress/create", "progress $/progress", "request workspace/applyEdit",
		"progress $/progress", "response -32800", "response",
		"notification window/logMessage", "notification window/logMessage",
	}
	if strings.Join(kinds, "\n") != strings.Join(want, "\n") {
		t.Errorf("read\n%s\nwant\n%s", strings.Join(kinds, "\n"), strings.Join(want, "\n"))
	}
}
