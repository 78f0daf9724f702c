package peer

// How a peer serves requests: with net/rpc's own rpc.Server, one request
// at a time per goroutine through ServeRequest, instead of ServeCodec.
//
// ServeCodec reads a request in its loop and starts a goroutine to run the
// handler, so on the critical path of every call the handler waits for a
// goroutine to be scheduled — on a 2-CPU machine, usually woken on the
// other CPU. Here the goroutine that read a request runs its handler
// itself, and the next request is read by a successor it starts the moment
// the request's body is read. The successor's start-up overlaps the
// handler instead of preceding it. Either way there is one goroutine
// reading requests while the connection lives, and one per running handler.
//
// The last server goroutine to return, once reading has failed and every
// handler has returned, ends the peer.

// start starts the first server goroutine.
func (s *serverHalf) start() {
	s.live.Add(1)
	go s.serveRequests()
}

// serveRequests reads requests until it hands reading over to a successor
// (then it returns after running the request's handler) or reading fails.
func (s *serverHalf) serveRequests() {
	for {
		before := s.bodies.Load()
		s.p.server.ServeRequest(s) // errors have been answered or end the peer
		if s.bodies.Load() == before && s.p.demux.readErr() == nil {
			continue // still the reader: no body was read, so no successor
		}
		break
	}
	if s.live.Add(-1) == 0 {
		s.p.ended()
	}
}

// handOver is called once a request's body has been read: a successor
// takes over reading while this goroutine goes on to run the handler.
func (s *serverHalf) handOver() {
	s.bodies.Add(1)
	s.live.Add(1)
	go s.serveRequests()
}
