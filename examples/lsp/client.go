package main

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"

	"github.com/duplexrpc/duplex/peer"
)

// Client is the editor's half of LSP: what the language server calls on
// it. Its methods follow net/rpc's rules and are registered the usual way,
// by peer.Registry.Register; clientMethods gives each its LSP name.
//
// It keeps a log of what the server asked and told it, in the order its
// handlers ran. The peer runs notifications one at a time, in the order
// they came (peer.Options.OrderedNotifications), so $/progress and
// window/logMessage are logged as the server sent them.
type Client struct {
	mu      sync.Mutex
	events  []string
	changed chan struct{} // closed and replaced when an event is logged

	// applyEdit decides workspace/applyEdit; nil refuses every edit.
	applyEdit func(context.Context, *ApplyWorkspaceEditParams) ApplyWorkspaceEditResult
}

// clientMethods maps the LSP names of the server-to-client methods this
// client serves to the Go methods that serve them. A request for a method
// not here is answered "method not found" (-32601), as LSP asks; a
// notification for one is dropped.
var clientMethods = [][2]string{
	{"workspace/configuration", "Client.Configuration"},
	{"client/registerCapability", "Client.RegisterCapability"},
	{"window/workDoneProgress/create", "Client.WorkDoneProgressCreate"},
	{"workspace/applyEdit", "Client.ApplyEdit"},
	{"$/progress", "Client.Progress"},
	{"window/logMessage", "Client.LogMessage"},
	{"window/showMessage", "Client.ShowMessage"},
}

// NewClient returns a Client with an empty log.
func NewClient() *Client { return &Client{changed: make(chan struct{})} }

// bind registers the client's methods under their LSP names: a
// peer.Binder.
func (c *Client) bind(_ *peer.Peer, r *peer.Registry) error {
	errs := []error{r.Register(c)}
	for _, m := range clientMethods {
		errs = append(errs, r.MapName(m[0], m[1]))
	}
	return errors.Join(errs...)
}

// Configuration answers workspace/configuration: an empty settings object
// per item, which leaves every setting at its default.
func (c *Client) Configuration(params *ConfigurationParams, reply *[]any) error {
	sections := make([]string, len(params.Items))
	for i, item := range params.Items {
		sections[i] = item.Section
		*reply = append(*reply, map[string]any{})
	}
	c.log("workspace/configuration " + strings.Join(sections, ", "))
	return nil
}

// RegisterCapability accepts what the server registers. LSP's answer is
// null: the reply, an untouched *any, encodes as null.
func (c *Client) RegisterCapability(params *RegistrationParams, _ *any) error {
	methods := make([]string, len(params.Registrations))
	for i, r := range params.Registrations {
		methods[i] = r.Method
	}
	c.log("client/registerCapability " + strings.Join(methods, ", "))
	return nil
}

// WorkDoneProgressCreate accepts a progress token, which $/progress
// notifications then carry.
func (c *Client) WorkDoneProgressCreate(params *WorkDoneProgressCreateParams, _ *any) error {
	c.log("window/workDoneProgress/create " + string(params.Token))
	return nil
}

// ApplyEdit answers workspace/applyEdit with c.applyEdit's decision. Its
// context ends if the server cancels the request or the connection ends.
func (c *Client) ApplyEdit(ctx context.Context, params *ApplyWorkspaceEditParams, reply *ApplyWorkspaceEditResult) error {
	c.log("workspace/applyEdit")
	c.mu.Lock()
	decide := c.applyEdit
	c.mu.Unlock()
	if decide == nil {
		*reply = ApplyWorkspaceEditResult{FailureReason: "this client applies no edits"}
		return nil
	}
	*reply = decide(ctx, params)
	return nil
}

// Progress logs a $/progress notification.
func (c *Client) Progress(params *ProgressParams, _ *struct{}) error {
	v := params.Value
	c.log(fmt.Sprintf("$/progress %s %s %s", params.Token, v.Kind, firstLine(v.Title+" "+v.Message)))
	return nil
}

// LogMessage logs a window/logMessage notification.
func (c *Client) LogMessage(params *LogMessageParams, _ *struct{}) error {
	c.log(fmt.Sprintf("window/logMessage %d %s", params.Type, firstLine(params.Message)))
	return nil
}

// ShowMessage logs a window/showMessage notification.
func (c *Client) ShowMessage(params *LogMessageParams, _ *struct{}) error {
	c.log(fmt.Sprintf("window/showMessage %d %s", params.Type, firstLine(params.Message)))
	return nil
}

// firstLine is s up to its first newline, trimmed.
func firstLine(s string) string {
	s, _, _ = strings.Cut(strings.TrimSpace(s), "\n")
	return s
}

func (c *Client) log(event string) {
	c.mu.Lock()
	c.events = append(c.events, event)
	close(c.changed)
	c.changed = make(chan struct{})
	c.mu.Unlock()
}

// Events returns the log so far.
func (c *Client) Events() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]string(nil), c.events...)
}

// WaitFor waits until an event starting with prefix is logged, or ctx ends.
func (c *Client) WaitFor(ctx context.Context, prefix string) error {
	for {
		c.mu.Lock()
		changed := c.changed
		for _, e := range c.events {
			if strings.HasPrefix(e, prefix) {
				c.mu.Unlock()
				return nil
			}
		}
		c.mu.Unlock()
		select {
		case <-changed:
		case <-ctx.Done():
			return fmt.Errorf("waiting for %q: %w", prefix, ctx.Err())
		}
	}
}

// setApplyEdit sets how workspace/applyEdit is decided.
func (c *Client) setApplyEdit(decide func(context.Context, *ApplyWorkspaceEditParams) ApplyWorkspaceEditResult) {
	c.mu.Lock()
	c.applyEdit = decide
	c.mu.Unlock()
}
