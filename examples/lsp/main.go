// Lsp drives a real language server, gopls, from Go: a peer.Peer with the
// LSP codec over the child process's standard input and output. It plays
// the editor's part of the Language Server Protocol:
//
//   - initialize and initialized;
//   - textDocument/didOpen of a small Go file, then a textDocument/hover
//     and a textDocument/definition, whose answers it prints;
//   - the server's own requests to it (workspace/configuration,
//     client/registerCapability, window/workDoneProgress/create,
//     workspace/applyEdit) answered by the Go methods of Client, registered
//     as any net/rpc service and given their LSP names with
//     peer.Registry.MapName; $/progress and window/logMessage notifications
//     handled in the order they came;
//   - a request given up while gopls still runs it, which the peer cancels
//     with LSP's $/cancelRequest;
//   - shutdown and exit, after which gopls is gone.
//
// Usage:
//
//	go install golang.org/x/tools/gopls@v0.23.0
//	go run ./examples/lsp [-gopls path]
//
// It writes the Go file into a temporary module and removes it at the end.
// gopls is looked for on $PATH, then where go install puts it: GOBIN, or
// $(go env GOPATH)/bin.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"
)

// mainGo is the file the example opens. The hover and the definition are
// asked at the call of Greeting in main.
const mainGo = `package main

// Greeting says hello to name.
func Greeting(name string) string { return "hello, " + name }

func main() { println(Greeting("gopls")) }
`

// greetingCall is where Greeting is called in mainGo: line 5 (zero-based),
// inside the name.
var greetingCall = Position{Line: 5, Character: 24}

func main() {
	gopls := flag.String("gopls", "", "the gopls `binary` (default: gopls on $PATH, in GOBIN or in $(go env GOPATH)/bin)")
	flag.Parse()
	path, err := findGopls(*gopls)
	if err == nil {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
		err = run(ctx, path, os.Stdout)
		cancel()
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "lsp:", err)
		os.Exit(1)
	}
}

// findGopls returns the gopls to run: path if given, else the first of
// goplsCandidates that exists.
func findGopls(path string) (string, error) {
	if path != "" {
		return path, nil
	}
	for _, p := range goplsCandidates() {
		if _, err := os.Stat(p); err == nil {
			return p, nil
		}
	}
	return "", errors.New("gopls is on neither $PATH, GOBIN nor $(go env GOPATH)/bin: go install golang.org/x/tools/gopls@v0.23.0")
}

// goplsCandidates are where gopls may be: on $PATH, then where go install
// puts it, GOBIN or else $(go env GOPATH)/bin.
func goplsCandidates() []string {
	var paths []string
	if p, err := exec.LookPath("gopls"); err == nil {
		paths = append(paths, p)
	}
	out, err := exec.Command("go", "env", "GOBIN", "GOPATH").Output()
	if err != nil {
		return paths
	}
	gobin, gopath, _ := strings.Cut(strings.TrimSpace(string(out)), "\n")
	if gobin = strings.TrimSpace(gobin); gobin != "" {
		paths = append(paths, filepath.Join(gobin, "gopls"))
	}
	for _, dir := range filepath.SplitList(strings.TrimSpace(gopath)) {
		paths = append(paths, filepath.Join(dir, "bin", "gopls"))
	}
	return paths
}

// workspace writes a module holding mainGo into a new temporary directory
// and returns the directory.
func workspace() (string, error) {
	dir, err := os.MkdirTemp("", "lsp-example-")
	if err != nil {
		return "", err
	}
	err = errors.Join(
		os.WriteFile(filepath.Join(dir, "go.mod"), []byte("module example.com/hello\n\ngo 1.22\n"), 0o644),
		os.WriteFile(filepath.Join(dir, "main.go"), []byte(mainGo), 0o644),
	)
	if err != nil {
		os.RemoveAll(dir)
		return "", err
	}
	return dir, nil
}

// fileURI is the file: URI of an absolute path.
func fileURI(path string) string {
	return (&url.URL{Scheme: "file", Path: filepath.ToSlash(path)}).String()
}

// goplsCommand is gopls run in dir, with the module proxy and toolchain
// downloads off: the workspace needs nothing from the network.
func goplsCommand(ctx context.Context, gopls, dir string) *exec.Cmd {
	cmd := exec.CommandContext(ctx, gopls)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "GOPROXY=off", "GOTOOLCHAIN=local")
	return cmd
}

// run drives gopls through the session and prints what it learns.
func run(ctx context.Context, gopls string, out io.Writer) error {
	dir, err := workspace()
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	file := fileURI(filepath.Join(dir, "main.go"))

	client := NewClient()
	s, err := start(goplsCommand(ctx, gopls, dir), client, nil)
	if err != nil {
		return err
	}
	defer s.close()

	init, err := s.initialize(ctx, fileURI(dir))
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "initialize: %s\n", init.ServerInfo.Name)
	if err := s.open(ctx, file, mainGo); err != nil {
		return err
	}
	hover, err := s.hover(ctx, file, greetingCall)
	if err != nil {
		return fmt.Errorf("hover: %w", err)
	}
	fmt.Fprintf(out, "hover on Greeting: %s\n", hoverSummary(hover.Contents.Value))
	locs, err := s.definition(ctx, file, greetingCall)
	if err != nil {
		return fmt.Errorf("definition: %w", err)
	}
	for _, l := range locs {
		fmt.Fprintf(out, "definition of Greeting: %s:%d:%d\n", filepath.Base(l.URI), l.Range.Start.Line+1, l.Range.Start.Character+1)
	}
	if err := s.cancelAddImport(ctx, file, "strings"); err != nil {
		return err
	}
	fmt.Fprintln(out, "workspace/executeCommand gopls.add_import: given up while gopls waited for its edit, cancelled with $/cancelRequest")
	if err := s.shutdown(ctx); err != nil {
		return err
	}
	fmt.Fprintf(out, "shutdown, exit: gopls exited, %s\n", s.cmd.ProcessState)
	fmt.Fprintln(out, "what gopls asked and told this client, in order:")
	for _, e := range client.Events() {
		fmt.Fprintln(out, "  "+e)
	}
	return nil
}

// hoverSummary is the Go code and the first line of text of a markdown
// hover, such as gopls writes: a fenced signature, then documentation.
func hoverSummary(md string) string {
	var code, text string
	fenced := false
	for _, line := range strings.Split(md, "\n") {
		line = strings.TrimSpace(line)
		switch {
		case strings.HasPrefix(line, "```"):
			fenced = !fenced
		case fenced && code == "":
			code = line
		case !fenced && text == "" && line != "" && line != "---":
			text = line
		}
	}
	return code + ": " + text
}
