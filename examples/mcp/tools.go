package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/duplexrpc/duplex/peer"
)

// tool is one tool: how it is described to the client, and how it runs.
// call returns the tool's result, failures included (IsError), or an
// error only when the call's context ended.
type tool struct {
	Tool
	call func(ctx context.Context, s *Server, args json.RawMessage) (*CallToolResult, error)
}

// newTool makes a tool whose arguments decode into an A. The arguments are
// checked against the schema first: each of its required members must be
// there, and no member it does not name may be. A call whose arguments do
// not fit gets a result that says why, with IsError: MCP treats bad
// arguments as the tool's failure, which the model can read and mend, not
// as a protocol error.
func newTool[A any](t Tool, run func(ctx context.Context, s *Server, args A) (*CallToolResult, error)) *tool {
	return &tool{Tool: t, call: func(ctx context.Context, s *Server, raw json.RawMessage) (*CallToolResult, error) {
		var args A
		if err := decodeArgs(t.InputSchema, raw, &args); err != nil {
			return toolError("%s: %v", t.Name, err), nil
		}
		return run(ctx, s, args)
	}}
}

// decodeArgs decodes the arguments raw (absent, null or an object) into
// args, refusing an object that lacks a member schema requires or has one
// it does not name.
func decodeArgs(schema *Schema, raw json.RawMessage, args any) error {
	if len(raw) == 0 || string(raw) == "null" {
		raw = json.RawMessage("{}")
	}
	var members map[string]json.RawMessage
	if err := json.Unmarshal(raw, &members); err != nil {
		return errors.New("the arguments are not an object")
	}
	for _, name := range schema.Required {
		if _, ok := members[name]; !ok {
			return fmt.Errorf("the argument %q is missing", name)
		}
	}
	for name := range members {
		if _, ok := schema.Properties[name]; !ok {
			return fmt.Errorf("no argument is called %q", name)
		}
	}
	if err := json.NewDecoder(bytes.NewReader(raw)).Decode(args); err != nil {
		var typeErr *json.UnmarshalTypeError
		if errors.As(err, &typeErr) {
			if p := schema.Properties[typeErr.Field]; p != nil {
				return fmt.Errorf("the argument %q must be of type %s", typeErr.Field, p.Type)
			}
		}
		return err
	}
	return nil
}

// toolError is a result that says the tool failed, and why.
func toolError(format string, a ...any) *CallToolResult {
	return &CallToolResult{Content: []Content{textContent(fmt.Sprintf(format, a...))}, IsError: true}
}

// textResult is a result of one text content item.
func textResult(s string) *CallToolResult {
	return &CallToolResult{Content: []Content{textContent(s)}}
}

// Limits of the long tool's arguments, so that one call cannot hold the
// server for ever.
const (
	maxSteps = 1000
	maxStep  = 10 * time.Second
)

// tools returns the server's tools, in the order tools/list gives them.
func tools() []*tool {
	return []*tool{
		newTool(Tool{
			Name:        "echo",
			Description: "Answers with the text it is given.",
			InputSchema: object(map[string]*Schema{
				"text": {Type: "string", Description: "The text to echo."},
			}, "text"),
		}, echo),
		newTool(Tool{
			Name:        "add",
			Description: "Adds two numbers.",
			InputSchema: object(map[string]*Schema{
				"a": {Type: "number", Description: "The first addend."},
				"b": {Type: "number", Description: "The second addend."},
			}, "a", "b"),
		}, add),
		newTool(Tool{
			Name:        "long",
			Description: "Takes steps × ms milliseconds, reporting progress after each step, and answers done. Cancel it to stop it at once.",
			InputSchema: object(map[string]*Schema{
				"steps": {Type: "integer", Description: "How many steps to take.", Minimum: ptr(1.0), Maximum: ptr(float64(maxSteps))},
				"ms":    {Type: "integer", Description: "How long each step takes, in milliseconds.", Minimum: ptr(0.0), Maximum: ptr(float64(maxStep / time.Millisecond))},
			}, "steps", "ms"),
		}, long),
		newTool(Tool{
			Name:        "ask",
			Description: "Asks the client's model to answer a prompt (MCP sampling) and answers with what it said.",
			InputSchema: object(map[string]*Schema{
				"prompt": {Type: "string", Description: "What to ask the model."},
			}, "prompt"),
		}, ask),
		newTool(Tool{
			Name:        "roots",
			Description: "Lists the client's roots, one URI per line.",
			InputSchema: object(map[string]*Schema{}),
		}, roots),
	}
}

// object is the schema of an object with the given members, of which
// required must be present, and no others.
func object(properties map[string]*Schema, required ...string) *Schema {
	return &Schema{Type: "object", Properties: properties, Required: required, AdditionalProperties: ptr(false)}
}

func ptr[T any](v T) *T { return &v }

// EchoArgs are the echo tool's arguments.
type EchoArgs struct {
	Text string `json:"text"`
}

// echo answers with the text it was given.
func echo(_ context.Context, _ *Server, args EchoArgs) (*CallToolResult, error) {
	return textResult(args.Text), nil
}

// AddArgs are the add tool's arguments.
type AddArgs struct {
	A float64 `json:"a"`
	B float64 `json:"b"`
}

// add answers with the sum of A and B, in the shortest form that reads
// back as the same number.
func add(_ context.Context, _ *Server, args AddArgs) (*CallToolResult, error) {
	return textResult(strconv.FormatFloat(args.A+args.B, 'g', -1, 64)), nil
}

// LongArgs are the long tool's arguments.
type LongArgs struct {
	Steps int `json:"steps"`
	MS    int `json:"ms"`
}

// long takes Steps steps of MS milliseconds each, reporting progress
// (1..Steps of Steps) after each, if the client asked for progress, and
// then answers done. When the call's context ends (the client sent
// notifications/cancelled, or the connection ended) it stops at once and
// logs how far it got; the peer sends no answer to a cancelled request.
func long(ctx context.Context, s *Server, args LongArgs) (*CallToolResult, error) {
	if args.Steps < 1 || args.Steps > maxSteps {
		return toolError("long: steps must be from 1 to %d, not %d", maxSteps, args.Steps), nil
	}
	step := time.Duration(args.MS) * time.Millisecond
	if args.MS < 0 || step > maxStep {
		return toolError("long: ms must be from 0 to %d, not %d", maxStep/time.Millisecond, args.MS), nil
	}
	timer := time.NewTimer(step)
	defer timer.Stop()
	for i := 1; i <= args.Steps; i++ {
		select {
		case <-timer.C:
		case <-ctx.Done():
			s.log.Printf("long: %s after %d of %d steps", why(ctx), i-1, args.Steps)
			return nil, ctx.Err()
		}
		timer.Reset(step)
		p := Progress{Progress: float64(i), Total: float64(args.Steps), Message: fmt.Sprintf("step %d of %d", i, args.Steps)}
		if err := peer.ReportProgress(ctx, p); err != nil {
			s.log.Printf("long: %s after %d of %d steps", why(ctx), i-1, args.Steps)
			return nil, err
		}
	}
	return textResult("done"), nil
}

// why says why a handler's context ended: the client cancelled the call,
// or the connection ended.
func why(ctx context.Context) string {
	if p, ok := peer.FromContext(ctx); ok && p.Err() != nil {
		return "stopped by the connection's end"
	}
	return "cancelled"
}

// AskArgs are the ask tool's arguments.
type AskArgs struct {
	Prompt string `json:"prompt"`
}

// maxTokens bounds what ask's sampling may answer.
const maxTokens = 1000

// ask sends the client sampling/createMessage, a call back to the client
// over the connection that the tools/call came in on, while the tools/call
// waits: one user message, the prompt. It answers with the text of the
// model's message. When the tools/call is cancelled, its context ends the
// reverse call too, and the peer sends the client a cancel for it.
func ask(ctx context.Context, s *Server, args AskArgs) (*CallToolResult, error) {
	if s.capabilities().Sampling == nil {
		return toolError("ask: the client did not declare the sampling capability"), nil
	}
	if err := s.waitReady(ctx); err != nil {
		return nil, err
	}
	client, _ := peer.FromContext(ctx)
	var res CreateMessageResult
	err := client.Call(ctx, methodCreateMessage, CreateMessageParams{
		Messages:  []SamplingMessage{{Role: "user", Content: SamplingContent{textContent(args.Prompt)}}},
		MaxTokens: maxTokens,
	}, &res)
	if err != nil {
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		return toolError("ask: %s: %v", methodCreateMessage, err), nil
	}
	return textResult(res.Content.text()), nil
}

// RootsArgs are the roots tool's arguments: none.
type RootsArgs struct{}

// roots calls the client's roots/list back and answers with the URIs of
// its roots, one per line.
func roots(ctx context.Context, s *Server, _ RootsArgs) (*CallToolResult, error) {
	if s.capabilities().Roots == nil {
		return toolError("roots: the client did not declare the roots capability"), nil
	}
	if err := s.waitReady(ctx); err != nil {
		return nil, err
	}
	client, _ := peer.FromContext(ctx)
	var res ListRootsResult
	if err := client.Call(ctx, methodListRoots, Empty{}, &res); err != nil {
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		return toolError("roots: %s: %v", methodListRoots, err), nil
	}
	uris := make([]string, len(res.Roots))
	for i, r := range res.Roots {
		uris[i] = r.URI
	}
	return textResult(strings.Join(uris, "\n")), nil
}
