//go:build unix

package transport

import (
	"os"
	"syscall"
)

// pollableStdin returns standard input as a file Go's poller watches, if
// it is a pipe or a socket, and how to put it back as it was; nil
// otherwise. A file that was blocking when the process started is read by
// a thread that blocks in read(2), which closing the file does not wake;
// a non-blocking one is read through the poller, which closing does. The
// new file shares descriptor 0, and nothing else of this process should
// read standard input meanwhile.
func pollableStdin() (*os.File, func()) {
	var st syscall.Stat_t
	if err := syscall.Fstat(0, &st); err != nil {
		return nil, nil
	}
	if mode := st.Mode & syscall.S_IFMT; mode != syscall.S_IFIFO && mode != syscall.S_IFSOCK {
		return nil, nil // a terminal or a file: left as it is
	}
	fd, err := syscall.Dup(0)
	if err != nil {
		return nil, nil
	}
	if err := syscall.SetNonblock(fd, true); err != nil {
		syscall.Close(fd)
		return nil, nil
	}
	// The flag belongs to the open file, which descriptor 0 shares: put
	// it back once the connection is closed.
	return os.NewFile(uintptr(fd), "/dev/stdin"), func() { syscall.SetNonblock(0, false) }
}
