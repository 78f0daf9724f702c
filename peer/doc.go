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
//
// # Invariants
//
// The engine keeps six promises. Each has a test that breaks if it is
// broken (docs/peer.md §6 names them), and each is enforced where a
// comment "Invariant N" says.
//
//  1. The reader never writes, and never waits on a lock that a writer
//     holds while writing. It queues the frames it must send (send's
//     reader room mode) and leaves the writing to a flusher.
//  2. Every write is bounded: by the sender's context while it waits for
//     room in the queue, and by WriteTimeout once on the stream. A write
//     that stalls past it ends this peer, and no other.
//  3. A request counts as in flight until its response has been written to
//     the stream, so MaxInFlight bounds goroutines and memory even against
//     a client that never reads its answers.
//  4. Shutdown flushes what is queued and waits for every answer it
//     promised, on a signal, never by polling; Close flushes what the
//     stream takes within 250 ms, and never waits on a remote that does
//     not read.
//  5. A fan-out (CallEach, Hub.CallAll) never waits on one peer's write,
//     and returns at its context with a per-peer error for the stragglers.
//  6. A handler panic fails that call only: the caller gets an error that
//     does not carry the panic's text, the stack is logged, and the peer
//     and the process go on.
package peer
