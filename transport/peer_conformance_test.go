package transport_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/duplexrpc/duplex/codec"
	"github.com/duplexrpc/duplex/internal/rpctest"
	"github.com/duplexrpc/duplex/peer"
	"github.com/duplexrpc/duplex/transport"
)

// The tests in this file run two peers of package peer over every
// transport of this one, in every wire format of package codec: the
// conformance table in both directions on one connection, a nested call,
// and a far end that breaks off. The subprocess transport runs the far
// peer in a child: this test binary, re-executed as TestPeerChild.

// peerChildEnv makes the test binary a peer child when set to
// "MODE:CODEC": TestPeerChild then speaks CODEC over its standard input and
// output, in MODE "serve" (call the parent's table, then serve until the
// parent hangs up) or "crash" (die in the middle of calls, on request).
const peerChildEnv = "DUPLEX_PEER_CHILD"

// childTimeout bounds a peer child's whole life.
const childTimeout = 60 * time.Second

// childStdio is a peer child's connection to its parent; nil in the
// parent.
var childStdio io.ReadWriteCloser

func init() {
	if os.Getenv(peerChildEnv) == "" {
		return
	}
	// Standard output carries the RPC stream, so the testing package,
	// which reports there, is pointed at standard error before it starts.
	childStdio = transport.Stdio()
	os.Stdout = os.Stderr
}

// heavy bounds the transports that run the table at once: a table runs
// some two thousand goroutines, and the race detector allows 8128.
var heavy = make(chan struct{}, 3)

// TestPeerConformance connects two peers over every transport, in every
// codec, and runs the conformance table in both directions, a nested call,
// and a check of who the callee sees calling (the client certificate's
// name under mutual TLS).
func TestPeerConformance(t *testing.T) {
	for _, tc := range transportCases() {
		if tc.name == "subprocess" {
			continue // below: its far end is a child process
		}
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			heavy <- struct{}{}
			defer func() { <-heavy }()
			for _, c := range codec.All() {
				t.Run(c.Name(), func(t *testing.T) {
					client, server := tc.pair(t)
					a := newTestPeer(t, client, c, bindPeerServices(), peerOptions(tc.name))
					b := newTestPeer(t, server, c, bindPeerServices(), peerOptions(tc.name))
					t.Run("a calls b", func(t *testing.T) { runTable(t, c, peerCall(a)) })
					t.Run("b calls a", func(t *testing.T) { runTable(t, c, peerCall(b)) })
					t.Run("nested", func(t *testing.T) { runNested(t, a) })
					t.Run("caller identity", func(t *testing.T) {
						want := ""
						if strings.Contains(tc.name, "mtls") {
							want = "good-client"
						}
						var got string
						if err := a.Call(context.Background(), "Caller.Name", 0, &got); err != nil || got != want {
							t.Errorf("the server sees the caller as %q, %v; want %q", got, err, want)
						}
					})
					if tc.check != nil {
						tc.check(t, a.Conn(), b.Conn())
					}
				})
			}
		})
	}
	t.Run("subprocess", func(t *testing.T) {
		t.Parallel()
		heavy <- struct{}{}
		defer func() { <-heavy }()
		for _, c := range codec.All() {
			t.Run(c.Name(), func(t *testing.T) {
				ctl := &Control{finished: make(chan bool, 1)}
				a, proc, stderr := startPeerChild(t, "serve", c, bindPeerServices(ctl))
				// Meanwhile the child runs the table calling us ("b calls a").
				t.Run("a calls b", func(t *testing.T) { runTable(t, c, peerCall(a)) })
				t.Run("nested", func(t *testing.T) { runNested(t, a) })
				select {
				case passed := <-ctl.finished:
					if !passed {
						t.Error("the child's calls to the parent failed")
					}
				case <-time.After(childTimeout):
					t.Error("the child did not finish calling the parent")
				}
				a.Close() // the child's standard input ends: it exits
				if err := proc.Wait(); err != nil || t.Failed() {
					t.Errorf("child exited: %v; its output:\n%s", err, stderr)
				}
			})
		}
	})
}

// TestPeerFarEndBreaksOff checks, over every transport and codec, that a
// call pending when the far end answers garbage and hangs up fails with
// peer.ErrClosed instead of hanging.
func TestPeerFarEndBreaksOff(t *testing.T) {
	for _, tc := range transportCases() {
		if tc.name == "subprocess" {
			continue // TestPeerChildDies
		}
		t.Run(tc.name, func(t *testing.T) {
			for _, c := range codec.All() {
				t.Run(c.Name(), func(t *testing.T) {
					client, server := tc.pair(t)
					a := newTestPeer(t, client, c, nil, peerOptions(tc.name))
					pending := make(chan error, 1)
					go func() {
						pending <- a.Call(context.Background(), "Arith.Multiply", &rpctest.Args{A: 2, B: 3}, new(int))
					}()
					// The far end takes the request, answers with bytes that
					// are no frame in any codec, and hangs up.
					if _, err := io.ReadAtLeast(server, make([]byte, 256), 1); err != nil {
						t.Fatalf("far end: reading the request: %v", err)
					}
					if _, err := server.Write([]byte("\xc1\xc1 not a frame \x00\xff")); err != nil {
						t.Fatalf("far end: writing garbage: %v", err)
					}
					server.Close()
					select {
					case err := <-pending:
						if !errors.Is(err, peer.ErrClosed) {
							t.Errorf("pending call = %v; want peer.ErrClosed", err)
						}
					case <-time.After(10 * time.Second):
						t.Fatal("the pending call hangs after the far end broke off")
					}
					waitDone(t, a)
					if err := a.Err(); !errors.Is(err, peer.ErrClosed) {
						t.Errorf("Err() = %v; want peer.ErrClosed", err)
					}
				})
			}
		})
	}
}

// TestPeerChildDies checks that calls pending on a child process that dies
// fail with peer.ErrClosed, and that the peer's error says the process
// exited.
func TestPeerChildDies(t *testing.T) {
	for _, c := range codec.All() {
		t.Run(c.Name(), func(t *testing.T) {
			a, proc, stderr := startPeerChild(t, "crash", c, nil)
			const blocked = 3
			errs := make(chan error, blocked+1)
			for range blocked {
				go func() { errs <- a.Call(context.Background(), "Blocker.Wait", 1, new(int)) }()
			}
			// Crash.Exit kills the child once the others are blocked in it.
			go func() { errs <- a.Call(context.Background(), "Crash.Exit", blocked, new(int)) }()
			timeout := time.After(20 * time.Second)
			for range blocked + 1 {
				select {
				case err := <-errs:
					if !errors.Is(err, peer.ErrClosed) {
						t.Errorf("call pending on the dead child = %v; want peer.ErrClosed", err)
					}
				case <-timeout:
					t.Fatal("calls pending on a dead child hang")
				}
			}
			waitDone(t, a)
			if err := a.Err(); !errors.Is(err, peer.ErrClosed) || !errors.Is(err, transport.ErrProcessExited) {
				t.Errorf("Err() = %v; want peer.ErrClosed and transport.ErrProcessExited", err)
			}
			var exit *exec.ExitError
			if err := proc.Wait(); !errors.As(err, &exit) || exit.ExitCode() != 3 {
				t.Errorf("child exited: %v, want exit status 3; its output:\n%s", err, stderr)
			}
		})
	}
}

// TestPeerChild is the child side of the subprocess tests; run directly, it
// skips.
func TestPeerChild(t *testing.T) {
	if childStdio == nil {
		t.Skip("runs only as the child of TestPeerConformance and TestPeerChildDies")
	}
	mode, name, _ := strings.Cut(os.Getenv(peerChildEnv), ":")
	c, err := codec.ByName(name)
	if err != nil {
		t.Fatal(err)
	}
	blocker := rpctest.NewBlocker()
	p, err := peer.New(childStdio, c, bindPeerServices(blocker, &Crash{blocker: blocker}))
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	if mode == "serve" {
		t.Run("b calls a", func(t *testing.T) { runTable(t, c, peerCall(p)) })
		t.Run("nested", func(t *testing.T) { runNested(t, p) })
		if err := p.Notify(context.Background(), "Control.Finished", !t.Failed()); err != nil {
			t.Errorf("telling the parent: %v", err)
		}
	}
	<-p.Done() // serve until the parent hangs up (or Crash.Exit)
}

// runTable runs the conformance table through call: all of it for
// msgpack, and for the other codecs, whose whole table the peer package
// runs over TCP, the part where a transport can make a difference: plain
// and failing calls, a big frame, and concurrent frames.
func runTable(t *testing.T, c codec.Codec, call rpctest.CallFunc) {
	if c == codec.Msgpack {
		rpctest.RunConformance(t, call)
		return
	}
	rpctest.RunCases(t, call, rpctest.Cases("multiply", "remote error", "1 MiB payload")...)
	t.Run("100 concurrent calls", func(t *testing.T) { rpctest.ConcurrentCalls(t, call, 100) })
}

// runNested has p's call bounce between the two peers: each handler calls
// back the peer that called it.
func runNested(t *testing.T, p *peer.Peer) {
	const depth = 5
	var got int
	if err := p.Call(context.Background(), "Bouncer.Bounce", depth, &got); err != nil || got != depth {
		t.Errorf("Bounce(%d) = %d, %v; want %d, nil", depth, got, err, depth)
	}
}

// peerOptions returns the peer options a transport needs: over WebSocket,
// one frame per Write, so that each message holds one frame.
func peerOptions(transportName string) *peer.Options {
	if strings.HasPrefix(transportName, "ws") {
		return &peer.Options{Codec: &codec.Options{FramePerWrite: true}}
	}
	return nil
}

// newTestPeer makes a peer on conn, closed when the test ends.
func newTestPeer(tb testing.TB, conn io.ReadWriteCloser, c codec.Codec, bind peer.Binder, opts *peer.Options) *peer.Peer {
	tb.Helper()
	p, err := peer.NewWithOptions(conn, c, bind, opts)
	if err != nil {
		tb.Fatalf("peer.NewWithOptions: %v", err)
	}
	tb.Cleanup(func() { p.Close() })
	return p
}

// startPeerChild runs this test binary as a peer child in mode, speaking
// c, and returns the parent's peer on it, the child, and the child's
// standard error, complete once the child has been waited for.
func startPeerChild(tb testing.TB, mode string, c codec.Codec, bind peer.Binder) (*peer.Peer, *transport.Process, *bytes.Buffer) {
	tb.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), childTimeout)
	cmd := exec.CommandContext(ctx, os.Args[0], "-test.run=^TestPeerChild$", "-test.count=1")
	// Under the race detector a child would sleep a second on exit.
	cmd.Env = append(os.Environ(), peerChildEnv+"="+mode+":"+c.Name(), "GORACE="+os.Getenv("GORACE")+" atexit_sleep_ms=0")
	stderr := new(bytes.Buffer)
	cmd.Stderr = stderr
	proc, err := transport.StartCommand(cmd, &transport.Options{GracePeriod: 20 * time.Second})
	if err != nil {
		cancel()
		tb.Fatalf("StartCommand: %v", err)
	}
	tb.Cleanup(func() {
		proc.Close()
		cancel()
	})
	return newTestPeer(tb, proc, c, bind, nil), proc, stderr
}

// waitDone waits for p's connection to end.
func waitDone(tb testing.TB, p *peer.Peer) {
	tb.Helper()
	select {
	case <-p.Done():
	case <-time.After(10 * time.Second):
		tb.Fatal("the peer did not notice its connection ending")
	}
}

// peerCall adapts Peer.Call to the conformance table.
func peerCall(p *peer.Peer) rpctest.CallFunc {
	return func(method string, args, reply any) error {
		return p.Call(context.Background(), method, args, reply)
	}
}

// bindPeerServices registers, for each peer, Arith and Echo, a Bouncer and
// a Caller that know the peer, and extra receivers.
func bindPeerServices(extra ...any) peer.Binder {
	return func(p *peer.Peer, s *peer.Registry) error {
		services := []any{new(rpctest.Arith), new(rpctest.Echo), &rpctest.Bouncer{Self: p}, &Caller{self: p}}
		for _, r := range append(services, extra...) {
			if err := s.Register(r); err != nil {
				return err
			}
		}
		return nil
	}
}

// Caller tells who calls: the common name of the certificate the caller
// presented, as a handler that authorises its callers would read it.
type Caller struct{ self *peer.Peer }

// Name returns the caller's certificate's common name, or "" without one.
func (c *Caller) Name(_ int, reply *string) error {
	conn, ok := c.self.Conn().(net.Conn)
	if !ok {
		return errors.New("the connection is no net.Conn")
	}
	*reply = peerName(conn)
	return nil
}

// Control is the parent's service for a child that has finished its
// calls.
type Control struct{ finished chan bool }

// Finished reports whether the child's calls to the parent passed.
func (c *Control) Finished(passed bool, _ *bool) error {
	c.finished <- passed
	return nil
}

// Crash ends the child process that serves it.
type Crash struct{ blocker *rpctest.Blocker }

// Exit waits until n calls are blocked in Blocker.Wait and then ends the
// process with status 3, answering none of them.
func (c *Crash) Exit(n int, _ *int) error {
	for range n {
		<-c.blocker.Started
	}
	os.Exit(3)
	return nil
}
