package transport

import (
	"errors"
	"io"
	"os"
	"sync"
)

// Stdio returns the process's own standard input and output as one
// connection, for a program run as a subprocess by its RPC peer (the other
// end is StartCommand). Nothing else may write to standard output while it
// is in use; log to standard error instead.
//
// Close closes both; it is idempotent. A Read blocked on a file the
// operating system cannot poll (a terminal, for one) may not return until
// input arrives.
func Stdio() io.ReadWriteCloser {
	return &stdio{in: os.Stdin, out: os.Stdout}
}

type stdio struct {
	in   io.ReadCloser
	out  io.WriteCloser
	once sync.Once
	err  error
}

func (s *stdio) Read(p []byte) (int, error)  { return s.in.Read(p) }
func (s *stdio) Write(p []byte) (int, error) { return s.out.Write(p) }

func (s *stdio) Close() error {
	s.once.Do(func() { s.err = errors.Join(s.in.Close(), s.out.Close()) })
	return s.err
}
