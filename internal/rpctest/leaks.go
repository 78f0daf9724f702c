package rpctest

import (
	"fmt"
	"os"
	"runtime"
	"strings"
	"testing"
	"time"
)

// VerifyNoLeaks runs the tests and then fails the run if any goroutine
// but the runtime's own is still alive a few seconds later. Every
// package's TestMain calls it.
func VerifyNoLeaks(m *testing.M) {
	code := m.Run()
	if code == 0 {
		if leaked := WaitForLeaks(5*time.Second, Leaked); leaked != "" {
			fmt.Fprintf(os.Stderr, "goroutines leaked by the tests:\n%s\n", leaked)
			code = 1
		}
	}
	os.Exit(code)
}

// WaitForLeaks waits up to patience for find, which lists the goroutines
// that should have ended (Leaked, or a finder of a package's own), to list
// none, and returns what it lists last: "" when they all ended. It is the
// one wait of every TestMain's leak check.
func WaitForLeaks(patience time.Duration, find func() string) string {
	deadline := time.Now().Add(patience)
	for {
		leaked := find()
		if leaked == "" || time.Now().After(deadline) {
			return leaked
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// Leaked returns the stacks of the live goroutines other than the
// caller's, the test runner's and the signal handler's.
func Leaked() string {
	buf := make([]byte, 1<<16)
	for {
		n := runtime.Stack(buf, true)
		if n < len(buf) {
			buf = buf[:n]
			break
		}
		buf = make([]byte, 2*len(buf))
	}
	var leaked []string
	for i, g := range strings.Split(string(buf), "\n\n") {
		if i == 0 { // the calling goroutine
			continue
		}
		switch {
		case strings.Contains(g, "rpctest.Leaked"), strings.Contains(g, "testing.(*M)"),
			strings.Contains(g, "os/signal."), strings.Contains(g, "runtime.ensureSigM"):
			continue
		}
		leaked = append(leaked, g)
	}
	return strings.Join(leaked, "\n\n")
}
