package rpctest

import (
	"fmt"
	"os"
	"runtime"
	"strings"
	"testing"
	"time"
)

// VerifyNoLeaks runs the tests and then fails the run if goroutines of this
// module, net/rpc or the network poller are still alive a few seconds later.
// Call it from TestMain.
func VerifyNoLeaks(m *testing.M) {
	code := m.Run()
	if code == 0 {
		if leaked := waitForLeaks(5 * time.Second); leaked != "" {
			fmt.Fprintf(os.Stderr, "goroutines leaked by the tests:\n%s\n", leaked)
			code = 1
		}
	}
	os.Exit(code)
}

func waitForLeaks(patience time.Duration) string {
	deadline := time.Now().Add(patience)
	for {
		leaked := Leaked()
		if leaked == "" || time.Now().After(deadline) {
			return leaked
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// Leaked returns the stacks of live goroutines that belong to this module,
// net/rpc or a blocked network read, except the caller's own.
func Leaked() string {
	buf := make([]byte, 1<<20)
	buf = buf[:runtime.Stack(buf, true)]
	var leaked []string
	for i, g := range strings.Split(string(buf), "\n\n") {
		if i == 0 { // the calling goroutine
			continue
		}
		if strings.Contains(g, "rpctest.Leaked") || strings.Contains(g, "testing.(*M)") {
			continue
		}
		if strings.Contains(g, "duplexrpc/duplex") || strings.Contains(g, "net/rpc") ||
			strings.Contains(g, "internal/poll") || strings.Contains(g, "net.(*pipe)") {
			leaked = append(leaked, g)
		}
	}
	return strings.Join(leaked, "\n\n")
}
