package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/duplexrpc/duplex/codec"
	"github.com/duplexrpc/duplex/peer"
)

// Commands. workspace/executeCommand runs one of the commands initialize
// listed; this server has one, slow, which takes a while and says how far
// it has got with $/progress, as a real server's long task (an index, a
// build) does, and stops when the client cancels it.

// slowSteps is how many parts a slow command's wait is cut into: a begin,
// a report after each part but the last, and an end.
const slowSteps = 4

// slowArgs is slow's one argument, {"ms": n}: how long it takes.
type slowArgs struct {
	Ms *int `json:"ms"`
}

// ExecuteCommand serves workspace/executeCommand. An unknown command, or
// arguments that do not fit, fail with InvalidParams (-32602).
func (s *Server) ExecuteCommand(ctx context.Context, params *ExecuteCommandParams, reply *string) error {
	switch params.Command {
	case "slow":
		var args slowArgs
		if len(params.Arguments) != 1 || json.Unmarshal(params.Arguments[0], &args) != nil || args.Ms == nil || *args.Ms < 0 {
			return &peer.Error{Code: codec.CodeInvalidParams, Message: `lspserver: slow takes one argument, {"ms": n} with n ≥ 0`}
		}
		return s.slow(ctx, time.Duration(*args.Ms)*time.Millisecond, params.WorkDoneToken, reply)
	}
	return &peer.Error{Code: codec.CodeInvalidParams, Message: fmt.Sprintf("lspserver: no command %q (have slow)", params.Command)}
}

// slow waits d, in slowSteps parts, reporting progress: under the client's
// token if the request carried one (workDoneToken), else under one of its
// own that it asks the client to create. When the client cancels the
// request ($/cancelRequest), its context ends: slow ends the progress and
// returns the context's error, which the peer answers with
// RequestCancelled (-32800).
func (s *Server) slow(ctx context.Context, d time.Duration, clientToken ProgressToken, reply *string) error {
	report, err := s.startProgress(ctx, clientToken)
	if err != nil {
		return err
	}
	report(ctx, WorkDoneProgress{Kind: "begin", Title: "slow", Message: fmt.Sprintf("waiting %v", d), Percentage: percent(0)})
	timer := time.NewTimer(d / slowSteps)
	defer timer.Stop()
	for step := 1; ; step++ {
		select {
		case <-ctx.Done():
			// The end goes out ahead of the answer, after the request's
			// context has ended: it is sent with one that has not.
			endCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), time.Second)
			report(endCtx, WorkDoneProgress{Kind: "end", Message: "cancelled"})
			cancel()
			return ctx.Err()
		case <-timer.C:
		}
		if step == slowSteps {
			break
		}
		report(ctx, WorkDoneProgress{Kind: "report", Message: fmt.Sprintf("%d of %d", step, slowSteps), Percentage: percent(100 * step / slowSteps)})
		timer.Reset(d / slowSteps)
	}
	report(ctx, WorkDoneProgress{Kind: "end", Message: "done"})
	*reply = fmt.Sprintf("slept %d ms", d.Milliseconds())
	return nil
}

// reporter sends one value of a task's progress. A value that cannot be
// sent (the connection is gone) is let go: progress is for the person
// watching, and the task's answer says how it went.
type reporter func(ctx context.Context, v WorkDoneProgress)

// startProgress returns how to report a request's progress, by what LSP
// calls work done progress:
//
//   - the client sent a workDoneToken with the request: report under it,
//     with peer.ReportProgress, which knows the token from the request
//     (the LSP dialect reads it from params.workDoneToken);
//   - the client takes progress the server starts (its capability
//     window.workDoneProgress): make a token, ask the client to create it
//     with window/workDoneProgress/create, a call back to it while its
//     request waits, and send $/progress notifications under it;
//   - neither: report nothing.
//
// If the client refuses the token, nothing is reported either. Only the
// request's end, or the connection's, is an error.
func (s *Server) startProgress(ctx context.Context, clientToken ProgressToken) (reporter, error) {
	if len(clientToken) > 0 {
		return func(ctx context.Context, v WorkDoneProgress) { peer.ReportProgress(ctx, v) }, nil
	}
	if !s.serverProgress() {
		return func(context.Context, WorkDoneProgress) {}, nil
	}
	client, _ := peer.FromContext(ctx)
	token := ProgressToken(strconv.Quote(fmt.Sprintf("lspserver/slow/%d", s.tokens.Add(1))))
	if err := client.Call(ctx, "window/workDoneProgress/create", WorkDoneProgressCreateParams{Token: token}, new(any)); err != nil {
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		var refused *peer.Error
		if errors.As(err, &refused) {
			return func(context.Context, WorkDoneProgress) {}, nil
		}
		return nil, err
	}
	return func(ctx context.Context, v WorkDoneProgress) {
		client.Notify(ctx, "$/progress", ProgressParams{Token: token, Value: v})
	}, nil
}

// percent returns a percentage to send, which must be there even when it
// is 0.
func percent(n int) *int { return &n }
