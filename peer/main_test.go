package peer_test

import (
	"os"
	"testing"

	"github.com/duplexrpc/duplex/internal/rpctest"
)

func TestMain(m *testing.M) {
	if addr := os.Getenv(fdChildEnv); addr != "" {
		os.Exit(fdChild(addr)) // the test binary as the server of TestAcceptSurvivesFDExhaustion
	}
	rpctest.VerifyNoLeaks(m)
}
