//go:build unix

package peer_test

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/duplexrpc/duplex/codec"
	"github.com/duplexrpc/duplex/internal/rpctest"
	"github.com/duplexrpc/duplex/peer"
	"github.com/duplexrpc/duplex/transport"
)

// fdChildEnv names the address a re-executed test binary serves on, with
// its file descriptors limited.
const fdChildEnv = "DUPLEX_FD_CHILD"

// childFDs is the child's file limit: a flood of 64 connections exhausts it.
const childFDs = 32

// fdChild serves Arith through a Hub on addr with at most childFDs open
// files, prints the address to dial, and exits when stdin closes.
func fdChild(addr string) int {
	var lim syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &lim); err != nil {
		fmt.Println("error:", err)
		return 1
	}
	lim.Cur = childFDs
	if err := syscall.Setrlimit(syscall.RLIMIT_NOFILE, &lim); err != nil {
		fmt.Println("error:", err)
		return 1
	}
	ln, err := transport.Listen(context.Background(), addr, nil)
	if err != nil {
		fmt.Println("error:", err)
		return 1
	}
	hub := peer.NewHub(codec.Msgpack, bindTestServices(), nil)
	served := make(chan error, 1)
	go func() { served <- hub.Serve(ln) }()
	fmt.Println(ln.URL())
	io.Copy(io.Discard, os.Stdin)
	hub.Close()
	if err := <-served; err != peer.ErrHubClosed {
		fmt.Fprintln(os.Stderr, "Serve:", err)
		return 1
	}
	return 0
}

// A flood of connections exhausts the server's file descriptors; once it
// ends, a good client connects and calls within 2 s, on every scheme: the
// Hub backs off and keeps its listener.
func TestAcceptSurvivesFDExhaustion(t *testing.T) {
	for _, addr := range []string{
		"tcp://127.0.0.1:0",
		"unix://" + filepath.Join(t.TempDir(), "fd.sock"),
		"ws://127.0.0.1:0/rpc",
		"http://127.0.0.1:0/rpc",
	} {
		scheme, _, _ := strings.Cut(addr, "://")
		t.Run(scheme, func(t *testing.T) {
			t.Parallel()
			cmd := exec.Command(os.Args[0], "-test.run=^$")
			cmd.Env = append(os.Environ(), fdChildEnv+"="+addr)
			stdin, _ := cmd.StdinPipe()
			stdout, _ := cmd.StdoutPipe()
			cmd.Stderr = os.Stderr
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() {
				stdin.Close()
				if err := cmd.Wait(); err != nil {
					t.Errorf("server process: %v", err)
				}
			})
			line, err := bufio.NewReader(stdout).ReadString('\n')
			if err != nil || strings.HasPrefix(line, "error:") {
				t.Fatalf("server process: %q, %v", line, err)
			}
			dial := strings.TrimSpace(line)
			network, target := "tcp", strings.TrimPrefix(strings.TrimPrefix(dial, "tcp://"), "unix://")
			if scheme == "unix" {
				network = "unix"
			} else if i := strings.Index(target, "://"); i >= 0 {
				target, _, _ = strings.Cut(target[i+3:], "/")
			}

			// The flood: twice the server's file limit, held, then gone.
			var flood []net.Conn
			for range 2 * childFDs {
				if c, err := net.DialTimeout(network, target, time.Second); err == nil {
					flood = append(flood, c)
				}
			}
			time.Sleep(500 * time.Millisecond)
			for _, c := range flood {
				c.Close()
			}

			start := time.Now()
			var got int
			for {
				got, err = callOnce(dial)
				if err == nil || time.Since(start) > 2*time.Second {
					break
				}
				time.Sleep(20 * time.Millisecond)
			}
			if err != nil || got != 42 {
				t.Fatalf("after the flood, within %v: Multiply(6, 7) = %d, %v", time.Since(start).Round(time.Millisecond), got, err)
			}
		})
	}
}

// callOnce dials addr and calls Arith.Multiply(6, 7).
func callOnce(addr string) (int, error) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	conn, err := transport.Dial(ctx, addr, nil)
	if err != nil {
		return 0, err
	}
	p, err := peer.New(conn, codec.Msgpack, nil)
	if err != nil {
		return 0, err
	}
	defer p.Close()
	var got int
	err = p.Call(ctx, "Arith.Multiply", &rpctest.Args{A: 6, B: 7}, &got)
	return got, err
}
