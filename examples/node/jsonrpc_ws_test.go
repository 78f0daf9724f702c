package node_test

// The Go peer that jsonrpc_ws_client.mjs, the json-rpc-2.0 package's
// JSONRPCServerAndClient, talks to over a WebSocket, and the test that runs
// the client against it.

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/duplexrpc/duplex/codec"
	"github.com/duplexrpc/duplex/internal/exampletest"
	"github.com/duplexrpc/duplex/peer"
	"github.com/duplexrpc/duplex/transport"
)

// Pair is the params of Demo.Add and Demo.Later: {"X": 2, "Y": 3}.
type Pair struct{ X, Y int }

// WSArith is the client's Arith: {"A": 7, "B": 8}, by name.
type WSArith struct{}

// Multiply sets reply to A*B.
func (WSArith) Multiply(args *Args, reply *int) error {
	*reply = args.A * args.B
	return nil
}

// Divide fails for B == 0, as net/rpc's Arith does.
func (WSArith) Divide(args *Args, reply *int) error {
	if args.B == 0 {
		return errors.New("divide by zero")
	}
	*reply = args.A / args.B
	return nil
}

// WSDemo calls the client back: during a call, and after one.
type WSDemo struct {
	later sync.WaitGroup // the calls Later left running
	errs  chan error     // how they ended
}

// add calls the client's add(x, y), a method of two positional params.
func add(ctx context.Context, client *peer.Peer, x, y int) (int, error) {
	var sum int
	err := client.Call(ctx, "add", codec.Params{x, y}, &sum)
	return sum, err
}

// Add asks the client to add, before it answers.
func (*WSDemo) Add(ctx context.Context, p *Pair, reply *string) error {
	client, _ := peer.FromContext(ctx)
	sum, err := add(ctx, client, p.X, p.Y)
	if err != nil {
		return err
	}
	*reply = fmt.Sprintf("node added %d+%d: %d", p.X, p.Y, sum)
	return nil
}

// Later answers at once, and then, from a goroutine of its own, asks the
// client to add and calls its done with the sum.
func (d *WSDemo) Later(ctx context.Context, p *Pair, reply *string) error {
	client, _ := peer.FromContext(ctx)
	d.later.Add(1)
	go func() {
		defer d.later.Done()
		ctx, cancel := context.WithTimeout(context.Background(), exampletest.Timeout)
		defer cancel()
		sum, err := add(ctx, client, p.X, p.Y)
		if err == nil {
			err = client.Call(ctx, "done", codec.Params{sum}, new(string))
		}
		d.errs <- err
	}()
	*reply = "later"
	return nil
}

// needJSONRPCClient returns the node binary, skipping the test when Node is
// missing (on CI it fails instead), and failing it when Node is there but
// the client's packages are not installed.
func needJSONRPCClient(t *testing.T) string {
	t.Helper()
	node, err := exec.LookPath("node")
	exampletest.Need(t, err)
	for _, pkg := range []string{"json-rpc-2.0", "ws"} {
		if _, err := os.Stat(filepath.Join("node_modules", pkg, "package.json")); err != nil {
			t.Fatalf("the Node client's packages are not installed (run .ci/install.sh, or npm ci in examples/node): %v", err)
		}
	}
	return node
}

// TestJSONRPC2OverWebSocket runs jsonrpc_ws_client.mjs against a Go Hub on
// a WebSocket, over both codecs it can speak: calls both ways, an error,
// and every message the Go end sends in text, as the client sends its own.
func TestJSONRPC2OverWebSocket(t *testing.T) {
	node := needJSONRPCClient(t)
	for _, c := range []codec.Codec{codec.JSONRPC2, codec.JSONRPC2Lines} {
		t.Run(c.Name(), func(t *testing.T) {
			testJSONRPC2OverWebSocket(t, node, c)
		})
	}
}

func testJSONRPC2OverWebSocket(t *testing.T, node string, c codec.Codec) {
	demo := &WSDemo{errs: make(chan error, 1)}
	hub := peer.NewHub(c, func(_ *peer.Peer, r *peer.Registry) error {
		return errors.Join(r.RegisterName("Arith", WSArith{}), r.RegisterName("Demo", demo))
	}, nil)
	ln, err := transport.Listen(context.Background(), "ws://127.0.0.1:0/rpc", nil)
	if err != nil {
		t.Fatal(err)
	}
	served := make(chan error, 1)
	go func() { served <- hub.Serve(ln) }()
	defer func() {
		demo.later.Wait()
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		hub.Shutdown(ctx)
		if err := <-served; !errors.Is(err, peer.ErrHubClosed) {
			t.Errorf("Serve returned %v; want ErrHubClosed", err)
		}
	}()

	ctx, cancel := context.WithTimeout(context.Background(), exampletest.Timeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, node, "jsonrpc_ws_client.mjs", ln.URL())
	var stderr strings.Builder
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("node jsonrpc_ws_client.mjs: %v\nstdout:\n%s\nstderr:\n%s", err, out, stderr.String())
	}
	want := []string{
		`Arith.Multiply {"A":7,"B":8} = 56`,
		`Arith.Divide {"A":1,"B":0}: error divide by zero`,
		`Demo.Add {"X":2,"Y":3} = node added 2+3: 5`,
		`Demo.Later {"X":40,"Y":2} = later`,
		"done 42",
		"the Go end sent text messages",
	}
	if got := strings.Split(strings.TrimSpace(string(out)), "\n"); strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("the client printed\n%s\nwant\n%s\nstderr:\n%s", out, strings.Join(want, "\n"), stderr.String())
	}
	select {
	case err := <-demo.errs:
		if err != nil {
			t.Errorf("Go's calls to the client after Demo.Later: %v", err)
		}
	case <-ctx.Done():
		t.Error("Go's calls after Demo.Later never ended")
	}
}
