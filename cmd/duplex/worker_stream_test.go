package main_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/duplexrpc/duplex/codec"
	"github.com/duplexrpc/duplex/peer"
)

const streamScript = `read -r arg
case "$DUPLEX_METHOD" in
Lines.*) i=1; while [ $i -le "$arg" ]; do echo "line $i"; i=$((i+1)); done;;
Fail.*) echo one; echo boom >&2; exit 4;;
Forever.*) i=0; while :; do echo "$i"; i=$((i+1)); sleep 0.01; done;;
esac
`

// lines ranges over a stream of strings, and returns its items and how it
// ended.
func lines(ctx context.Context, p *peer.Peer, method string, arg any) ([]string, error) {
	var got []string
	for s, err := range peer.CallStream[string](ctx, p, method, arg) {
		if err != nil {
			return got, err
		}
		got = append(got, s)
	}
	return got, nil
}

// With -exec and -stream, a call streams the lines the command prints; a
// failing command ends its stream with its exit status after its items; a
// master that breaks off kills the command; a plain call is told the
// method streams.
func TestWorkerExecStream(t *testing.T) {
	script := filepath.Join(t.TempDir(), "lines.sh")
	if err := os.WriteFile(script, []byte(streamScript), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, c := range append(codecs, codec.MsgpackUgorji, codec.LSP) {
		t.Run(c.Name(), func(t *testing.T) {
			t.Parallel()
			m := startGoMaster(t, listenURL(t, "tcp"), c, nil, func(ctx context.Context, p *peer.Peer) error {
				got, err := lines(ctx, p, "Lines.Get", 3)
				if want := []string{"line 1", "line 2", "line 3"}; err != nil || !slices.Equal(got, want) {
					return fmt.Errorf("Lines.Get(3) = %q, %v; want %q", got, err, want)
				}
				got, err = lines(ctx, p, "Fail.Now", 0)
				if err == nil || !strings.Contains(err.Error(), "exit status 4: boom") || !slices.Equal(got, []string{"one"}) {
					return fmt.Errorf(`Fail.Now = %q, %v; want "one", then exit status 4`, got, err)
				}
				for s, err := range peer.CallStream[string](ctx, p, "Forever.Count", 0) {
					if err != nil || s != "0" {
						return fmt.Errorf(`Forever.Count's first item: %q, %v; want "0"`, s, err)
					}
					break
				}
				if c == codec.LSP {
					return nil // a plain call under lsp gets the whole list
				}
				if err := p.Call(ctx, "Lines.Get", 1, new(string)); !errors.Is(err, peer.ErrNotStreamed) {
					return fmt.Errorf("a plain Lines.Get: %v; want ErrNotStreamed", err)
				}
				return nil
			})
			w := start(t, duplex, "worker", "-connect", m.url, "-codec", c.Name(), "-exec", "sh "+script, "-stream")
			m.await(t, w)
			w.waitLine(t, "worker: Lines.Get 3 -> 3 items")
			w.waitLine(t, "worker: Fail.Now 0 -> error after 1 item: exit status 4: boom")
			// The broken-off stream killed its endless command.
			w.waitFor(t, "the end of Forever.Count", func(l string) bool {
				return strings.HasPrefix(l, "worker: Forever.Count 0 -> error after ")
			})
		})
	}
}

// -stream streams a command's lines: it wants -exec.
func TestWorkerStreamWantsExec(t *testing.T) {
	duplexRun(t, "worker", "-connect", "127.0.0.1:1", "-stream").want(t, 2, "", "-stream wants -exec")
}
