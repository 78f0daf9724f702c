// Package peer calls and serves methods in both directions over one
// connection, in any wire format of package codec, keeping net/rpc's
// conventions.
//
// A [Peer] is both ends at once: it calls the methods the other end serves
// and serves its own, over the same connection. Neither end is "the
// server": a worker that can only dial out connects to its master, and from
// then on the master calls the worker's methods and the worker calls the
// master's. Calls nest: a handler may call back the peer that called it, at
// any depth.
//
// Services are registered per connection by a [Binder] into a [Registry],
// by net/rpc's rules and with its error messages; a method may also take a
// context.Context first, and [FromContext] gives it the peer that called.
// A [Hub] accepts many peers and keeps a registry of them (the master's
// side); a [Redialer] keeps one peer connected, redialing with backoff (the
// worker's side).
//
// [Peer.Call] takes a context. When it ends first, Call returns at once,
// the answer is dropped when it comes, and a cancel message ends the
// context of the handler on the other end.
//
// How a frame travels: a call is entered in the peer's table of pending
// calls, and its whole frame is encoded into the send queue; one flusher at
// a time writes the queue to the stream, each write bounded by
// Options.WriteTimeout. On the other side one goroutine at a time reads, and
// never writes: for a request it finds the method, decodes the argument,
// hands reading over to a successor and runs the handler itself, whose
// answer goes back through that side's send queue; for an answer it decodes
// the body straight into the caller's reply. See docs/peer.md.
package peer
