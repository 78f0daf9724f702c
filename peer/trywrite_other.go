//go:build !unix

package peer

import "io"

// tryWriter writes without waiting only on Unix sockets; elsewhere a
// flusher goroutine writes for callers that must not wait.
func tryWriter(io.Writer) func([]byte) (int, error) { return nil }
