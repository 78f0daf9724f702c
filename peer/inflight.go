package peer

import "github.com/duplexrpc/duplex/codec"

// The in-flight state of a peer, both ways, is one struct behind one lock,
// changed in one place: update. After every change update does what must
// follow it, so that no caller can forget to: it wakes a Shutdown waiting
// for the peer to go quiet (invariant 4), and closes a stream that stayed
// open after the connection ended, to write the answers it owed, once they
// are written. Nothing polls.

// inFlight is what is in flight on a connection, and whether it is ending.
type inFlight struct {
	nextSeq uint64
	calls   map[uint64]*call        // our requests awaiting an answer
	serving map[uint64]*incoming    // their requests that a cancel can reach
	streams map[codec.ID]*outStream // their stream calls being served, by stream token
	// incoming counts their requests not yet answered on the stream, and
	// the notifications being served (invariant 3).
	incoming  int
	ordered   orderedQueue  // notifications waiting, with OrderedNotifications
	draining  bool          // Shutdown: refuse new requests
	quiet     chan struct{} // closed when draining and nothing is in flight
	ended     bool          // the connection is gone: no new calls
	lingering bool          // ended, but owes answers: the stream stays open for them
}

// update changes the in-flight state with change, under the lock, and then
// does what follows every change: wake Shutdown if the peer is now quiet,
// and close a lingering stream whose answers are all written. change must
// not block, nor take the sender's lock.
func (p *Peer) update(change func(s *inFlight)) {
	p.mu.Lock()
	s := &p.state
	change(s)
	over := s.lingering && s.answersDone()
	if over {
		s.lingering = false
	}
	// Invariant 4: Shutdown is woken here, on every change, never by a poll.
	// Quiet: ended with nothing owed, or draining with nothing in flight.
	if s.quiet != nil && (s.ended && !s.lingering || s.draining && s.incoming == 0 && len(s.calls) == 0 && !s.ordered.running) {
		select {
		case <-s.quiet:
		default:
			close(s.quiet)
		}
	}
	p.mu.Unlock()
	if over {
		p.closeStream() // outside the lock: it takes the sender's
	}
}

// answersDone reports that no answer is owed: nothing is in flight.
func (s *inFlight) answersDone() bool { return s.incoming == 0 && !s.ordered.running }
