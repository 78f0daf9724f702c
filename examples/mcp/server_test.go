package main

// Tests of the server with a Go MCP client: a peer of this module with the
// same codec and dialect, over an in-memory pipe. They need nothing outside
// Go, and show what the TypeScript SDK cannot: every progress notification
// delivered before the call returns, and a cancel that reaches the client's
// handler of a call back.

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/duplexrpc/duplex/codec"
	"github.com/duplexrpc/duplex/internal/rpctest"
	"github.com/duplexrpc/duplex/peer"
	"github.com/duplexrpc/duplex/transport"
)

func TestMain(m *testing.M) { rpctest.VerifyNoLeaks(m) }

// logLines is a log's output, kept line by line, that a test can wait on.
type logLines struct {
	mu      sync.Mutex
	lines   []string
	changed chan struct{} // closed and replaced when a line is added
}

func newLogLines() *logLines { return &logLines{changed: make(chan struct{})} }

func (l *logLines) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.lines = append(l.lines, strings.Split(strings.TrimSuffix(string(p), "\n"), "\n")...)
	close(l.changed)
	l.changed = make(chan struct{})
	return len(p), nil
}

// wait returns the match of the first line that matches re, waiting for
// it at most d.
func (l *logLines) wait(t *testing.T, re *regexp.Regexp, d time.Duration) []string {
	t.Helper()
	deadline := time.NewTimer(d)
	defer deadline.Stop()
	for seen := 0; ; {
		l.mu.Lock()
		lines, changed := l.lines, l.changed
		l.mu.Unlock()
		for ; seen < len(lines); seen++ {
			if m := re.FindStringSubmatch(lines[seen]); m != nil {
				return m
			}
		}
		select {
		case <-changed:
		case <-deadline.C:
			t.Fatalf("no line of the server's log matched %s within %v", re, d)
		}
	}
}

// all returns the lines so far.
func (l *logLines) all() []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return slices.Clone(l.lines)
}

// session is the server on one end of a pipe, and a Go client on the other.
type session struct {
	client *peer.Peer
	log    *logLines
	served chan error
	once   sync.Once
}

// start serves a Server, traced, on one end of a pipe, and connects a Go
// client to the other end, serving what bind registers (nil: nothing).
// The test's cleanup closes the client and waits for the server to end.
func start(t *testing.T, bind peer.Binder) *session {
	t.Helper()
	serverEnd, clientEnd := transport.Pipe()
	s := &session{log: newLogLines(), served: make(chan error, 1)}
	l := log.New(s.log, "mcp: ", 0)
	go func() { s.served <- serve(context.Background(), trace(serverEnd, l), l) }()
	c, err := peer.NewWithOptions(clientEnd, codec.JSONRPC2Lines, bind, &peer.Options{Dialect: codec.MCPDialect})
	if err != nil {
		t.Fatal(err)
	}
	s.client = c
	t.Cleanup(s.close)
	return s
}

// close closes the client and waits for the server to end: once it has,
// its trace holds everything it wrote. It is idempotent.
func (s *session) close() {
	s.once.Do(func() {
		s.client.Close()
		<-s.served
	})
}

// initialize runs MCP's handshake with the given capabilities.
func (s *session) initialize(t *testing.T, version string, caps ClientCapabilities) InitializeResult {
	t.Helper()
	ctx := context.Background()
	var res InitializeResult
	params := InitializeParams{ProtocolVersion: version, Capabilities: caps, ClientInfo: Implementation{Name: "go-test", Version: "0"}}
	if err := s.client.Call(ctx, "initialize", params, &res); err != nil {
		t.Fatalf("initialize: %v", err)
	}
	if err := s.client.Notify(ctx, "notifications/initialized", Empty{}); err != nil {
		t.Fatalf("notifications/initialized: %v", err)
	}
	return res
}

// callTool calls a tool and returns its result's text.
func (s *session) callTool(ctx context.Context, name string, args any) (string, *CallToolResult, error) {
	raw, err := json.Marshal(args)
	if err != nil {
		return "", nil, err
	}
	var res CallToolResult
	if err := s.client.Call(ctx, "tools/call", CallToolParams{Name: name, Arguments: raw}, &res); err != nil {
		return "", nil, err
	}
	var text string
	for _, c := range res.Content {
		text += c.Text
	}
	return text, &res, nil
}

// TestVersionNegotiation checks that the server speaks the client's version
// when it can, and its newest otherwise.
func TestVersionNegotiation(t *testing.T) {
	for asked, want := range map[string]string{
		"2025-11-25": "2025-11-25",
		"2025-06-18": "2025-06-18",
		"2024-11-05": "2025-11-25",
		"":           "2025-11-25",
	} {
		s := start(t, nil)
		res := s.initialize(t, asked, ClientCapabilities{})
		if res.ProtocolVersion != want || res.Capabilities.Tools == nil {
			t.Errorf("asked for %q: got %+v; want version %s and tools", asked, res, want)
		}
		s.close()
	}
}

// TestToolSchemas checks that each tool's input schema names exactly the
// JSON members of its arguments' Go type, and requires them all.
func TestToolSchemas(t *testing.T) {
	args := map[string]any{"echo": EchoArgs{}, "add": AddArgs{}, "long": LongArgs{}, "ask": AskArgs{}, "roots": RootsArgs{}}
	s := start(t, nil)
	s.initialize(t, "2025-11-25", ClientCapabilities{})
	var list ListToolsResult
	if err := s.client.Call(context.Background(), "tools/list", Empty{}, &list); err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, tool := range list.Tools {
		names = append(names, tool.Name)
		a, ok := args[tool.Name]
		if !ok {
			t.Errorf("tool %s: the test does not know its arguments", tool.Name)
			continue
		}
		var members []string
		for typ, i := reflect.TypeOf(a), 0; i < typ.NumField(); i++ {
			members = append(members, strings.Split(typ.Field(i).Tag.Get("json"), ",")[0])
		}
		var props []string
		for name := range tool.InputSchema.Properties {
			props = append(props, name)
		}
		slices.Sort(members)
		slices.Sort(props)
		required := slices.Sorted(slices.Values(tool.InputSchema.Required))
		if tool.InputSchema.Type != "object" || !slices.Equal(props, members) || !slices.Equal(required, members) {
			t.Errorf("tool %s: schema %+v; want an object with properties and required %v", tool.Name, tool.InputSchema, members)
		}
	}
	if want := []string{"echo", "add", "long", "ask", "roots"}; !slices.Equal(names, want) {
		t.Errorf("tools/list: got %v; want %v", names, want)
	}
}

// TestTools calls each tool that needs nothing of the client, with good
// and bad arguments, and an unknown tool.
func TestTools(t *testing.T) {
	s := start(t, nil)
	s.initialize(t, "2025-11-25", ClientCapabilities{})
	ctx := context.Background()
	for _, c := range []struct {
		tool    string
		args    any
		text    string
		isError bool
	}{
		{"echo", map[string]any{"text": "héllo"}, "héllo", false},
		{"add", map[string]any{"a": 2, "b": 40}, "42", false},
		{"add", map[string]any{"a": 0.1, "b": 0.2}, "0.30000000000000004", false},
		{"add", map[string]any{"a": 1}, `add: the argument "b" is missing`, true},
		{"add", map[string]any{"a": 1, "b": 2, "c": 3}, `add: no argument is called "c"`, true},
		{"add", []int{1, 2}, "add: the arguments are not an object", true},
		{"long", map[string]any{"steps": 1, "ms": 0}, "done", false},
		{"long", map[string]any{"steps": 0, "ms": 0}, "long: steps must be from 1 to 1000, not 0", true},
		{"long", map[string]any{"steps": 1, "ms": 10001}, "long: ms must be from 0 to 10000, not 10001", true},
		{"long", map[string]any{"steps": 1.5, "ms": 0}, `long: the argument "steps" must be of type integer`, true},
		{"roots", nil, "roots: the client did not declare the roots capability", true},
		{"ask", map[string]any{"prompt": "hi"}, "ask: the client did not declare the sampling capability", true},
	} {
		text, res, err := s.callTool(ctx, c.tool, c.args)
		if err != nil || text != c.text || res.IsError != c.isError {
			t.Errorf("%s %v: got %q, isError %v, %v; want %q, isError %v", c.tool, c.args, text, res != nil && res.IsError, err, c.text, c.isError)
		}
	}
	_, _, err := s.callTool(ctx, "nope", map[string]any{})
	var e *peer.Error
	if !errors.As(err, &e) || e.Code != codec.CodeInvalidParams || e.Message != "Unknown tool: nope" {
		t.Errorf("an unknown tool: got %v; want error -32602 Unknown tool: nope", err)
	}
}

// TestLongProgress checks that a Go client gets every progress
// notification of long, in order, before its Call returns: the peer's
// guarantee, which the TypeScript SDK does not give.
func TestLongProgress(t *testing.T) {
	s := start(t, nil)
	s.initialize(t, "2025-11-25", ClientCapabilities{})
	var got []Progress // appended by the callback, which returns before Call does
	ctx := peer.WithProgress(context.Background(), func(p Progress) { got = append(got, p) })
	text, _, err := s.callTool(ctx, "long", LongArgs{Steps: 5, MS: 1})
	if err != nil || text != "done" {
		t.Fatalf("long: got %q, %v; want done", text, err)
	}
	if len(got) != 5 {
		t.Fatalf("got %d progress notifications, %v; want 5", len(got), got)
	}
	for i, p := range got {
		if want := (Progress{Progress: float64(i + 1), Total: 5, Message: fmt.Sprintf("step %d of 5", i+1)}); p != want {
			t.Errorf("progress %d: got %+v; want %+v", i, p, want)
		}
	}
}

// TestLongCancel cancels a long whose steps take 10 s each as soon as the
// server has read its request: the server must stop within a second, and
// never answer it.
func TestLongCancel(t *testing.T) {
	s := start(t, nil)
	s.initialize(t, "2025-11-25", ClientCapabilities{})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan error, 1)
	go func() {
		_, _, err := s.callTool(ctx, "long", LongArgs{Steps: 3, MS: 10000})
		done <- err
	}()
	req := s.log.wait(t, regexp.MustCompile(`^mcp: <- \{"jsonrpc":"2.0","method":"tools/call","params":\{"name":"long",.*"id":(\d+)\}$`), 5*time.Second)
	cancel()
	if err := <-done; !errors.Is(err, context.Canceled) {
		t.Errorf("the cancelled call returned %v; want %v", err, context.Canceled)
	}
	s.log.wait(t, regexp.MustCompile(`^mcp: long: cancelled after 0 of 3 steps$`), time.Second)
	s.close()
	lines := s.log.all()
	if !slices.ContainsFunc(lines, func(l string) bool {
		return strings.HasPrefix(l, `mcp: <- {"jsonrpc":"2.0","method":"notifications/cancelled","params":{"requestId":`+req[1]+",")
	}) {
		t.Errorf("the server read no notifications/cancelled for request %s", req[1])
	}
	answer := regexp.MustCompile(`^mcp: -> \{"jsonrpc":"2.0","id":` + req[1] + `,`)
	if i := slices.IndexFunc(lines, answer.MatchString); i >= 0 {
		t.Errorf("the server answered the cancelled request: %s", lines[i])
	}
}

// Client is a Go MCP client's side of the calls back: sampling and roots.
type Client struct {
	roots   []Root
	sampled chan *CreateMessageParams
	// block makes CreateMessage wait for its context to end, and then
	// report why on cancelled.
	block     bool
	cancelled chan error
}

// CreateMessage answers sampling/createMessage with the prompt read back.
func (c *Client) CreateMessage(ctx context.Context, params *CreateMessageParams, reply *CreateMessageResult) error {
	c.sampled <- params
	if c.block {
		<-ctx.Done()
		c.cancelled <- ctx.Err()
		return ctx.Err()
	}
	*reply = CreateMessageResult{Role: "assistant", Model: "stub", Content: SamplingContent{
		textContent("you said: "), textContent(params.Messages[0].Content.text()),
	}}
	return nil
}

// ListRoots answers roots/list.
func (c *Client) ListRoots(_ Empty, reply *ListRootsResult) error {
	reply.Roots = c.roots
	return nil
}

func (c *Client) bind(_ *peer.Peer, r *peer.Registry) error {
	return errors.Join(r.Register(c), r.MapName(methodCreateMessage, "Client.CreateMessage"), r.MapName(methodListRoots, "Client.ListRoots"))
}

// withBoth are client capabilities with sampling and roots.
var withBoth = ClientCapabilities{Sampling: json.RawMessage(`{}`), Roots: json.RawMessage(`{"listChanged":true}`)}

// TestCallsBack checks ask and roots against a Go client's handlers.
func TestCallsBack(t *testing.T) {
	c := &Client{roots: []Root{{URI: "file:///a", Name: "a"}, {URI: "file:///b"}}, sampled: make(chan *CreateMessageParams, 1)}
	s := start(t, c.bind)
	s.initialize(t, "2025-11-25", withBoth)
	ctx := context.Background()
	text, _, err := s.callTool(ctx, "ask", AskArgs{Prompt: "6 × 7?"})
	if err != nil || text != "you said: 6 × 7?" {
		t.Errorf("ask: got %q, %v", text, err)
	}
	p := <-c.sampled
	if len(p.Messages) != 1 || p.Messages[0].Role != "user" || p.MaxTokens != maxTokens {
		t.Errorf("ask sent %+v; want one user message and maxTokens %d", p, maxTokens)
	}
	text, _, err = s.callTool(ctx, "roots", RootsArgs{})
	if err != nil || text != "file:///a\nfile:///b" {
		t.Errorf("roots: got %q, %v", text, err)
	}
}

// TestAskCancel cancels an ask while the client's model is still thinking:
// the cancel of the tools/call ends the server's call back, whose own
// cancel ends the client's handler.
func TestAskCancel(t *testing.T) {
	c := &Client{sampled: make(chan *CreateMessageParams, 1), block: true, cancelled: make(chan error, 1)}
	s := start(t, c.bind)
	s.initialize(t, "2025-11-25", withBoth)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		_, _, err := s.callTool(ctx, "ask", AskArgs{Prompt: "think hard"})
		done <- err
	}()
	<-c.sampled
	cancel()
	if err := <-done; !errors.Is(err, context.Canceled) {
		t.Errorf("the cancelled ask returned %v", err)
	}
	select {
	case err := <-c.cancelled:
		if !errors.Is(err, context.Canceled) {
			t.Errorf("the client's handler ended with %v; want %v", err, context.Canceled)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("the client's sampling handler was never cancelled")
	}
}
