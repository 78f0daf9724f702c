//go:build unix

package peer_test

import (
	"bufio"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/pem"
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
	"github.com/duplexrpc/duplex/transport/transporttest"
)

// fdCertEnv names the certificate and key files, "cert:key", of a child
// that serves tls.
const fdCertEnv = "DUPLEX_FD_CERT"

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
	var opts *transport.Options
	if files := os.Getenv(fdCertEnv); files != "" {
		certFile, keyFile, _ := strings.Cut(files, ":")
		cert, err := tls.LoadX509KeyPair(certFile, keyFile)
		if err != nil {
			fmt.Println("error:", err)
			return 1
		}
		opts = &transport.Options{TLSConfig: &tls.Config{Certificates: []tls.Certificate{cert}}}
	}
	ln, err := transport.Listen(context.Background(), addr, opts)
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
	ca := transporttest.NewCA(t, "fd test CA")
	certEnv := writeCert(t, ca.Issue(t, "fd test server", "127.0.0.1"))
	clientOpts := &transport.Options{TLSConfig: &tls.Config{RootCAs: ca.Pool()}}
	for _, addr := range []string{
		"tcp://127.0.0.1:0",
		"unix://" + filepath.Join(t.TempDir(), "fd.sock"),
		"tls://127.0.0.1:0",
		"ws://127.0.0.1:0/rpc",
		"http://127.0.0.1:0/rpc",
	} {
		scheme, _, _ := strings.Cut(addr, "://")
		t.Run(scheme, func(t *testing.T) {
			t.Parallel()
			cmd := exec.Command(os.Args[0], "-test.run=^$")
			cmd.Env = append(os.Environ(), fdChildEnv+"="+addr, fdCertEnv+"="+certEnv)
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
				got, err = callOnce(dial, clientOpts)
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

// writeCert writes cert and its key to PEM files and returns their names
// as fdCertEnv wants them.
func writeCert(t *testing.T, cert tls.Certificate) string {
	t.Helper()
	key, err := x509.MarshalPKCS8PrivateKey(cert.PrivateKey)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	certFile, keyFile := filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	certPEM := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: cert.Certificate[0]})
	keyPEM := pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: key})
	if err := os.WriteFile(certFile, certPEM, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(keyFile, keyPEM, 0o600); err != nil {
		t.Fatal(err)
	}
	return certFile + ":" + keyFile
}

// callOnce dials addr and calls Arith.Multiply(6, 7).
func callOnce(addr string, opts *transport.Options) (int, error) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	conn, err := transport.Dial(ctx, addr, opts)
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
