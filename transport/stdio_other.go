//go:build !unix

package transport

import "os"

// pollableStdin leaves standard input as it is where there is no
// non-blocking mode to switch to.
func pollableStdin() (*os.File, func()) { return nil, nil }
