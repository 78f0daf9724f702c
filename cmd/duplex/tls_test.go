package main_test

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/pem"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/duplexrpc/duplex/codec"
	"github.com/duplexrpc/duplex/transport"
	"github.com/duplexrpc/duplex/transport/transporttest"
)

// pems writes a certificate and its key as PEM files, and returns their
// paths.
func pems(t testing.TB, dir, name string, cert tls.Certificate) (certFile, keyFile string) {
	t.Helper()
	key, err := x509.MarshalPKCS8PrivateKey(cert.PrivateKey)
	if err != nil {
		t.Fatal(err)
	}
	certFile, keyFile = filepath.Join(dir, name+".pem"), filepath.Join(dir, name+".key")
	write(t, certFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: cert.Certificate[0]}))
	write(t, keyFile, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: key}))
	return certFile, keyFile
}

func write(t testing.TB, name string, b []byte) {
	t.Helper()
	if err := os.WriteFile(name, b, 0o600); err != nil {
		t.Fatal(err)
	}
}

// Over tls:// and wss:// with mutual TLS: the command trusts the CA of
// -cacert and presents the certificate of -cert and -key; as a master it
// serves its own and requires its workers'.
func TestTLS(t *testing.T) {
	dir := t.TempDir()
	ca := transporttest.NewCA(t, "duplex test CA")
	caFile := filepath.Join(dir, "ca.pem")
	write(t, caFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: ca.Cert.Raw}))
	serverCert := ca.Issue(t, "server", "127.0.0.1", "server.test")
	clientCert := ca.Issue(t, "client")
	certFile, keyFile := pems(t, dir, "client", clientCert)
	serverCertFile, serverKeyFile := pems(t, dir, "server", serverCert)

	serverTLS := &transport.Options{TLSConfig: &tls.Config{
		Certificates: []tls.Certificate{serverCert},
		ClientCAs:    ca.Pool(),
		ClientAuth:   tls.RequireAndVerifyClientCert,
	}}
	for _, scheme := range []string{"tls", "wss"} {
		t.Run(scheme, func(t *testing.T) {
			t.Parallel()
			s := startServer(t, listenURL(t, scheme), codec.Msgpack, false, serverTLS)
			duplexRun(t, "call", "-cacert", caFile, "-cert", certFile, "-key", keyFile, s.url, "Arith.Multiply", `{"A": 7, "B": 8}`).
				want(t, 0, "56\n")
			// By another name for the server, as the certificate has it.
			duplexRun(t, "call", "-cacert", caFile, "-cert", certFile, "-key", keyFile, "-servername", "server.test", s.url, "Echo.Upper", `"tls"`).
				want(t, 0, "\"TLS\"\n")
			// Without the CA, the server is not trusted.
			r := duplexRun(t, "call", "-cert", certFile, "-key", keyFile, s.url, "Arith.Multiply", `{"A": 7, "B": 8}`)
			r.want(t, 3, "", "cannot connect to "+s.url)
			if !strings.Contains(r.stderr, "certificate") {
				t.Errorf("the error does not say why: %v", r)
			}

			m := start(t, duplex, "master", "-listen", listenURL(t, scheme), "-cert", serverCertFile, "-key", serverKeyFile,
				"-cacert", caFile, "-call", "Echo.Upper", `"hi"`)
			addr := m.address(t)
			dialGoWorker(t, addr, codec.Msgpack, &transport.Options{TLSConfig: &tls.Config{
				RootCAs:      ca.Pool(),
				Certificates: []tls.Certificate{clientCert},
			}})
			m.waitLine(t, `master: worker 1: Echo.Upper -> "HI"`)

			g := startGoMaster(t, listenURL(t, scheme), codec.Msgpack, serverTLS, echoCalls)
			w := start(t, duplex, "worker", "-cacert", caFile, "-cert", certFile, "-key", keyFile, "-connect", g.url)
			g.await(t, w)
			var hello string
			if err := dialGoWorker(t, addr, codec.Msgpack, &transport.Options{TLSConfig: &tls.Config{
				RootCAs: ca.Pool(), Certificates: []tls.Certificate{clientCert},
			}}).Call(context.Background(), "Any.Thing", "x", &hello); err != nil || hello != "x" {
				t.Errorf("a second worker's call to the master: %q, %v", hello, err)
			}
		})
	}
}
