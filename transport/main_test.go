package transport_test

import (
	"fmt"
	"io"
	"os"
	"testing"
	"time"

	"github.com/duplexrpc/duplex/internal/rpctest"
	"github.com/duplexrpc/duplex/transport"
)

// helperEnv selects what the test binary does when re-executed as a child
// process by the subprocess tests.
const helperEnv = "GO_WANT_HELPER_PROCESS"

func TestMain(m *testing.M) {
	if mode := os.Getenv(helperEnv); mode != "" {
		os.Exit(helperMain(mode))
	}
	rpctest.VerifyNoLeaks(m)
}

// helperMain is the child side of the subprocess tests.
func helperMain(mode string) int {
	switch mode {
	case "echo": // echo standard input to standard output until EOF
		rw := transport.Stdio()
		if _, err := io.Copy(rw, rw); err != nil {
			fmt.Fprintln(os.Stderr, "helper:", err)
			return 1
		}
		rw.Close()
		return 0
	case "die": // answer one line's first byte, then die with status 3
		b := make([]byte, 1)
		if _, err := os.Stdin.Read(b); err == nil {
			os.Stdout.Write(b)
		}
		return 3
	case "close-stdio": // Close must end a Read blocked on a standard input that stays open
		rw := transport.Stdio()
		read := make(chan error, 1)
		go func() {
			_, err := rw.Read(make([]byte, 1))
			read <- err
		}()
		time.Sleep(50 * time.Millisecond) // the Read is blocked
		rw.Close()
		select {
		case err := <-read:
			if err == nil {
				fmt.Fprintln(os.Stderr, "helper: the Read returned data")
				return 1
			}
			return 0
		case <-time.After(3 * time.Second):
			fmt.Fprintln(os.Stderr, "helper: Close left the Read blocked")
			return 1
		}
	case "hang": // ignore standard input closing; only a kill ends this
		time.Sleep(time.Minute)
		return 0
	}
	fmt.Fprintln(os.Stderr, "helper: unknown mode", mode)
	return 2
}
