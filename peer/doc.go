// Package peer calls and serves net/rpc methods in both directions over one
// connection, in any wire format of package codec.
//
// A [Peer] is both ends of net/rpc at once: a standard rpc.Client whose
// requests go out on the connection and a standard rpc.Server that answers
// the requests coming in on it. Neither end is "the server": a worker that
// can only dial out connects to its master, and from then on the master
// calls the worker's methods and the worker calls the master's, over that
// one connection. Calls nest: a handler may call back the peer that called
// it, at any depth.
//
// Services are registered per connection by a [Binder], which is handed
// the new *Peer so that handlers know whom to call back. A [Hub] accepts
// many peers and keeps a registry of them (the master's side); a
// [Redialer] keeps one peer connected, redialing with backoff (the
// worker's side).
//
// How a frame travels: one of net/rpc's two read loops holds a read token
// and reads the next frame header from the socket itself; a request goes to
// the server loop, a response to the client loop, and the token passes only
// when a frame belongs to the other loop. See docs/peer.md.
package peer
