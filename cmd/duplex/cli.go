package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"
	"sync"
	"time"
)

// command is one of duplex's subcommands.
type command struct {
	name     string
	synopsis string // one line of the top-level usage
	usage    string // what -h prints before the flags
	flags    func(fs *flag.FlagSet, o *options)
	run      func(ctx context.Context, e *env, o *options, args []string) error
}

// env is where a command reads and writes. Lines written while handlers
// run concurrently go through line, one whole line at a time.
type env struct {
	stdin          io.Reader
	stdout, stderr io.Writer
	jsonErrors     bool
	mu             sync.Mutex
}

// line writes one line on stdout.
func (e *env) line(format string, args ...any) {
	e.mu.Lock()
	defer e.mu.Unlock()
	fmt.Fprintf(e.stdout, format+"\n", args...)
}

// errLine writes one line on stderr.
func (e *env) errLine(format string, args ...any) {
	e.mu.Lock()
	defer e.mu.Unlock()
	fmt.Fprintf(e.stderr, format+"\n", args...)
}

// fail reports f on stderr.
func (e *env) fail(f *failure) {
	e.mu.Lock()
	defer e.mu.Unlock()
	report(e.stderr, e.jsonErrors, f)
}

// exitStatus ends a command whose failures are reported already.
type exitStatus int

func (s exitStatus) Error() string { return fmt.Sprintf("exit status %d", int(s)) }

// options are the flags of every command; each command declares those it
// takes.
type options struct {
	codec          string
	dialect        string
	metadata       metadataFlag // -H
	progress       bool         // call: print the remote's progress
	params, data   string
	batch          bool
	echo           bool  // call: answer the remote's calls back
	stream         *bool // call: -stream, nil if not given
	timeout        time.Duration
	connectTimeout time.Duration
	verbose, hex   bool
	jsonErrors     bool
	caFile         string
	certFile       string
	keyFile        string
	serverName     string
	insecure       bool

	connect, exec string // worker
	redial        bool
	streamLines   bool   // worker -exec -stream
	listen, call  string // master
	count         int
	jsonOut       bool // list
}

// The groups of flags the commands share.

// codecFlag declares -codec and -dialect: how the wire is spoken.
func (o *options) codecFlag(fs *flag.FlagSet) {
	fs.StringVar(&o.codec, "codec", "msgpack", "the wire `format`: "+strings.Join(codecNames(), ", ")+"; the remote must speak the same (gob is not taken: it needs Go types)")
	o.dialectFlag(fs)
}

func (o *options) paramFlags(fs *flag.FlagSet) {
	fs.StringVar(&o.params, "params", "", "several positional params, as a JSON `array`: '[7, 8]'; or @FILE, or @- for stdin, each array in it one call")
	fs.StringVar(&o.data, "d", "", "the params as `JSON` (the argument, as a positional JSON would be); or @FILE, or @- for stdin, each JSON value in it one call")
}

// timeoutFlags declares -timeout, whose usage is given, and
// -connect-timeout.
func (o *options) timeoutFlags(fs *flag.FlagSet, usage string) {
	fs.DurationVar(&o.timeout, "timeout", 0, usage)
	fs.DurationVar(&o.connectTimeout, "connect-timeout", 10*time.Second, "give up connecting, TLS and WebSocket handshakes included, after this `duration` (exit 3)")
}

func (o *options) outputFlags(fs *flag.FlagSet) {
	fs.BoolVar(&o.verbose, "v", false, "dump every frame on stderr as it is sent (-->) and received (<--): time, size, and the frame as JSON")
	fs.BoolVar(&o.hex, "vv", false, "as -v, and a hex dump of each frame")
	fs.BoolVar(&o.jsonErrors, "json-errors", false, `print errors on stderr as JSON, one object a line: {"error": "…", "exit": 1|2|3, "kind": "remote|usage|connection|timeout|error", "method": "…"}, and for a remote error its "code" (0 where the wire has none), "message" and "data" as the remote sent them`)
}

func (o *options) tlsFlags(fs *flag.FlagSet, listening bool) {
	if listening {
		fs.StringVar(&o.certFile, "cert", "", "the server's certificate `file` (PEM), for tls:// and wss://")
		fs.StringVar(&o.keyFile, "key", "", "the `file` of the key of -cert (PEM)")
		fs.StringVar(&o.caFile, "cacert", "", "require client certificates signed by the CAs in this `file` (PEM): mutual TLS")
		return
	}
	fs.StringVar(&o.caFile, "cacert", "", "trust the CAs in this `file` (PEM) instead of the system's, for tls:// and wss://")
	fs.StringVar(&o.certFile, "cert", "", "present the client certificate in this `file` (PEM): mutual TLS")
	fs.StringVar(&o.keyFile, "key", "", "the `file` of the key of -cert (PEM)")
	fs.StringVar(&o.serverName, "servername", "", "the `name` to verify the server's certificate against (default: the address's host)")
	fs.BoolVar(&o.insecure, "insecure", false, "do not verify the server's certificate (for tests only)")
}

// execute parses args for c and runs it, returning the exit code.
func (c *command) execute(ctx context.Context, e *env, args []string) int {
	fs := flag.NewFlagSet("duplex "+c.name, flag.ContinueOnError)
	fs.SetOutput(io.Discard) // errors are reported here, in one line
	o := new(options)
	c.flags(fs, o)
	pos, err := parseArgs(fs, args)
	if errors.Is(err, flag.ErrHelp) {
		c.help(e.stdout, fs)
		return exitOK
	}
	if err != nil {
		e.fail(usageError("%v (see duplex %s -h)", err, c.name))
		return exitUsage
	}
	e.jsonErrors = o.jsonErrors
	o.verbose = o.verbose || o.hex
	err = c.run(ctx, e, o, pos)
	var status exitStatus
	switch {
	case err == nil:
		return exitOK
	case errors.As(err, &status):
		return int(status)
	}
	f := classify("", err)
	if f.kind == kindUsage && !strings.Contains(f.err.Error(), " -h)") {
		f.err = fmt.Errorf("%w (see duplex %s -h)", f.err, c.name)
	}
	e.fail(f)
	return f.exit
}

// help prints what -h prints: the usage text, the flags, the exit codes.
func (c *command) help(w io.Writer, fs *flag.FlagSet) {
	fmt.Fprint(w, strings.TrimLeft(c.usage, "\n"))
	fmt.Fprintln(w, "\nFlags (before or after the arguments; -- ends them):")
	fs.SetOutput(w)
	fs.PrintDefaults()
	fs.SetOutput(io.Discard)
	fmt.Fprint(w, exitCodes)
}

const exitCodes = `
Exit codes: 0 ok, 1 remote error, 2 usage, 3 connection or timeout.
`

// parseArgs parses the flags of fs anywhere among args, as a user puts
// them, and returns the other arguments in order. "--" ends the flags. A
// negative number is a JSON value, not a flag, unless it is the value of a
// flag before it.
func parseArgs(fs *flag.FlagSet, args []string) ([]string, error) {
	var pos []string
	args = append([]string(nil), args...)
	for len(args) > 0 {
		cut := numberAt(fs, args)
		head, rest := args[:cut], args[cut:]
		if err := fs.Parse(head); err != nil {
			return nil, err
		}
		left := fs.Args()
		if used := len(head) - len(left); used > 0 && head[used-1] == "--" {
			return append(append(pos, left...), rest...), nil
		}
		if len(left) == 0 && len(rest) == 0 {
			break
		}
		if len(left) == 0 { // rest starts with a negative number
			pos = append(pos, rest[0])
			args = rest[1:]
			continue
		}
		pos = append(pos, left[0])
		args = append(append([]string(nil), left[1:]...), rest...)
	}
	return pos, nil
}

// numberAt returns the index of the first argument that is a negative
// number standing for itself, or len(args).
func numberAt(fs *flag.FlagSet, args []string) int {
	for i := 0; i < len(args); i++ {
		a := args[i]
		switch {
		case a == "--":
			return len(args)
		case len(a) > 1 && a[0] == '-' && (a[1] >= '0' && a[1] <= '9' || a[1] == '.') && json.Valid([]byte(a)):
			return i
		case takesValue(fs, a):
			i++ // its value, whatever it looks like
		}
	}
	return len(args)
}

// takesValue reports whether a is a flag of fs whose value is the next
// argument.
func takesValue(fs *flag.FlagSet, a string) bool {
	if len(a) < 2 || a[0] != '-' {
		return false
	}
	name := strings.TrimPrefix(a[1:], "-")
	if strings.Contains(name, "=") {
		return false
	}
	f := fs.Lookup(name)
	if f == nil {
		return false
	}
	b, ok := f.Value.(interface{ IsBoolFlag() bool })
	return !ok || !b.IsBoolFlag()
}
