package main

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"

	"github.com/duplexrpc/duplex/codec"
	"github.com/duplexrpc/duplex/peer"
)

// Server is the language server of one connection: its documents, what
// initialize settled, and where it is in LSP's lifecycle. Its methods
// serve the LSP methods of lspMethods; they follow net/rpc's rules with a
// context first, as package peer allows, and a notification's take no
// reply. A Server is safe for concurrent use: the peer runs requests at
// once.
type Server struct {
	docs   documents
	tokens atomic.Uint64 // numbers the progress tokens the server makes

	mu             sync.Mutex
	phase          phase
	enc            encoding
	clientProgress bool // the client takes window/workDoneProgress/create

	exited   chan struct{} // closed by the exit notification
	exitOnce sync.Once
	status   int // the process's exit status, once exited is closed
}

// phase is where a connection is in LSP's lifecycle.
type phase int

const (
	uninitialized phase = iota // before initialize: only initialize and exit
	running                    // initialize answered
	shutDown                   // shutdown answered: only exit
)

// lspMethods are the LSP names of the methods the server serves, and the
// Go methods that serve them.
var lspMethods = [][2]string{
	{"initialize", "Server.Initialize"},
	{"initialized", "Server.Initialized"},
	{"shutdown", "Server.Shutdown"},
	{"exit", "Server.Exit"},
	{"textDocument/didOpen", "Server.DidOpen"},
	{"textDocument/didChange", "Server.DidChange"},
	{"textDocument/didClose", "Server.DidClose"},
	{"textDocument/hover", "Server.Hover"},
	{"workspace/executeCommand", "Server.ExecuteCommand"},
	{"workspace/symbol", "Server.Symbols"},
}

// newServer returns the server of a new connection.
func newServer() *Server { return &Server{exited: make(chan struct{})} }

// bind registers the server's methods under their LSP names: a
// peer.Binder.
func (s *Server) bind(_ *peer.Peer, r *peer.Registry) error {
	errs := []error{r.Register(s)}
	for _, m := range lspMethods {
		errs = append(errs, r.MapName(m[0], m[1]))
	}
	return errors.Join(errs...)
}

// intercept keeps LSP's lifecycle, around every request and notification
// (peer.Options.Intercept): before initialize, a request fails with
// ServerNotInitialized (-32002) and a notification is dropped; after
// shutdown, a request fails with InvalidRequest (-32600). exit is always
// served.
func (s *Server) intercept(ctx context.Context, method string, serve func(context.Context) error) error {
	s.mu.Lock()
	ph := s.phase
	s.mu.Unlock()
	_, isRequest := peer.RequestID(ctx)
	switch {
	case method == "exit":
	case ph == uninitialized && method != "initialize":
		if !isRequest {
			return nil // dropped, as LSP says
		}
		return &peer.Error{Code: codec.CodeServerNotInitialized, Message: "lspserver: " + method + " before initialize"}
	case ph == shutDown:
		return &peer.Error{Code: codec.CodeInvalidRequest, Message: "lspserver: " + method + " after shutdown"}
	}
	return serve(ctx)
}

// Initialize serves initialize: it settles the position encoding, notes
// whether the client takes progress the server starts, and says what the
// server does. A second initialize fails with InvalidRequest (-32600).
func (s *Server) Initialize(_ context.Context, params *InitializeParams, reply *InitializeResult) error {
	var offered []string
	if g := params.Capabilities.General; g != nil {
		offered = g.PositionEncodings
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.phase != uninitialized {
		return &peer.Error{Code: codec.CodeInvalidRequest, Message: "lspserver: initialize was sent already"}
	}
	s.phase = running
	s.enc = negotiate(offered)
	s.clientProgress = params.Capabilities.Window != nil && params.Capabilities.Window.WorkDoneProgress
	*reply = InitializeResult{
		Capabilities: ServerCapabilities{
			PositionEncoding:        s.enc.String(),
			TextDocumentSync:        TextDocumentSyncOptions{OpenClose: true, Change: SyncFull},
			HoverProvider:           true,
			WorkspaceSymbolProvider: true,
			ExecuteCommandProvider:  ExecuteCommandOptions{Commands: []string{"slow"}},
		},
		ServerInfo: Info{Name: "duplex-lspserver", Version: "0.1.0"},
	}
	return nil
}

// Initialized serves the initialized notification, which says the client
// got initialize's answer. The server has nothing to ask of the client
// then.
func (s *Server) Initialized(context.Context, *struct{}) error { return nil }

// Shutdown serves shutdown: from now on only exit is served. Its answer is
// null.
func (s *Server) Shutdown(context.Context, *struct{}) error {
	s.mu.Lock()
	s.phase = shutDown
	s.mu.Unlock()
	return nil
}

// Exit serves exit: the process ends, with status 0 if shutdown came
// first and 1 otherwise, as LSP says. main does the ending, once the
// handler has returned.
func (s *Server) Exit(context.Context, *struct{}) error {
	s.exitOnce.Do(func() {
		s.mu.Lock()
		if s.phase != shutDown {
			s.status = 1
		}
		s.mu.Unlock()
		close(s.exited)
	})
	return nil
}

// exitStatus is the status to end the process with when the connection
// ends without exit: as for exit.
func (s *Server) exitStatus() int {
	select {
	case <-s.exited:
		return s.status
	default:
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.phase != shutDown {
		return 1
	}
	return 0
}

// encoding is the position encoding initialize settled.
func (s *Server) encoding() encoding {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.enc
}

// serverProgress reports whether the client takes progress the server
// starts with window/workDoneProgress/create.
func (s *Server) serverProgress() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.clientProgress
}
