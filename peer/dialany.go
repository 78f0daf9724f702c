package peer

import (
	"context"
	"errors"
	"fmt"
	"io"
	"sync"
)

// DialAny returns a DialFunc for a Redialer that may connect to any of
// several addresses, such as the masters of a cluster: each dial tries
// addrs in turn with dial, and returns the first connection made. It
// starts with the address after the one it last connected to, so a worker
// whose master has gone tries the others first, and workers spread over
// the addresses as they reconnect.
//
// One dial tries every address at most once. When all fail it returns
// their errors joined, which are Permanent only if each of them was
// (another try cannot mend any of them); otherwise the Redialer waits out
// its backoff and dials again. A dial that ctx ends returns ctx.Err(). An
// attempt blocks the ones after it: bound each one in dial (a
// net.Dialer's Timeout, say) so that an unreachable address costs little.
//
// The DialFunc is safe for concurrent use. With no addresses it fails
// with a Permanent error.
func DialAny(dial func(ctx context.Context, addr string) (io.ReadWriteCloser, error), addrs ...string) DialFunc {
	addrs = append([]string(nil), addrs...)
	var mu sync.Mutex
	next := 0 // the address the next dial starts with
	return func(ctx context.Context) (io.ReadWriteCloser, error) {
		if len(addrs) == 0 {
			return nil, Permanent(errors.New("peer: DialAny: no addresses"))
		}
		mu.Lock()
		start := next
		mu.Unlock()
		errs := make([]error, 0, len(addrs))
		permanent := true
		for i := range addrs {
			if err := ctx.Err(); err != nil {
				return nil, err
			}
			at := (start + i) % len(addrs)
			rwc, err := dial(ctx, addrs[at])
			if err == nil {
				mu.Lock()
				next = (at + 1) % len(addrs)
				mu.Unlock()
				return rwc, nil
			}
			var pe permanentError
			if errors.As(err, &pe) {
				err = pe.err // marked again below if every error is
			} else {
				permanent = false
			}
			errs = append(errs, fmt.Errorf("%s: %w", addrs[at], err))
		}
		err := errors.Join(errs...)
		if permanent {
			return nil, Permanent(err)
		}
		return nil, err
	}
}
