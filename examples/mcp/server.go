package main

import (
	"context"
	"errors"
	"fmt"
	"log"
	"slices"
	"sync"

	"github.com/duplexrpc/duplex/codec"
	"github.com/duplexrpc/duplex/peer"
)

// Server is the MCP server of one connection. Its methods follow net/rpc's
// rules and are registered the usual way; serverMethods gives each its MCP
// name. A request for any other method is answered "method not found"
// (-32601), as JSON-RPC wants; a notification of any other is dropped, as
// MCP wants (notifications/cancelled never gets here: the peer reads it as
// the cancel of a request, codec.MCPDialect).
//
// Its handlers run concurrently, each in a goroutine of its own. A Server is
// safe for concurrent use.
type Server struct {
	log   *log.Logger
	tools []*tool

	mu   sync.Mutex
	caps ClientCapabilities // from initialize

	ready     chan struct{} // closed by notifications/initialized
	readyOnce sync.Once
}

// serverMethods maps the MCP methods this server serves to the Go methods
// that serve them. A table of names rather than a peer.SetFallback
// dispatcher: each method keeps its own typed params and result, which the
// peer decodes and encodes, and a name the client sends that is not here
// gets the registry's standard -32601.
var serverMethods = [][2]string{
	{"initialize", "Server.Initialize"},
	{"notifications/initialized", "Server.Initialized"},
	{"ping", "Server.Ping"},
	{"tools/list", "Server.ListTools"},
	{"tools/call", "Server.CallTool"},
}

// NewServer returns the server of one connection, which logs what it does
// to l.
func NewServer(l *log.Logger) *Server {
	return &Server{log: l, tools: tools(), ready: make(chan struct{})}
}

// bind registers the server's methods under their MCP names: a
// peer.Binder.
func (s *Server) bind(_ *peer.Peer, r *peer.Registry) error {
	errs := []error{r.Register(s)}
	for _, m := range serverMethods {
		errs = append(errs, r.MapName(m[0], m[1]))
	}
	return errors.Join(errs...)
}

// Initialize answers initialize: the version to speak (the client's, if
// this server speaks it, else this server's newest: the client then
// decides whether to go on), the tools capability, and who the server is.
// It keeps what the client can do, for the tools that call it back.
func (s *Server) Initialize(params *InitializeParams, reply *InitializeResult) error {
	version := protocolVersions[0]
	if slices.Contains(protocolVersions, params.ProtocolVersion) {
		version = params.ProtocolVersion
	}
	s.mu.Lock()
	s.caps = params.Capabilities
	s.mu.Unlock()
	s.log.Printf("initialize: client %s %s asks for %s, speaking %s", params.ClientInfo.Name, params.ClientInfo.Version, params.ProtocolVersion, version)
	*reply = InitializeResult{
		ProtocolVersion: version,
		Capabilities:    ServerCapabilities{Tools: &ToolsCapability{ListChanged: false}},
		ServerInfo:      Implementation{Name: "duplex-mcp-example", Title: "duplex MCP example", Version: "1.0.0"},
		Instructions:    "Tools that show a Go MCP server built on github.com/duplexrpc/duplex: echo, add, long (progress and cancel), ask (sampling) and roots.",
	}
	return nil
}

// Initialized is the client's notification that initialization is done.
// Until it comes, MCP lets the server send the client nothing but pings and
// logs, so the tools that call the client back wait for it (waitReady). It
// may run after a tools/call read behind it has started: the peer serves
// each incoming message in a goroutine of its own.
func (s *Server) Initialized(_ context.Context, _ Empty) error {
	s.readyOnce.Do(func() { close(s.ready) })
	return nil
}

// Ping answers ping, which either side may send at any time, with an
// empty result.
func (s *Server) Ping(_ Empty, _ *Empty) error { return nil }

// ListTools answers tools/list: every tool, with the schema of its
// arguments.
func (s *Server) ListTools(_ *ListToolsParams, reply *ListToolsResult) error {
	reply.Tools = make([]Tool, len(s.tools))
	for i, t := range s.tools {
		reply.Tools[i] = t.Tool
	}
	return nil
}

// CallTool answers tools/call by running the tool named. An unknown tool
// is a JSON-RPC error, invalid params (-32602), as MCP says; everything a
// known tool has to say, failures included, is in its result.
func (s *Server) CallTool(ctx context.Context, params *CallToolParams, reply *CallToolResult) error {
	i := slices.IndexFunc(s.tools, func(t *tool) bool { return t.Name == params.Name })
	if i < 0 {
		return &peer.Error{Code: codec.CodeInvalidParams, Message: fmt.Sprintf("Unknown tool: %s", params.Name)}
	}
	result, err := s.tools[i].call(ctx, s, params.Arguments)
	if err != nil {
		// The call was cancelled, or the connection ended: with MCP's
		// dialect the peer sends no answer to a cancelled request.
		return err
	}
	*reply = *result
	return nil
}

// capabilities returns what the client said it can do.
func (s *Server) capabilities() ClientCapabilities {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.caps
}

// waitReady waits for notifications/initialized, or for ctx to end.
func (s *Server) waitReady(ctx context.Context) error {
	select {
	case <-s.ready:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
