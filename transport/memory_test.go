package transport_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/duplexrpc/duplex/transport"
)

// TestMemoryAddresses checks mem:// naming: names are unique while a
// listener holds them, free again after Close, and dialing a name without a
// listener fails.
func TestMemoryAddresses(t *testing.T) {
	ctx := context.Background()
	ln := listen(t, "mem://svc", nil)
	if got := ln.Addr().String(); got != "mem://svc" {
		t.Errorf("Addr() = %q, want mem://svc", got)
	}
	if _, err := transport.Listen(ctx, "mem://svc", nil); !errors.Is(err, transport.ErrAddrInUse) {
		t.Errorf("second Listen: %v, want ErrAddrInUse", err)
	}
	if _, err := transport.Dial(ctx, "mem://nobody", nil); !errors.Is(err, transport.ErrNoListener) {
		t.Errorf("Dial(mem://nobody): %v, want ErrNoListener", err)
	}

	// Nobody accepts: Dial waits for its context.
	short, cancel := context.WithTimeout(ctx, 50*time.Millisecond)
	defer cancel()
	if _, err := transport.Dial(short, "mem://svc", nil); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("Dial without Accept: %v, want context.DeadlineExceeded", err)
	}

	ln.Close()
	if _, err := transport.Dial(ctx, "mem://svc", nil); !errors.Is(err, transport.ErrNoListener) {
		t.Errorf("Dial after Close: %v, want ErrNoListener", err)
	}
	again := listen(t, "mem://svc", nil)
	again.Close()

	a := listen(t, "mem://", nil)
	b := listen(t, "mem://", nil)
	if a.Addr().String() == b.Addr().String() {
		t.Errorf("two unnamed listeners share %v", a.Addr())
	}
}
