package node_test

// The Go peer that lsp_client.mjs, a vscode-jsonrpc client, talks to over
// TCP with the LSP codec, and the test that runs the client against it.

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/duplexrpc/duplex/codec"
	"github.com/duplexrpc/duplex/internal/exampletest"
	"github.com/duplexrpc/duplex/internal/rpctest"
	"github.com/duplexrpc/duplex/peer"
)

func TestMain(m *testing.M) { rpctest.VerifyNoLeaks(m) }

// Args are arith/multiply's params: {"A": 7, "B": 8}.
type Args struct{ A, B int }

// Arith is what the client calls. Each Wait reports how it ended on waits.
type Arith struct{ waits chan error }

// Multiply sets reply to A*B.
func (*Arith) Multiply(args *Args, reply *int) error {
	*reply = args.A * args.B
	return nil
}

// Wait answers "done" after ms milliseconds, or its context's error as soon
// as the context ends: when the client cancels the call.
func (a *Arith) Wait(ctx context.Context, ms int, reply *string) error {
	t := time.NewTimer(time.Duration(ms) * time.Millisecond)
	defer t.Stop()
	select {
	case <-t.C:
		*reply = "done"
		a.waits <- nil
		return nil
	case <-ctx.Done():
		a.waits <- ctx.Err()
		return ctx.Err()
	}
}

// Demo calls the client back, over the connection the client opened.
type Demo struct {
	cancelled chan string // what the client says its handlers saw cancelled
}

// Greet calls the client's node/hello, by the Go name Node.Hello mapped
// to it, and answers with what it said.
func (*Demo) Greet(ctx context.Context, name string, reply *string) error {
	client, _ := peer.FromContext(ctx)
	var hello string
	if err := client.Call(ctx, "Node.Hello", map[string]string{"name": name}, &hello); err != nil {
		return err
	}
	*reply = "Go called node/hello back, which said: " + hello
	return nil
}

// GiveUp calls the client's node/wait, which takes a minute, and gives up
// after ms milliseconds: the client's handler gets the cancel.
func (*Demo) GiveUp(ctx context.Context, ms int, reply *string) error {
	client, _ := peer.FromContext(ctx)
	callCtx, cancel := context.WithTimeout(ctx, time.Duration(ms)*time.Millisecond)
	defer cancel()
	err := client.Call(callCtx, "node/wait", map[string]int{"ms": 60000}, new(string))
	if !errors.Is(err, context.DeadlineExceeded) {
		return fmt.Errorf("node/wait: got %v, want %v", err, context.DeadlineExceeded)
	}
	*reply = fmt.Sprintf("gave up on node/wait after %dms", ms)
	return nil
}

// Cancelled is the client's notification that a handler of its saw its
// CancellationToken fire.
func (d *Demo) Cancelled(params map[string]string, _ *struct{}) error {
	d.cancelled <- params["method"]
	return nil
}

// names are the LSP-style names of the methods, both ways.
var names = [][2]string{
	{"arith/multiply", "Arith.Multiply"},
	{"arith/wait", "Arith.Wait"},
	{"demo/greet", "Demo.Greet"},
	{"demo/giveUp", "Demo.GiveUp"},
	{"node/cancelled", "Demo.Cancelled"},
	{"node/hello", "Node.Hello"}, // the client's: the Go name goes out as node/hello
}

// needNode returns the node binary, or skips the test when Node or the
// client's packages are missing (on CI it fails instead).
func needNode(t *testing.T) string {
	t.Helper()
	node, err := exec.LookPath("node")
	if err == nil {
		_, err = os.Stat(filepath.Join("node_modules", "vscode-jsonrpc", "package.json"))
	}
	exampletest.Need(t, err)
	return node
}

// TestVSCodeJSONRPC runs lsp_client.mjs against a Go peer: calls both ways,
// and a cancel each way, each seen by the handler it was meant for.
func TestVSCodeJSONRPC(t *testing.T) {
	node := needNode(t)
	arith := &Arith{waits: make(chan error, 4)}
	demo := &Demo{cancelled: make(chan string, 1)}
	hub := peer.NewHub(codec.LSP, func(_ *peer.Peer, r *peer.Registry) error {
		errs := []error{r.Register(arith), r.Register(demo)}
		for _, n := range names {
			errs = append(errs, r.MapName(n[0], n[1]))
		}
		return errors.Join(errs...)
	}, nil)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	served := make(chan error, 1)
	go func() { served <- hub.Serve(ln) }()
	defer func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		hub.Shutdown(ctx)
		if err := <-served; !errors.Is(err, peer.ErrHubClosed) {
			t.Errorf("Serve returned %v; want ErrHubClosed", err)
		}
	}()

	ctx, cancel := context.WithTimeout(context.Background(), exampletest.Timeout)
	defer cancel()
	host, port, _ := net.SplitHostPort(ln.Addr().String())
	cmd := exec.CommandContext(ctx, node, "lsp_client.mjs", host, port)
	var stderr strings.Builder
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("node lsp_client.mjs: %v\nstdout:\n%s\nstderr:\n%s", err, out, stderr.String())
	}
	want := []string{
		`arith/multiply {"A":7,"B":8} = 56`,
		`demo/greet "node" = Go called node/hello back, which said: hello, node`,
		"demo/giveUp 200 = gave up on node/wait after 200ms",
		"node/wait: its CancellationToken fired",
		"arith/wait 60000: cancelled: error -32800 context canceled",
		"arith/wait 10 = done",
		"arith/nope: error -32601",
	}
	if got := strings.Split(strings.TrimSpace(string(out)), "\n"); strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("the client printed\n%s\nwant\n%s\nstderr:\n%s", out, strings.Join(want, "\n"), stderr.String())
	}

	// What the Go side saw: the client's notification that node/wait was
	// cancelled, and the first Wait's context ended by the client's cancel.
	select {
	case m := <-demo.cancelled:
		if m != "node/wait" {
			t.Errorf("the client reported %q cancelled; want node/wait", m)
		}
	case <-ctx.Done():
		t.Error("the client never reported node/wait cancelled")
	}
	for _, want := range []error{context.Canceled, nil} {
		select {
		case err := <-arith.waits:
			if !errors.Is(err, want) {
				t.Errorf("arith/wait ended with %v; want %v (the first cancelled by the client)", err, want)
			}
		case <-ctx.Done():
			t.Fatal("an arith/wait never ended")
		}
	}
}
