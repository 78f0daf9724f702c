package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strings"
	"time"
)

// What a worker's -exec does with each call: it runs the command, with
// the call's argument as JSON on stdin, and answers with what the command
// prints. One run per call, concurrently when calls overlap.

// maxOutput bounds what a command may print: a reply must fit in a frame.
const maxOutput = 16 << 20

// maxErrText bounds the stderr that a failed run's error carries.
const maxErrText = 1 << 10

// execHandler returns the handler that runs command for each call. timeout,
// if positive, bounds each run; a run also ends when its call is
// cancelled.
func execHandler(e *env, command, codecName string, timeout time.Duration) handler {
	return func(ctx context.Context, method string, arg json.RawMessage) (answer, error) {
		if timeout > 0 {
			var cancel context.CancelFunc
			ctx, cancel = context.WithTimeout(ctx, timeout)
			defer cancel()
		}
		cmd, stderr := newRun(ctx, command, method, codecName, arg)
		stdout := &capped{max: maxOutput}
		cmd.Stdout = stdout
		err := cmd.Run()
		e.passStderr(stderr)
		switch {
		case ctx.Err() != nil:
			return answer{}, runEnded(ctx, command, timeout)
		case stdout.over:
			return answer{}, fmt.Errorf("%s: more than %d bytes of output", command, maxOutput)
		case err != nil:
			return answer{}, runFailed(err, stderr)
		}
		return answer{value: outputJSON(stdout.Bytes())}, nil
	}
}

// maxLine bounds a line of a streaming command's output: an item must fit
// in a frame.
const maxLine = 1 << 20

// execStreamHandler returns the handler that runs command for each call
// and streams the lines it prints, each a JSON string without its line
// end, as it prints them. A caller that reads slowly holds the command
// back: its output pipe fills. A cancelled stream kills the command.
func execStreamHandler(e *env, command, codecName string, timeout time.Duration) streamHandler {
	return func(ctx context.Context, method string, arg json.RawMessage, send func(string) error) error {
		if timeout > 0 {
			var cancel context.CancelFunc
			ctx, cancel = context.WithTimeout(ctx, timeout)
			defer cancel()
		}
		ctx, stop := context.WithCancel(ctx) // a failed send kills the run
		defer stop()
		cmd, stderr := newRun(ctx, command, method, codecName, arg)
		stdout, err := cmd.StdoutPipe()
		if err == nil {
			err = cmd.Start()
		}
		if err != nil {
			return fmt.Errorf("%s: %w", command, err)
		}
		sendErr := sendLines(bufio.NewReaderSize(stdout, 64<<10), send)
		if sendErr != nil {
			stop() // Wait then closes stdout: nothing is left to read
		}
		err = cmd.Wait()
		e.passStderr(stderr)
		switch {
		case sendErr != nil:
			return sendErr // the stream's own end (cancelled, stalled, closed), or a line too long
		case ctx.Err() != nil:
			return runEnded(ctx, command, timeout)
		case err != nil:
			return runFailed(err, stderr)
		}
		return nil
	}
}

// sendLines sends each line r gives, without its "\n" or "\r\n", and a
// last line without an end; a line longer than maxLine ends it.
func sendLines(r *bufio.Reader, send func(string) error) error {
	var line []byte
	for {
		chunk, err := r.ReadSlice('\n')
		if len(line)+len(chunk) > maxLine {
			return fmt.Errorf("a line of more than %d bytes", maxLine)
		}
		line = append(line, chunk...)
		if errors.Is(err, bufio.ErrBufferFull) {
			continue
		}
		if len(line) > 0 {
			if err := send(strings.TrimSuffix(strings.TrimSuffix(string(line), "\n"), "\r")); err != nil {
				return err
			}
		}
		line = line[:0]
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return err
		}
	}
}

// newRun is the run of command for one call: /bin/sh -c with the call's
// argument as a line on stdin, the method and codec in its environment,
// its stderr kept (up to maxOutput), and ctx's end killing its process
// group.
func newRun(ctx context.Context, command, method, codecName string, arg json.RawMessage) (*exec.Cmd, *capped) {
	cmd := exec.CommandContext(ctx, shell[0], append(shell[1:], command)...)
	cmd.Env = append(os.Environ(), "DUPLEX_METHOD="+method, "DUPLEX_CODEC="+codecName)
	cmd.Stdin = bytes.NewReader(append(arg, '\n'))
	stderr := &capped{max: maxOutput}
	cmd.Stderr = stderr
	cmd.WaitDelay = time.Second
	killGroup(cmd)
	return cmd, stderr
}

// passStderr writes what a run printed on stderr on the worker's own: the
// command's diagnostics, as they would show.
func (e *env) passStderr(stderr *capped) {
	if stderr.Len() == 0 {
		return
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	e.stderr.Write(stderr.Bytes())
}

// runEnded is the error of a run that ctx ended: killed after the
// timeout, or cancelled by the caller.
func runEnded(ctx context.Context, command string, timeout time.Duration) error {
	if errors.Is(ctx.Err(), context.DeadlineExceeded) && timeout > 0 {
		return fmt.Errorf("%s: killed after %v", command, timeout)
	}
	return ctx.Err()
}

// runFailed is the error of a run that failed by itself: its exit status
// and the end of what it printed on stderr.
func runFailed(err error, stderr *capped) error {
	msg := err.Error()
	if text := strings.TrimSpace(stderr.String()); text != "" {
		if len(text) > maxErrText {
			text = "…" + text[len(text)-maxErrText:]
		}
		msg += ": " + text
	}
	return errors.New(msg)
}

// outputJSON is what a command printed, as a reply: the JSON value it
// printed, null for nothing, or else its text as a JSON string.
func outputJSON(out []byte) json.RawMessage {
	text := bytes.TrimSpace(out)
	switch {
	case len(text) == 0:
		return json.RawMessage("null")
	case json.Valid(text):
		return text
	}
	return appendJSONString(nil, bytes.TrimRight(out, "\r\n"))
}

// capped is a buffer that takes at most max bytes and fails the write past
// them, which stops the command's output.
type capped struct {
	bytes.Buffer
	max  int
	over bool
}

func (c *capped) Write(b []byte) (int, error) {
	if c.Len()+len(b) > c.max {
		c.over = true
		return 0, errors.New("output too large")
	}
	return c.Buffer.Write(b)
}
