package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
)

// paramSource yields the params of one call after another: one set from
// the command line, or a stream of JSON values from a file or stdin, each
// one call.
type paramSource struct {
	one    *params       // the single set given on the command line
	dec    *json.Decoder // or a stream
	from   string        // where the stream comes from, for errors
	list   bool          // each value of the stream is a list of params
	closer io.Closer
	count  int // values taken so far
}

// newParamSource reads the params from what the user gave: a JSON
// argument (args, at most one), -d or -params. With none of them, a call
// has no params.
func newParamSource(o *options, args []string, stdin io.Reader) (*paramSource, error) {
	given := 0
	for _, s := range []string{o.data, o.params} {
		if s != "" {
			given++
		}
	}
	given += len(args)
	switch {
	case len(args) > 1:
		return nil, usageError("one JSON argument at most, got %d: quote it, or give several params with -params '[…]'", len(args))
	case given > 1:
		return nil, usageError("give the params once: as a JSON argument, with -d or with -params")
	case len(args) == 1:
		return oneParams(args[0], false, "the JSON argument")
	case o.data != "":
		return streamOrOne(o.data, false, "-d", stdin)
	case o.params != "":
		return streamOrOne(o.params, true, "-params", stdin)
	}
	return &paramSource{one: &params{none: true}}, nil
}

// oneParams is the source of a single set of params given as text.
func oneParams(text string, list bool, what string) (*paramSource, error) {
	p, err := checkParams(json.RawMessage(strings.TrimSpace(text)), list, what)
	if err != nil {
		return nil, err
	}
	return &paramSource{one: &p}, nil
}

// streamOrOne is a stream for @FILE and @-, else a single set.
func streamOrOne(text string, list bool, flag string, stdin io.Reader) (*paramSource, error) {
	name, ok := strings.CutPrefix(text, "@")
	if !ok {
		return oneParams(text, list, flag)
	}
	s := &paramSource{list: list, from: flag + " " + text}
	var r io.Reader = stdin
	if name != "-" {
		f, err := os.Open(name)
		if err != nil {
			return nil, usageError("%s: %v", flag, err)
		}
		r, s.closer = f, f
	}
	s.dec = json.NewDecoder(bufio.NewReader(r))
	return s, nil
}

// checkParams checks that text is one JSON value, an array for a list.
func checkParams(text json.RawMessage, list bool, what string) (params, error) {
	if !json.Valid(text) {
		var v any
		err := json.Unmarshal(text, &v)
		if len(text) == 0 {
			err = errors.New("empty")
		}
		return params{}, usageError("%s is not JSON: %v", what, err)
	}
	if list && text[0] != '[' {
		return params{}, usageError("%s must be a JSON array of the params, got %s", what, clip(text, 40))
	}
	return params{value: text, list: list}, nil
}

// next returns the next call's params; ok is false when there are no
// more.
func (s *paramSource) next() (p params, ok bool, err error) {
	if s.one != nil {
		if s.count > 0 {
			return params{}, false, nil
		}
		s.count++
		return *s.one, true, nil
	}
	var raw json.RawMessage
	err = s.dec.Decode(&raw)
	switch {
	case errors.Is(err, io.EOF) && s.count == 0:
		return params{}, false, usageError("%s: no JSON value in it", s.from)
	case errors.Is(err, io.EOF):
		return params{}, false, nil
	case err != nil:
		return params{}, false, usageError("%s: JSON value %d: %v", s.from, s.count+1, err)
	}
	s.count++
	p, err = checkParams(bytes.TrimSpace(raw), s.list, fmt.Sprintf("%s: JSON value %d", s.from, s.count))
	return p, err == nil, err
}

// all returns every set of params, for a batch.
func (s *paramSource) all() ([]params, error) {
	var list []params
	for {
		p, ok, err := s.next()
		if err != nil || !ok {
			return list, err
		}
		list = append(list, p)
	}
}

// close closes the file the params come from, if any.
func (s *paramSource) close() {
	if s.closer != nil {
		s.closer.Close()
	}
}
