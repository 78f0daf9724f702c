package main

// What travels beside a call (docs/wire.md §12): metadata (-H), the
// dialect that spells cancels and progress (-dialect), and the progress
// the remote reports (-progress).

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/duplexrpc/duplex/codec"
	"github.com/duplexrpc/duplex/peer"
)

// metadataFlag is -H key=value, given once per key: the metadata the calls
// send. A flag.Value, so that a bad one is reported as flag reports any
// bad value, naming it.
type metadataFlag struct{ md peer.Metadata }

func (m *metadataFlag) String() string {
	if m == nil {
		return ""
	}
	return strings.Join(m.pairs(), " ")
}

// pairs are the metadata as -H takes it, key=value, sorted by key.
func (m *metadataFlag) pairs() []string {
	var pairs []string
	for _, k := range slices.Sorted(maps.Keys(m.md)) {
		pairs = append(pairs, k+"="+m.md[k])
	}
	return pairs
}

// Set takes one key=value. A key given twice is refused rather than
// overwritten: the metadata is a map, and the first value would be lost
// without a word. progressToken is refused too: the peer sends its own,
// and drops one set as metadata.
func (m *metadataFlag) Set(v string) error {
	key, value, ok := strings.Cut(v, "=")
	switch {
	case !ok:
		return errors.New("want key=value")
	case key == "":
		return errors.New("the key is empty: want key=value")
	case key == "progressToken":
		return errors.New("progressToken is the progress machinery's own (see -progress)")
	case hasKey(m.md, key):
		return fmt.Errorf("the key %q is given twice", key)
	}
	if m.md == nil {
		m.md = make(peer.Metadata)
	}
	m.md[key] = value
	return nil
}

func hasKey(md peer.Metadata, key string) bool {
	_, ok := md[key]
	return ok
}

// metadataFlags declares -H.
func (o *options) metadataFlags(fs *flag.FlagSet) {
	fs.Var(&o.metadata, "H", "send metadata `key=value` with every call (repeat it for more keys, each once), where the wire has room for it: params._meta over JSON-RPC 2.0, a $/meta notification just before the call over msgpack-rpc (docs/wire.md §12.1)")
}

// dialectFlag declares -dialect.
func (o *options) dialectFlag(fs *flag.FlagSet) {
	fs.StringVar(&o.dialect, "dialect", "", "how the wire spells cancels, progress and streams, and whether a call's object params go by name: the dialect's `name`, one of "+strings.Join(dialectNames(), ", ")+"; by default lsp with -codec lsp, else default (docs/wire.md §12.3)")
}

// dialectNames are the names -dialect takes.
func dialectNames() []string {
	var names []string
	for _, d := range codec.Dialects() {
		names = append(names, d.Name)
	}
	return names
}

// peerOptions are the options of every peer the command makes: the
// dialect of -dialect, checked before anything is dialed.
func (o *options) peerOptions() (*peer.Options, error) {
	d, err := codec.DialectByName(o.dialectName())
	if err != nil {
		return nil, usageError("-dialect %q: want one of %s", o.dialect, strings.Join(dialectNames(), ", "))
	}
	return &peer.Options{Dialect: d}, nil
}

// dialectName is the dialect of -dialect, or the codec's own: LSP's for
// -codec lsp, whose servers expect its partial results and params by name.
func (o *options) dialectName() string {
	switch {
	case o.dialect != "":
		return o.dialect
	case o.codec == codec.LSP.Name():
		return codec.LSPDialect.Name
	}
	return codec.DefaultDialect.Name
}

// callContext is ctx with what -H and -progress add to a call made over w.
func (o *options) callContext(ctx context.Context, e *env, w wire) context.Context {
	ctx = peer.WithMetadata(ctx, o.metadata.md)
	if o.progress {
		ctx = peer.WithProgress(ctx, func(v codec.Raw) { e.progressLine(w, v) })
	}
	return ctx
}

// progressLine prints a progress value of the remote's on stderr, as one
// JSON object: {"progress": V}.
func (e *env) progressLine(w wire, v codec.Raw) {
	text, err := w.rawJSON(v)
	if err != nil {
		e.errLine("duplex: a progress value cannot be shown as JSON: %v", err)
		return
	}
	e.errLine(`{"progress":%s}`, text)
}
