package transport_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/duplexrpc/duplex/transport"
)

// TestBadAddress checks that malformed addresses and unknown schemes fail
// clearly in both Listen and Dial.
func TestBadAddress(t *testing.T) {
	for _, tc := range []struct {
		addr string
		want error
	}{
		{"", transport.ErrBadAddress},
		{"foo://127.0.0.1:1", transport.ErrUnknownScheme},
		{"udp://127.0.0.1:1", transport.ErrUnknownScheme},
		{"tcp://127.0.0.1:1/path", transport.ErrBadAddress},
		{"tcp://", transport.ErrBadAddress},
		{"unix://", transport.ErrBadAddress},
		{"ws:///rpc", transport.ErrBadAddress},
		{"http://%zz", transport.ErrBadAddress},
	} {
		_, err := transport.Dial(context.Background(), tc.addr, nil)
		if !errors.Is(err, tc.want) {
			t.Errorf("Dial(%q) = %v, want %v", tc.addr, err, tc.want)
		}
		ln, err := transport.Listen(context.Background(), tc.addr, nil)
		if err == nil {
			ln.Close()
		}
		if !errors.Is(err, tc.want) {
			t.Errorf("Listen(%q) = %v, want %v", tc.addr, err, tc.want)
		}
		if tc.want == transport.ErrUnknownScheme && !strings.Contains(err.Error(), strings.Split(tc.addr, ":")[0]) {
			t.Errorf("Listen(%q) error %q does not name the scheme", tc.addr, err)
		}
	}
}
