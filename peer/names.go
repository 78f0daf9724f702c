package peer

import (
	"errors"
	"fmt"
	"maps"
)

// Wire names. A Registry finds a method by net/rpc's "Service.Method".
// Protocols written for other languages name theirs otherwise: LSP's
// "textDocument/hover", "window/workDoneProgress/create" and "$/progress"
// have slashes and a dollar, and no dot to split a service off. A
// Registry's name table gives such a name to a Go method, both ways:
//
//	r.Register(&Client{})                                      // Client.Configuration, …
//	r.MapName("workspace/configuration", "Client.Configuration")
//
//	in:  {"method":"workspace/configuration",…}  runs  Client.Configuration
//	out: p.Call(ctx, "Client.Configuration", …)  sends {"method":"workspace/configuration",…}
//
// A name not in the table is looked up, and sent, as it is: a Go caller
// may call p.Call(ctx, "textDocument/hover", …) without mapping anything.

// nameTable is a Registry's wire names, both ways. It is replaced whole,
// never changed, so that readers need no lock.
type nameTable struct {
	toGo   map[string]string // wire name → "Service.Method"
	toWire map[string]string // "Service.Method" → wire name
}

// MapName names the method goName ("Service.Method", as Register and
// RegisterName publish it) wire on the connection, in both directions:
//
//   - a request or notification for wire runs goName; goName may be
//     registered before or after the mapping, and a request for wire
//     that comes while it is not fails as one for goName would
//     ("rpc: can't find service …", a JSON-RPC 2.0 -32601);
//   - this peer's calls of goName, with Call, Go, Notify or a Hub's
//     CallAll, go out as wire: a Go name may stand for a method of the
//     other end, which need not be registered here.
//
// The mapping changes only names: a request for goName itself still runs
// it, and interceptors and logs see a method by the name it came with.
// Each wire name and each Go name can be mapped once; MapName fails for a
// name mapped already, or an empty one. Like Register, it is safe for
// concurrent use, and usually called by the Binder.
func (r *Registry) MapName(wire, goName string) error {
	if wire == "" || goName == "" {
		return errors.New("peer: MapName needs a wire name and a Go name")
	}
	if wire == goName {
		return fmt.Errorf("peer: MapName(%q, %q): the names are the same", wire, goName)
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	old := r.names.Load()
	next := &nameTable{toGo: map[string]string{}, toWire: map[string]string{}}
	if old != nil {
		next.toGo, next.toWire = maps.Clone(old.toGo), maps.Clone(old.toWire)
	}
	if g, dup := next.toGo[wire]; dup {
		return fmt.Errorf("peer: wire name %q is mapped already, to %q", wire, g)
	}
	if w, dup := next.toWire[goName]; dup {
		return fmt.Errorf("peer: %q is mapped already, to wire name %q", goName, w)
	}
	next.toGo[wire], next.toWire[goName] = goName, wire
	r.names.Store(next)
	return nil
}

// goName returns the Go name a method that came as name is registered
// under: its mapping, or name itself.
func (r *Registry) goName(name string) string {
	if t := r.names.Load(); t != nil {
		if g, ok := t.toGo[name]; ok {
			return g
		}
	}
	return name
}

// wireName returns the name a call of the method name goes out as: its
// mapping, or name itself.
func (r *Registry) wireName(name string) string {
	if t := r.names.Load(); t != nil {
		if w, ok := t.toWire[name]; ok {
			return w
		}
	}
	return name
}
