package transport_test

import (
	"bytes"
	"crypto/tls"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/duplexrpc/duplex/transport"
)

// transportCase makes one connection over one transport.
type transportCase struct {
	name string
	// pair returns the two ends; a nil server means the far end echoes
	// what the client writes.
	pair func(t *testing.T) (client, server io.ReadWriteCloser)
	// check, if set, inspects the ends after the exchange.
	check func(t *testing.T, client, server io.ReadWriteCloser)
}

func transportCases() []transportCase {
	listenDial := func(listenAddr string, lopts, dopts *transport.Options, dialAddr func(net.Listener) string) func(*testing.T) (io.ReadWriteCloser, io.ReadWriteCloser) {
		return func(t *testing.T) (io.ReadWriteCloser, io.ReadWriteCloser) {
			ln := listen(t, listenAddr, lopts)
			return connect(t, ln, dialAddr(ln), dopts)
		}
	}
	bare := func(ln net.Listener) string { return ln.Addr().String() }
	withScheme := func(scheme, path string) func(net.Listener) string {
		return func(ln net.Listener) string { return scheme + "://" + ln.Addr().String() + path }
	}
	// Certificates are made once per run of this function.
	var pk *pki
	var pkOnce sync.Once
	certs := func(t *testing.T) *pki {
		pkOnce.Do(func() { pk = newPKI(t) })
		return pk
	}
	tlsPair := func(scheme, path string, mutual bool) func(*testing.T) (io.ReadWriteCloser, io.ReadWriteCloser) {
		return func(t *testing.T) (io.ReadWriteCloser, io.ReadWriteCloser) {
			p := certs(t)
			var cert *tls.Certificate
			if mutual {
				cert = &p.client
			}
			return listenDial(scheme+"://127.0.0.1:0"+path, p.serverOptions(mutual), p.clientOptions(cert), withScheme(scheme, path))(t)
		}
	}
	return []transportCase{
		{name: "pipe", pair: func(t *testing.T) (io.ReadWriteCloser, io.ReadWriteCloser) {
			a, b := transport.Pipe()
			t.Cleanup(func() { a.Close(); b.Close() })
			return a, b
		}},
		{name: "mem", pair: listenDial("mem://", nil, nil, bare)},
		{name: "tcp", pair: listenDial("tcp://127.0.0.1:0", nil, nil, bare)},
		{name: "tcp6", pair: func(t *testing.T) (io.ReadWriteCloser, io.ReadWriteCloser) {
			ln, err := net.Listen("tcp6", "[::1]:0")
			if err != nil {
				t.Skipf("no IPv6 loopback: %v", err)
			}
			ln.Close()
			return listenDial("tcp://[::1]:0", nil, nil, withScheme("tcp", ""))(t)
		}},
		{name: "unix", pair: func(t *testing.T) (io.ReadWriteCloser, io.ReadWriteCloser) {
			addr := "unix://" + filepath.Join(t.TempDir(), "s.sock")
			return listenDial(addr, nil, nil, func(net.Listener) string { return addr })(t)
		}},
		{name: "tls", pair: tlsPair("tls", "", false), check: checkCerts("server", "")},
		{name: "mtls", pair: tlsPair("tls", "", true), check: checkCerts("server", "good-client")},
		{name: "ws", pair: listenDial("ws://127.0.0.1:0/rpc", nil, nil, withScheme("ws", "/rpc"))},
		{name: "wss", pair: tlsPair("wss", "/rpc", false), check: checkCerts("server", "")},
		{name: "wss-mtls", pair: tlsPair("wss", "/rpc", true), check: checkCerts("server", "good-client")},
		{name: "http-connect", pair: listenDial("http://127.0.0.1:0", nil, nil, withScheme("http", ""))},
		{name: "subprocess", pair: func(t *testing.T) (io.ReadWriteCloser, io.ReadWriteCloser) {
			return startHelper(t, "echo", nil), nil
		}, check: func(t *testing.T, client, _ io.ReadWriteCloser) {
			if err := client.(*transport.Process).Wait(); err != nil {
				t.Errorf("echo child: Wait() = %v, want nil", err)
			}
		}},
	}
}

// checkCerts checks what each end sees of the other's certificate; an
// empty name means no certificate.
func checkCerts(serverName, clientName string) func(t *testing.T, client, server io.ReadWriteCloser) {
	return func(t *testing.T, client, server io.ReadWriteCloser) {
		t.Helper()
		if got := peerName(client.(net.Conn)); got != serverName {
			t.Errorf("client sees server certificate %q, want %q", got, serverName)
		}
		if got := peerName(server.(net.Conn)); got != clientName {
			t.Errorf("server sees client certificate %q, want %q", got, clientName)
		}
		if _, ok := transport.TLSState(server.(net.Conn)); !ok {
			t.Errorf("TLSState(server end) reports no TLS")
		}
	}
}

func peerName(c net.Conn) string {
	certs := transport.PeerCertificates(c)
	if len(certs) == 0 {
		return ""
	}
	return certs[0].Subject.CommonName
}

// TestEcho runs one exchange over every transport: both ends write at
// once, from two goroutines each, frames from empty to 1 MiB, each in one
// Write; each end checks every frame it reads; then closing one end makes
// the other read io.EOF.
func TestEcho(t *testing.T) {
	for _, tc := range transportCases() {
		t.Run(tc.name, func(t *testing.T) {
			client, server := tc.pair(t)
			exchange(t, client, server)
			closeAndExpectEOF(t, client, server)
			if tc.check != nil {
				tc.check(t, client, server)
			}
		})
	}
}

var frameSizes = []int{0, 1, 100, 4096, 65536, 1 << 20, 17, 300000}

const writersPerEnd = 2

// exchange has a and b each write frames from writersPerEnd goroutines and
// read the other's frames (their own if b is nil, an echo).
func exchange(t *testing.T, a, b io.ReadWriteCloser) {
	t.Helper()
	errc := make(chan error, 2*writersPerEnd+2)
	jobs := 0
	run := func(f func() error) {
		jobs++
		go func() { errc <- f() }()
	}
	for w := range writersPerEnd {
		run(func() error { return writeFrames(a, byte(w)) })
	}
	if b == nil {
		run(func() error { return readFrames(a, 0) })
	} else {
		for w := range writersPerEnd {
			run(func() error { return writeFrames(b, byte(writersPerEnd+w)) })
		}
		run(func() error { return readFrames(a, writersPerEnd) })
		run(func() error { return readFrames(b, 0) })
	}
	timeout := time.After(20 * time.Second)
	for range jobs {
		select {
		case err := <-errc:
			if err != nil {
				t.Error(err)
			}
		case <-timeout:
			t.Fatal("exchange timed out")
		}
	}
}

// A frame is: 4-byte length of the rest, writer id, 4-byte sequence number,
// payload.
func frame(writer byte, seq int) []byte {
	size := frameSizes[seq]
	f := make([]byte, 9+size)
	binary.BigEndian.PutUint32(f, uint32(5+size))
	f[4] = writer
	binary.BigEndian.PutUint32(f[5:], uint32(seq))
	for i := range size {
		f[9+i] = byte(i*7 + int(writer)*31 + seq)
	}
	return f
}

func writeFrames(w io.Writer, writer byte) error {
	for seq := range frameSizes {
		f := frame(writer, seq)
		if n, err := w.Write(f); err != nil || n != len(f) {
			return fmt.Errorf("writer %d, frame %d: Write = %d, %v; want %d, nil", writer, seq, n, err, len(f))
		}
	}
	return nil
}

// readFrames reads all frames of writers first..first+writersPerEnd-1,
// checking each writer's frames arrive whole and in order.
func readFrames(r io.Reader, first byte) error {
	next := make(map[byte]int)
	for range writersPerEnd * len(frameSizes) {
		var head [9]byte
		if _, err := io.ReadFull(r, head[:]); err != nil {
			return fmt.Errorf("reading frame header: %w", err)
		}
		writer, seq := head[4], int(binary.BigEndian.Uint32(head[5:]))
		if writer < first || writer >= first+writersPerEnd || seq != next[writer] {
			return fmt.Errorf("got frame %d of writer %d, want writer %d..%d, frame %d", seq, writer, first, first+writersPerEnd-1, next[writer])
		}
		next[writer]++
		want := frame(writer, seq)
		got := make([]byte, len(want))
		copy(got, head[:])
		if _, err := io.ReadFull(r, got[9:]); err != nil {
			return fmt.Errorf("reading frame %d of writer %d: %w", seq, writer, err)
		}
		if !bytes.Equal(got, want) {
			return fmt.Errorf("frame %d of writer %d: content differs", seq, writer)
		}
	}
	return nil
}

// closeAndExpectEOF closes the client and checks the server end, or the
// echoing child's output, then reads io.EOF.
func closeAndExpectEOF(t *testing.T, client, server io.ReadWriteCloser) {
	t.Helper()
	if server == nil {
		if err := client.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
		return
	}
	eof := readResult(server, 1)
	if err := client.Close(); err != nil {
		t.Errorf("Close: %v", err)
	}
	if err := waitErr(t, eof, 10*time.Second); !errors.Is(err, io.EOF) {
		t.Errorf("server Read after client Close: %v, want io.EOF", err)
	}
}

// TestCloseUnblocksRead checks, over every transport, that closing an end
// promptly ends a Read blocked on it, with an error.
func TestCloseUnblocksRead(t *testing.T) {
	for _, tc := range transportCases() {
		t.Run(tc.name, func(t *testing.T) {
			client, server := tc.pair(t)
			if server != nil {
				readResult(server, 1) // the peer reads too, as an RPC peer does
			}
			blocked := readResult(client, 1)
			time.Sleep(20 * time.Millisecond)
			start := time.Now()
			if err := client.Close(); err != nil {
				t.Errorf("Close: %v", err)
			}
			if err := waitErr(t, blocked, 5*time.Second); err == nil {
				t.Error("blocked Read returned no error after Close")
			}
			if d := time.Since(start); d > 2*time.Second {
				t.Errorf("Close and the blocked Read took %v", d)
			}
		})
	}
}
