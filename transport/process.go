package transport

import (
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"sync"
	"time"
)

// exitWait is how long Read, at the end of a child's output, waits for the
// child to exit, so that it can report how the child ended.
const exitWait = time.Second

// Process is a connection over a child process's standard input (Write) and
// standard output (Read). Its Read and Write are each safe for use by one
// goroutine at a time while the other direction runs concurrently.
//
// When the child ends, Read returns what it wrote and then io.EOF if it
// exited with status 0, or an error wrapping ErrProcessExited and the
// *exec.ExitError otherwise, so that calls pending on the connection fail.
type Process struct {
	cmd    *exec.Cmd
	stdin  *os.File // our end of the child's standard input
	stdout *os.File // our end of the child's standard output
	grace  time.Duration

	done    chan struct{} // closed once the child is reaped
	waitErr error         // cmd.Wait's result, set before done closes

	readMu  sync.Mutex
	readErr error // latched end-of-output error

	closeOnce sync.Once
}

var _ io.ReadWriteCloser = (*Process)(nil)

// StartCommand starts cmd with its standard input and output connected to
// the returned Process. cmd.Stdin and cmd.Stdout must be nil; cmd.Stderr is
// the caller's (nil discards it; os.Stderr shows the child's logs). Build
// cmd with exec.CommandContext to kill the child when a context ends.
// opts.GracePeriod sets how long Close waits before killing the child.
//
// A goroutine reaps the child; it ends when the child does, which Close
// guarantees.
func StartCommand(cmd *exec.Cmd, opts *Options) (*Process, error) {
	if cmd.Stdin != nil || cmd.Stdout != nil {
		return nil, errors.New("transport: StartCommand needs cmd.Stdin and cmd.Stdout unset")
	}
	inR, inW, err := os.Pipe()
	if err != nil {
		return nil, fmt.Errorf("transport: %w", err)
	}
	outR, outW, err := os.Pipe()
	if err != nil {
		inR.Close()
		inW.Close()
		return nil, fmt.Errorf("transport: %w", err)
	}
	cmd.Stdin, cmd.Stdout = inR, outW
	err = cmd.Start()
	// The child holds its own copies of these ends, if it started.
	inR.Close()
	outW.Close()
	if err != nil {
		inW.Close()
		outR.Close()
		return nil, fmt.Errorf("transport: %w", err)
	}
	p := &Process{
		cmd:    cmd,
		stdin:  inW,
		stdout: outR,
		grace:  opts.gracePeriod(),
		done:   make(chan struct{}),
	}
	go func() {
		p.waitErr = cmd.Wait()
		close(p.done)
	}()
	return p, nil
}

// Read reads the child's standard output.
func (p *Process) Read(b []byte) (int, error) {
	n, err := p.stdout.Read(b)
	if err != io.EOF {
		return n, err
	}
	p.readMu.Lock()
	defer p.readMu.Unlock()
	if p.readErr == nil {
		p.readErr = io.EOF
		t := time.NewTimer(exitWait)
		select {
		case <-p.done:
			if p.waitErr != nil {
				p.readErr = fmt.Errorf("%w: %w", ErrProcessExited, p.waitErr)
			}
		case <-t.C: // the child closed its output but lives on
		}
		t.Stop()
	}
	return n, p.readErr
}

// Write writes to the child's standard input.
func (p *Process) Write(b []byte) (int, error) {
	n, err := p.stdin.Write(b)
	if err != nil {
		select {
		case <-p.done:
			err = fmt.Errorf("%w: %w", ErrProcessExited, err)
		default:
		}
	}
	return n, err
}

// Close closes the child's standard input, which asks a well-behaved child
// to finish, waits up to the grace period for it to exit, kills it if it
// has not, and reaps it. Close is idempotent and returns once the child is
// gone; Wait reports how it ended.
func (p *Process) Close() error {
	p.closeOnce.Do(func() {
		p.stdin.Close()
		t := time.NewTimer(p.grace)
		select {
		case <-p.done:
		case <-t.C:
			p.cmd.Process.Kill()
			<-p.done
		}
		t.Stop()
		p.stdout.Close()
	})
	return nil
}

// Wait waits for the child to exit and returns cmd.Wait's result: nil for
// a zero exit status, an *exec.ExitError otherwise.
func (p *Process) Wait() error {
	<-p.done
	return p.waitErr
}

// Done returns a channel closed once the child has exited and been reaped.
func (p *Process) Done() <-chan struct{} { return p.done }
