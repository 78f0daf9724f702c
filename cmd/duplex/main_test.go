package main_test

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/duplexrpc/duplex/internal/rpctest"
)

// The binaries the tests run as a user would, built once by TestMain.
var (
	duplex       string // this command; with -race when the tests run with it
	arith        string // examples/arith
	masterworker string // examples/masterworker

	// raceEnabled is set by race_test.go when the tests run with -race.
	raceEnabled bool
)

// timeout bounds every child process and every wait of a test.
const timeout = 60 * time.Second

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "duplex-test-")
	code := 1
	if err == nil {
		err = build(dir)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
	} else if code = m.Run(); code == 0 {
		if leaked := rpctest.WaitForLeaks(5*time.Second, rpctest.Leaked); leaked != "" {
			fmt.Fprintf(os.Stderr, "goroutines leaked by the tests:\n%s\n", leaked)
			code = 1
		}
	}
	os.RemoveAll(dir)
	os.Exit(code)
}

// build builds the three binaries into dir.
func build(dir string) error {
	exe := ""
	if runtime.GOOS == "windows" {
		exe = ".exe"
	}
	for _, b := range []struct {
		path *string
		pkg  string
		race bool
	}{
		{&duplex, ".", raceEnabled},
		{&arith, "../../examples/arith", false},
		{&masterworker, "../../examples/masterworker", false},
	} {
		*b.path = filepath.Join(dir, filepath.Base(b.pkg)+exe)
		if b.pkg == "." {
			*b.path = filepath.Join(dir, "duplex"+exe)
		}
		args := []string{"build", "-o", *b.path}
		if b.race {
			args = append(args, "-race")
		}
		ctx, cancel := context.WithTimeout(context.Background(), 4*timeout)
		out, err := exec.CommandContext(ctx, "go", append(args, b.pkg)...).CombinedOutput()
		cancel()
		if err != nil {
			return fmt.Errorf("go build %s: %v\n%s", b.pkg, err, out)
		}
	}
	return nil
}

// short returns s, or its last lines when it is long, for a message.
func short(s string) string {
	lines := strings.Split(s, "\n")
	if len(lines) > 40 {
		lines = append([]string{"…"}, lines[len(lines)-40:]...)
	}
	return strings.Join(lines, "\n")
}
