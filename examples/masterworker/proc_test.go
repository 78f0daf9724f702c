package main_test

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"runtime"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
)

// proc is a child process whose stdout is collected line by line, so that
// a test can wait for a line while the process runs on.
type proc struct {
	cmd    *exec.Cmd
	stderr syncBuffer

	mu    sync.Mutex
	lines []string
	grew  chan struct{} // closed and replaced when a line arrives or the process exits

	exited chan struct{} // closed when the process has exited
	err    error         // how it exited; read after exited is closed
}

// start starts a process that is killed when the test ends or after the
// timeout, whichever comes first.
func start(t testing.TB, name string, args ...string) *proc {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	p := &proc{
		cmd:    exec.CommandContext(ctx, name, args...),
		grew:   make(chan struct{}),
		exited: make(chan struct{}),
	}
	p.cmd.Stderr = &p.stderr
	p.cmd.WaitDelay = 5 * time.Second
	stdout, err := p.cmd.StdoutPipe()
	if err == nil {
		err = p.cmd.Start()
	}
	if err != nil {
		cancel()
		t.Fatal(err)
	}
	go func() {
		defer cancel()
		s := bufio.NewScanner(stdout)
		for s.Scan() {
			p.mu.Lock()
			p.lines = append(p.lines, s.Text())
			p.changed()
			p.mu.Unlock()
		}
		p.err = p.cmd.Wait() // after the last read, as StdoutPipe asks
		close(p.exited)
		p.mu.Lock()
		p.changed()
		p.mu.Unlock()
	}()
	t.Cleanup(func() { p.kill(t) })
	return p
}

// changed wakes whoever waits for lines. p.mu is held.
func (p *proc) changed() {
	close(p.grew)
	p.grew = make(chan struct{})
}

// snapshot returns the lines printed so far.
func (p *proc) snapshot() []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return slices.Clone(p.lines)
}

// output returns the lines printed so far, as printed.
func (p *proc) output() string {
	return strings.Join(p.snapshot(), "\n")
}

func (p *proc) hasExited() bool {
	select {
	case <-p.exited:
		return true
	default:
		return false
	}
}

// await waits until ok holds for the lines printed so far. It returns an
// error if the process exits or the timeout passes first.
func (p *proc) await(what string, ok func(lines []string) bool) error {
	deadline := time.NewTimer(timeout)
	defer deadline.Stop()
	for {
		exited := p.hasExited() // before the snapshot: then it has every line
		p.mu.Lock()
		lines, grew := slices.Clone(p.lines), p.grew
		p.mu.Unlock()
		switch {
		case ok(lines):
			return nil
		case exited:
			return fmt.Errorf("%s exited (%v) without %s; stdout:\n%s\nstderr:\n%s",
				p.cmd.Path, p.err, what, strings.Join(lines, "\n"), p.stderr.String())
		}
		select {
		case <-grew:
		case <-deadline.C:
			return fmt.Errorf("%s printed no %s within %v; stdout:\n%s\nstderr:\n%s",
				p.cmd.Path, what, timeout, strings.Join(lines, "\n"), p.stderr.String())
		}
	}
}

// waitFor is await, failing the test on error.
func (p *proc) waitFor(t testing.TB, what string, ok func(lines []string) bool) {
	t.Helper()
	if err := p.await(what, ok); err != nil {
		t.Fatal(err)
	}
}

// waitLines waits until the process has printed every one of want.
func (p *proc) waitLines(t testing.TB, want ...string) {
	t.Helper()
	p.waitFor(t, fmt.Sprintf("%q", want), func(lines []string) bool {
		for _, w := range want {
			if !slices.Contains(lines, w) {
				return false
			}
		}
		return true
	})
}

// wait waits for the process to exit, within the timeout, and returns how
// it exited.
func (p *proc) wait(t testing.TB) error {
	t.Helper()
	select {
	case <-p.exited:
		return p.err
	case <-time.After(timeout):
		p.kill(t)
		return fmt.Errorf("%s killed after running %v", p.cmd.Path, timeout)
	}
}

// stopWith sends sig to the process and fails the test unless it exits
// cleanly.
func (p *proc) stopWith(t testing.TB, sig os.Signal) {
	t.Helper()
	if runtime.GOOS == "windows" {
		t.Skip("no signals to send on Windows")
	}
	if err := p.cmd.Process.Signal(sig); err != nil {
		t.Fatal(err)
	}
	if err := p.wait(t); err != nil {
		t.Fatalf("after %v: %s exited with %v, want a clean exit; stdout:\n%s\nstderr:\n%s",
			sig, p.cmd.Path, err, p.output(), p.stderr.String())
	}
}

// kill kills the process if it still runs and waits for it to end. It may
// be called more than once.
func (p *proc) kill(t testing.TB) {
	if p.hasExited() {
		return
	}
	p.cmd.Process.Kill()
	select {
	case <-p.exited:
	case <-time.After(timeout):
		t.Errorf("%s (pid %d) still runs %v after it was killed", p.cmd.Path, p.cmd.Process.Pid, timeout)
	}
}

// syncBuffer is a bytes.Buffer that a process writes while a test reads.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}
