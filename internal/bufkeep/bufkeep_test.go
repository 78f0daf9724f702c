package bufkeep_test

import (
	"testing"

	"github.com/duplexrpc/duplex/internal/bufkeep"
)

func TestPolicy(t *testing.T) {
	var p bufkeep.Policy
	if !p.Keep(4<<10, 10) || !p.Keep(bufkeep.Small, 0) {
		t.Error("a small buffer is not kept")
	}
	if p.Keep(bufkeep.Max+1, bufkeep.Max+1) {
		t.Error("a buffer over Max is kept")
	}
	big := 2 << 20
	for i := range 20 {
		if !p.Keep(big, big) {
			t.Fatalf("use %d: a large buffer in full use is given up", i)
		}
	}
	kept := 0
	for p.Keep(big, 100) {
		if kept++; kept > 100 {
			t.Fatal("a large buffer in disuse is never given up")
		}
	}
	if kept != 7 {
		t.Errorf("given up after %d small uses; want 8", kept+1)
	}
}
