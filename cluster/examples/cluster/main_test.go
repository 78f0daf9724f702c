package main

import (
	"bytes"
	"context"
	"io"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/duplexrpc/duplex/internal/exampletest"
	"github.com/duplexrpc/duplex/internal/rpctest"
)

var (
	// demoBinary is the demo, built once by TestMain.
	demoBinary string
	// raceEnabled is set by race_test.go when the tests run with -race.
	raceEnabled bool
)

func TestMain(m *testing.M) { exampletest.Main(m, &demoBinary, raceEnabled) }

// The line the demo must end with.
const lastLine = "cluster demo: 6 of 6 workers answered after failover"

// The demo, run in the test's process, prints every worker's reply before
// and after the failover, ends with the summary line, and leaves no
// goroutine behind.
func TestDemo(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), exampletest.Timeout)
	defer cancel()
	var out bytes.Buffer
	if err := run(ctx, nil, &out, io.Discard); err != nil {
		t.Fatalf("run: %v\n%s", err, out.String())
	}
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	if got := lines[len(lines)-1]; got != lastLine {
		t.Errorf("last line %q, want %q", got, lastLine)
	}
	for _, round := range []string{"first round", "after failover"} {
		for i := 1; i <= 6; i++ {
			name := "w" + string(rune('0'+i))
			master := "master-" + string(rune('0'+(i-1)%2+1))
			if round == "after failover" {
				master = "master-2"
			}
			want := "  " + name + ": hello caller, from " + name + " at " + master
			if !containsLineAfter(lines, round, want) {
				t.Errorf("no %q after %q in:\n%s", want, round, out.String())
			}
		}
	}
	deadline := time.Now().Add(5 * time.Second)
	for leaked := rpctest.Leaked(); leaked != ""; leaked = rpctest.Leaked() {
		if time.Now().After(deadline) {
			t.Fatalf("goroutines left by the demo:\n%s", leaked)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// containsLineAfter reports whether want is a line after the first line
// that starts with mark.
func containsLineAfter(lines []string, mark, want string) bool {
	seen := false
	for _, l := range lines {
		if strings.HasPrefix(l, mark) {
			seen = true
		}
		if seen && l == want {
			return true
		}
	}
	return false
}

// The demo as a process exits 0 after printing the summary last, and
// non-zero when it cannot do its work.
func TestDemoProcess(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), exampletest.Timeout)
	defer cancel()
	out, err := exec.CommandContext(ctx, demoBinary).Output()
	if err != nil {
		t.Fatalf("the demo failed: %v\n%s", err, out)
	}
	lines := strings.Split(strings.TrimSpace(string(out)), "\n")
	if got := lines[len(lines)-1]; got != lastLine {
		t.Errorf("last line %q, want %q", got, lastLine)
	}

	// No NATS server there: it fails, at once.
	cmd := exec.CommandContext(ctx, demoBinary, "-nats", "nats://127.0.0.1:1", "-timeout", "10s")
	if out, err := cmd.CombinedOutput(); err == nil || cmd.ProcessState.ExitCode() != 1 {
		t.Errorf("with no NATS server: exit %v (%v), want 1\n%s", cmd.ProcessState.ExitCode(), err, out)
	}
	cmd = exec.CommandContext(ctx, demoBinary, "-bogus")
	if err := cmd.Run(); err == nil {
		t.Error("a bad flag: the demo succeeded")
	}
}
