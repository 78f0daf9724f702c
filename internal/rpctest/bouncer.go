package rpctest

import (
	"context"
	"fmt"

	"github.com/duplexrpc/duplex/peer"
)

// Bouncer calls back the peer that called it, n levels deep: the nested
// reverse call. Register one per connection, handed that connection's peer.
type Bouncer struct{ Self *peer.Peer }

// Bounce returns n after bouncing n-1 back to the caller.
func (b *Bouncer) Bounce(n int, reply *int) error {
	if n == 0 {
		*reply = 0
		return nil
	}
	var r int
	if err := b.Self.Call(context.Background(), "Bouncer.Bounce", n-1, &r); err != nil {
		return fmt.Errorf("at depth %d: %w", n, err)
	}
	*reply = r + 1
	return nil
}
