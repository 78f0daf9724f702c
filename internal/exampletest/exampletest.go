// Package exampletest holds what the examples' tests share: building the
// example once for all of a package's tests, and the rule for tests that
// need a runtime from outside Go.
package exampletest

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"testing"
	"time"
)

// Timeout bounds every child process of a test: a build, a server, a
// client, a browser.
const Timeout = 60 * time.Second

// Main builds the example in the current directory into a temporary
// binary, sets *binary to its path, runs the tests and removes the binary.
// With race the binary is built with -race too, so that a data race in it
// fails the test that ran it. Call it from TestMain.
func Main(m *testing.M, binary *string, race bool) {
	wd, _ := os.Getwd()
	name := filepath.Base(wd)
	dir, err := os.MkdirTemp("", name+"-example-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	*binary = filepath.Join(dir, name)
	if runtime.GOOS == "windows" {
		*binary += ".exe"
	}
	args := []string{"build", "-o", *binary}
	if race {
		args = append(args, "-race")
	}
	code := 1
	ctx, cancel := context.WithTimeout(context.Background(), 2*Timeout)
	if out, err := exec.CommandContext(ctx, "go", append(args, ".")...).CombinedOutput(); err != nil {
		fmt.Fprintf(os.Stderr, "go build: %v\n%s", err, out)
	} else {
		code = m.Run()
	}
	cancel()
	os.RemoveAll(dir)
	os.Exit(code)
}

// Need skips the test when err says a runtime it needs (Python's msgpack,
// Node, Chromium) is missing, except on CI (CI=true), where .ci/install.sh
// has installed everything: there a missing runtime fails the test.
func Need(t testing.TB, err error) {
	t.Helper()
	if err == nil {
		return
	}
	if os.Getenv("CI") == "true" {
		t.Fatalf("CI=true, but a runtime is missing (.ci/install.sh installs it): %v", err)
	}
	t.Skipf("a runtime is missing (.ci/install.sh installs it): %v", err)
}
