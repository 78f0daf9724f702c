package benchmarks_test

import (
	"fmt"
	"os"
	"runtime"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/duplexrpc/duplex/benchmarks"
	"github.com/duplexrpc/duplex/internal/rpctest"
)

// TestMain raises the file limit for the scale benchmark, turns the test
// binary into a scale worker process when the benchmark re-executes it, and
// fails the run if the stacks under test leave goroutines behind.
func TestMain(m *testing.M) {
	if err := raiseFileLimit(); err != nil {
		fmt.Fprintln(os.Stderr, "benchmarks: raising the file limit:", err)
	}
	if benchmarks.IsWorkerProcess() {
		os.Exit(benchmarks.RunWorkerProcess())
	}
	code := m.Run()
	closeScaleFixture()
	if code == 0 {
		if leaked := rpctest.WaitForLeaks(5*time.Second, leakedGoroutines); leaked != "" {
			fmt.Fprintf(os.Stderr, "goroutines leaked:\n%s\n", leaked)
			code = 1
		}
	}
	os.Exit(code)
}

func raiseFileLimit() error {
	var lim syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &lim); err != nil {
		return err
	}
	lim.Cur = lim.Max
	return syscall.Setrlimit(syscall.RLIMIT_NOFILE, &lim)
}

// leakedGoroutines returns the stacks of goroutines still running code of a
// stack under test, or blocked on a connection.
func leakedGoroutines() string {
	buf := make([]byte, 1<<20)
	buf = buf[:runtime.Stack(buf, true)]
	var leaked []string
	for i, g := range strings.Split(string(buf), "\n\n") {
		if i == 0 || strings.Contains(g, "testing.(*M)") {
			continue
		}
		for _, pkg := range []string{"duplexrpc/duplex", "net/rpc", "internal/poll", "net.(*pipe)", "cenkalti/rpc2", "google.golang.org/grpc.(*Server)", "grpc/internal/transport"} {
			if strings.Contains(g, pkg) {
				leaked = append(leaked, g)
				break
			}
		}
	}
	return strings.Join(leaked, "\n\n")
}
