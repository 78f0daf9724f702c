package transport_test

import (
	"context"
	"io"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/duplexrpc/duplex/transport"
)

// A listener's URL is what Dial reaches it at, port 0 replaced by the
// port bound and the path kept.
func TestListenerURL(t *testing.T) {
	for _, c := range []struct{ listen, prefix, suffix string }{
		{"127.0.0.1:0", "tcp://127.0.0.1:", ""},
		{"tcp://127.0.0.1:0", "tcp://127.0.0.1:", ""},
		{"unix://" + filepath.Join(t.TempDir(), "u.sock"), "unix:///", "u.sock"},
		{"ws://127.0.0.1:0/workers", "ws://127.0.0.1:", "/workers"},
		{"http://127.0.0.1:0/rpc", "http://127.0.0.1:", "/rpc"},
		{"mem://", "mem://", ""},
	} {
		t.Run(c.listen, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			ln, err := transport.Listen(ctx, c.listen, nil)
			if err != nil {
				t.Fatal(err)
			}
			defer ln.Close()
			u := ln.URL()
			if !strings.HasPrefix(u, c.prefix) || !strings.HasSuffix(u, c.suffix) || strings.Contains(u, ":0/") || strings.HasSuffix(u, ":0") {
				t.Fatalf("URL() = %q; want %s…%s with the port bound", u, c.prefix, c.suffix)
			}
			accepted := make(chan error, 1)
			go func() {
				conn, err := ln.Accept()
				if err == nil {
					_, err = io.Copy(conn, conn) // echo until the dialer closes
					conn.Close()
				}
				accepted <- err
			}()
			conn, err := transport.Dial(ctx, u, nil)
			if err != nil {
				t.Fatalf("Dial(%q): %v", u, err)
			}
			if _, err := conn.Write([]byte("hi")); err != nil {
				t.Fatal(err)
			}
			got := make([]byte, 2)
			if _, err := io.ReadFull(conn, got); err != nil || string(got) != "hi" {
				t.Fatalf("echo over %s = %q, %v", u, got, err)
			}
			conn.Close()
			<-accepted
		})
	}
}
