package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
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
		cmd := exec.CommandContext(ctx, shell[0], append(shell[1:], command)...)
		cmd.Env = append(os.Environ(), "DUPLEX_METHOD="+method, "DUPLEX_CODEC="+codecName)
		cmd.Stdin = bytes.NewReader(append(arg, '\n'))
		stdout := &capped{max: maxOutput}
		stderr := &capped{max: maxOutput}
		cmd.Stdout, cmd.Stderr = stdout, stderr
		cmd.WaitDelay = time.Second
		killGroup(cmd)
		err := cmd.Run()
		if stderr.Len() > 0 { // the command's own diagnostics, as they would show
			e.mu.Lock()
			e.stderr.Write(stderr.Bytes())
			e.mu.Unlock()
		}
		switch {
		case ctx.Err() != nil && errors.Is(ctx.Err(), context.DeadlineExceeded):
			return answer{}, fmt.Errorf("%s: killed after %v", command, timeout)
		case ctx.Err() != nil:
			return answer{}, ctx.Err()
		case stdout.over:
			return answer{}, fmt.Errorf("%s: more than %d bytes of output", command, maxOutput)
		case err != nil:
			msg := err.Error()
			if text := strings.TrimSpace(stderr.String()); text != "" {
				if len(text) > maxErrText {
					text = "…" + text[len(text)-maxErrText:]
				}
				msg += ": " + text
			}
			return answer{}, errors.New(msg)
		}
		return answer{value: outputJSON(stdout.Bytes())}, nil
	}
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
