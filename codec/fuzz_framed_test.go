package codec_test

import (
	"strings"
	"testing"

	"github.com/duplexrpc/duplex/codec"
)

// The fuzz targets of the framed codecs. Like the others they are seeded
// with every frame this package writes (addSeeds), and also with messages
// as language servers and their clients write them, and with the JSON-RPC
// 2.0 specification's examples in each framing.

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
		`{"jsonrpc":"2.0","id":0,"method":"initialize","params":{"processId":null,"rootUri":"file:///tmp/w","capabilities":{"workspace":{"configuration":true},"window":{"workDoneProgress":true}},"workspaceFolders":[{"uri":"file:///tmp/w","name":"w"}]}}`,
		`{"jsonrpc":"2.0","method":"textDocument/didOpen","params":{"textDocument":{"uri":"file:///tmp/w/main.go","languageId":"go","version":1,"text":"package main\n\nfunc main() {}\n"}}}`,
		`{"jsonrpc":"2.0","id":3,"method":"textDocument/hover","params":{"textDocument":{"uri":"file:///tmp/w/main.go"},"position":{"line":2,"character":6}}}`,
		`{"jsonrpc":"2.0","result":{"contents":{"kind":"markdown","value":"func main()"},"range":{"start":{"line":2,"character":5},"end":{"line":2,"character":9}}},"id":3}`,
		`{"jsonrpc":"2.0","method":"workspace/configuration","params":{"items":[{"scopeUri":"file:///tmp/w","section":"gopls"}]},"id":1}`,
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
