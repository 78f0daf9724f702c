package main

import (
	"bufio"
	"context"
	"fmt"
	"os"

	"github.com/duplexrpc/duplex/codec"
	"github.com/duplexrpc/duplex/peer"
)

// LinesArgs are the params of Files.Lines.
type LinesArgs struct {
	Path string // a file under the worker's root, its parts separated by "/"
}

// Line is an item of Files.Lines: a line of the file, without its end,
// and its number, counting from 1.
type Line struct {
	N    int
	Text string
}

// maxLine bounds a line: an item must fit in a frame.
const maxLine = 1 << 20

// Files is the worker's service: its method is called "Files.Lines".
type Files struct {
	root *os.Root // what a path may reach: nothing outside it
	out  *printer
}

// Lines streams the lines of the file at args.Path, one item each, as
// fast as the caller takes them, and stops when the caller breaks off.
func (f *Files) Lines(ctx context.Context, args *LinesArgs, out *peer.Stream[Line]) error {
	if args.Path == "" {
		return &peer.Error{Code: codec.CodeInvalidParams, Message: "Files.Lines: Path is empty; want a file under the worker's root"}
	}
	file, err := f.root.Open(args.Path) // refuses "../x" and "/x"
	if err != nil {
		return err
	}
	defer file.Close()
	s := bufio.NewScanner(file)
	s.Buffer(make([]byte, 0, 64<<10), maxLine)
	n := 0
	for s.Scan() {
		if err := out.Send(Line{N: n + 1, Text: s.Text()}); err != nil {
			f.out.say("worker: %s: stopped after %d lines: %v", args.Path, n, err)
			return err
		}
		n++
	}
	if err := s.Err(); err != nil {
		return fmt.Errorf("%s: line %d: %w", args.Path, n+1, err)
	}
	f.out.say("worker: %s: sent %d lines", args.Path, n)
	return nil
}
