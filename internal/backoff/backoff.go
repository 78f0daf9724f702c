// Package backoff is the wait between retries of an accept loop that
// failed, shared by package peer's Hub and package transport's listeners.
package backoff

import "time"

// The bounds of an accept loop's wait.
const (
	First = 5 * time.Millisecond
	Max   = time.Second
)

// Next returns the wait after waiting d: First after no wait, then twice
// the last, up to Max.
func Next(d time.Duration) time.Duration { return min(max(2*d, First), Max) }
