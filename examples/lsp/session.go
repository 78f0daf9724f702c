package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os/exec"
	"time"

	"github.com/duplexrpc/duplex/codec"
	"github.com/duplexrpc/duplex/peer"
	"github.com/duplexrpc/duplex/transport"
)

// session is one language server, run as a child process, and the peer
// that speaks LSP with it over the child's standard input and output.
type session struct {
	cmd    *exec.Cmd
	proc   *transport.Process
	peer   *peer.Peer
	client *Client
}

// start runs the language server cmd and connects a peer to it, serving
// client. wrap, if not nil, wraps the child's pipes (a test taps them).
func start(cmd *exec.Cmd, client *Client, wrap func(io.ReadWriteCloser) io.ReadWriteCloser) (*session, error) {
	// A server that ignores exit is killed a second after Close asks.
	proc, err := transport.StartCommand(cmd, &transport.Options{GracePeriod: time.Second})
	if err != nil {
		return nil, err
	}
	var rwc io.ReadWriteCloser = proc
	if wrap != nil {
		rwc = wrap(proc)
	}
	p, err := peer.NewWithOptions(rwc, codec.LSP, client.bind, &peer.Options{
		// $/progress and window/logMessage are handled in the order
		// the server sent them.
		OrderedNotifications: true,
	})
	if err != nil {
		proc.Close()
		return nil, err
	}
	return &session{cmd: cmd, proc: proc, peer: p, client: client}, nil
}

// initialize runs LSP's handshake for a workspace of one folder: the
// initialize request, which says what this client can do, then the
// initialized notification, after which the server asks for its
// configuration, registers capabilities and reports progress.
func (s *session) initialize(ctx context.Context, folderURI string) (InitializeResult, error) {
	params := InitializeParams{
		ClientInfo: ClientInfo{Name: "duplex-lsp-example"},
		RootURI:    folderURI,
		Capabilities: map[string]any{
			"workspace": map[string]any{
				"configuration":          true,
				"applyEdit":              true,
				"didChangeConfiguration": map[string]any{"dynamicRegistration": true},
				"didChangeWatchedFiles":  map[string]any{"dynamicRegistration": true},
			},
			"window": map[string]any{"workDoneProgress": true},
			"textDocument": map[string]any{
				"hover":      map[string]any{"contentFormat": []string{"markdown", "plaintext"}},
				"definition": map[string]any{"linkSupport": false},
			},
		},
		WorkspaceFolders: []WorkspaceFolder{{URI: folderURI, Name: "workspace"}},
	}
	var result InitializeResult
	if err := s.peer.Call(ctx, "initialize", params, &result); err != nil {
		return result, fmt.Errorf("initialize: %w", err)
	}
	// LSP's params for initialized are an empty object.
	if err := s.peer.Notify(ctx, "initialized", struct{}{}); err != nil {
		return result, fmt.Errorf("initialized: %w", err)
	}
	return result, nil
}

// open tells the server the client has opened the document at uri.
func (s *session) open(ctx context.Context, uri, text string) error {
	return s.peer.Notify(ctx, "textDocument/didOpen", DidOpenTextDocumentParams{
		TextDocument: TextDocumentItem{URI: uri, LanguageID: "go", Version: 1, Text: text},
	})
}

// hover asks what is at pos in the document at uri.
func (s *session) hover(ctx context.Context, uri string, pos Position) (Hover, error) {
	var h Hover
	err := s.peer.Call(ctx, "textDocument/hover", TextDocumentPositionParams{TextDocumentIdentifier{uri}, pos}, &h)
	return h, err
}

// definition asks where what is at pos is defined. LSP allows several
// answer shapes; a client that says it has no linkSupport gets Locations.
func (s *session) definition(ctx context.Context, uri string, pos Position) ([]Location, error) {
	var locs []Location
	err := s.peer.Call(ctx, "textDocument/definition", TextDocumentPositionParams{TextDocumentIdentifier{uri}, pos}, &locs)
	return locs, err
}

// cancelAddImport gives up on a request that is still running on the
// server: gopls's add_import command, which computes an edit and asks the
// client to apply it, and then waits, as it would for an editor whose user
// has been asked to confirm. While it waits the user gives up: the Call's
// context ends, Call returns at once, and the peer sends $/cancelRequest
// for it. Then the client answers the edit. The server answers the
// cancelled request too, with LSP's RequestCancelled (-32800), which the
// peer reads and drops, as it drops every answer to a call it gave up on.
func (s *session) cancelAddImport(ctx context.Context, uri, importPath string) error {
	asked := make(chan struct{})
	answer := make(chan struct{})
	s.client.setApplyEdit(func(ctx context.Context, _ *ApplyWorkspaceEditParams) ApplyWorkspaceEditResult {
		close(asked)
		select {
		case <-answer:
			return ApplyWorkspaceEditResult{Applied: true}
		case <-ctx.Done():
			return ApplyWorkspaceEditResult{FailureReason: "the connection ended"}
		}
	})
	defer s.client.setApplyEdit(nil)

	callCtx, giveUp := context.WithCancel(ctx)
	defer giveUp()
	done := make(chan error, 1)
	go func() {
		done <- s.peer.Call(callCtx, "workspace/executeCommand", ExecuteCommandParams{
			Command:   "gopls.add_import",
			Arguments: []any{map[string]string{"ImportPath": importPath, "URI": uri}},
		}, nil)
	}()
	select {
	case <-asked:
	case err := <-done:
		return fmt.Errorf("gopls.add_import ended before it asked for its edit: %v", err)
	case <-ctx.Done():
		return ctx.Err()
	}
	giveUp()
	err := <-done
	close(answer)
	if !errors.Is(err, context.Canceled) {
		return fmt.Errorf("gopls.add_import given up on: got %v, want %v", err, context.Canceled)
	}
	return nil
}

// shutdown asks the server to shut down, then to exit, and waits for the
// process to end. It returns how the process ended: nil for status 0,
// which LSP says is the exit after a shutdown.
func (s *session) shutdown(ctx context.Context) error {
	if err := s.peer.Call(ctx, "shutdown", nil, nil); err != nil {
		return fmt.Errorf("shutdown: %w", err)
	}
	if err := s.peer.Notify(ctx, "exit", nil); err != nil {
		return fmt.Errorf("exit: %w", err)
	}
	select {
	case <-s.proc.Done():
	case <-ctx.Done():
		return fmt.Errorf("the server did not exit: %w", ctx.Err())
	}
	return s.proc.Wait()
}

// close ends the peer and the process, whatever state they are in: it
// kills a server that does not exit when its input closes.
func (s *session) close() {
	s.peer.Close()
	s.proc.Close()
}
