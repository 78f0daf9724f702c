package transporttest_test

import (
	"crypto/x509"
	"testing"

	"github.com/duplexrpc/duplex/internal/rpctest"
	"github.com/duplexrpc/duplex/transport/transporttest"
)

func TestMain(m *testing.M) {
	rpctest.VerifyNoLeaks(m) // the package starts no goroutines; make sure it stays that way

}

// TestIssue checks that an issued certificate verifies against its
// authority's pool, for its names and both uses, and not against another
// authority's.
func TestIssue(t *testing.T) {
	ca := transporttest.NewCA(t, "test CA")
	other := transporttest.NewCA(t, "other CA")
	cert := ca.Issue(t, "node-1", "127.0.0.1", "::1", "localhost")
	if got := cert.Leaf.Subject.CommonName; got != "node-1" {
		t.Errorf("CommonName = %q, want node-1", got)
	}
	for _, name := range []string{"127.0.0.1", "::1", "localhost"} {
		opts := x509.VerifyOptions{Roots: ca.Pool(), DNSName: name}
		if _, err := cert.Leaf.Verify(opts); err != nil {
			t.Errorf("server use for %s: %v", name, err)
		}
	}
	if _, err := cert.Leaf.Verify(x509.VerifyOptions{Roots: ca.Pool(), DNSName: "example.com"}); err == nil {
		t.Error("verified for a name it was not issued for")
	}
	client := x509.VerifyOptions{Roots: ca.Pool(), KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}}
	if _, err := cert.Leaf.Verify(client); err != nil {
		t.Errorf("client use: %v", err)
	}
	if _, err := cert.Leaf.Verify(x509.VerifyOptions{Roots: other.Pool()}); err == nil {
		t.Error("verified against another authority")
	}
}
