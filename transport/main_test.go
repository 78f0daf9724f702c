package transport_test

import (
	"fmt"
	"io"
	"os"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/duplexrpc/duplex/transport"
)

// helperEnv selects what the test binary does when re-executed as a child
// process by the subprocess tests.
const helperEnv = "GO_WANT_HELPER_PROCESS"

func TestMain(m *testing.M) {
	if mode := os.Getenv(helperEnv); mode != "" {
		os.Exit(helperMain(mode))
	}
	code := m.Run()
	if code == 0 {
		if leaked := leakedGoroutines(5 * time.Second); len(leaked) > 0 {
			fmt.Fprintf(os.Stderr, "%d goroutines leaked after the tests:\n\n%s\n", len(leaked), strings.Join(leaked, "\n\n"))
			code = 1
		}
	}
	os.Exit(code)
}

// helperMain is the child side of the subprocess tests.
func helperMain(mode string) int {
	switch mode {
	case "echo": // echo standard input to standard output until EOF
		rw := transport.Stdio()
		if _, err := io.Copy(rw, rw); err != nil {
			fmt.Fprintln(os.Stderr, "helper:", err)
			return 1
		}
		rw.Close()
		return 0
	case "die": // answer one line's first byte, then die with status 3
		b := make([]byte, 1)
		if _, err := os.Stdin.Read(b); err == nil {
			os.Stdout.Write(b)
		}
		return 3
	case "hang": // ignore standard input closing; only a kill ends this
		time.Sleep(time.Minute)
		return 0
	}
	fmt.Fprintln(os.Stderr, "helper: unknown mode", mode)
	return 2
}

// leakedGoroutines returns the stacks of goroutines other than the caller
// that are still alive after waiting up to wait for them to finish.
func leakedGoroutines(wait time.Duration) []string {
	deadline := time.Now().Add(wait)
	for {
		leaked := otherGoroutines()
		if len(leaked) == 0 || time.Now().After(deadline) {
			return leaked
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func otherGoroutines() []string {
	buf := make([]byte, 1<<16)
	for {
		n := runtime.Stack(buf, true)
		if n < len(buf) {
			buf = buf[:n]
			break
		}
		buf = make([]byte, 2*len(buf))
	}
	// The first stack is the caller's.
	stacks := strings.Split(string(buf), "\n\n")[1:]
	var out []string
	for _, s := range stacks {
		if strings.Contains(s, "os/signal.") || strings.Contains(s, "runtime.ensureSigM") {
			continue
		}
		out = append(out, s)
	}
	return out
}
