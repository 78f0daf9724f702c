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
	if url := os.Getenv(heapChildEnv); url != "" {
		os.Exit(heapChild(url)) // the producer of TestStreamWindowBoundsProducerHeap
	}
	rpctest.VerifyNoLeaks(m)
}
