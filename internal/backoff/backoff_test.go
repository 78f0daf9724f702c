package backoff_test

import (
	"testing"
	"time"

	"github.com/duplexrpc/duplex/internal/backoff"
)

func TestNext(t *testing.T) {
	var d time.Duration
	var got []time.Duration
	for range 10 {
		d = backoff.Next(d)
		got = append(got, d)
	}
	want := []time.Duration{5, 10, 20, 40, 80, 160, 320, 640, 1000, 1000}
	for i := range want {
		if got[i] != want[i]*time.Millisecond {
			t.Fatalf("waits %v; want %v ms", got, want)
		}
	}
}
