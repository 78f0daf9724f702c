package transport

import (
	"errors"
	"io"
	"os"
	"sync"
)

// Stdio returns the process's own standard input and output as one
// connection, for a program run as a subprocess by its RPC peer (the other
// end is StartCommand), such as an LSP or MCP server. Nothing else may
// write to standard output while it is in use; log to standard error
// instead.
//
// Close closes both, and ends a Read blocked on standard input when that
// is a pipe or a socket (as it is under an editor or an MCP client): the
// input is switched to non-blocking mode, so that Go's poller waits for
// it, and back when it closes. A Read on a terminal, which is left as it
// is, may not return until input arrives. Close is idempotent.
func Stdio() io.ReadWriteCloser {
	s := &stdio{in: os.Stdin, out: os.Stdout}
	if in, restore := pollableStdin(); in != nil {
		s.in, s.restore = in, restore
	}
	return s
}

type stdio struct {
	in      io.ReadCloser
	out     io.WriteCloser
	restore func() // puts standard input back in blocking mode; nil if it was left as it was
	once    sync.Once
	err     error
}

func (s *stdio) Read(p []byte) (int, error)  { return s.in.Read(p) }
func (s *stdio) Write(p []byte) (int, error) { return s.out.Write(p) }

func (s *stdio) Close() error {
	s.once.Do(func() {
		s.err = errors.Join(s.in.Close(), s.out.Close())
		if s.restore != nil {
			s.restore()
		}
	})
	return s.err
}
