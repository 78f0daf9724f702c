package otelpeer_test

import (
	"testing"

	"github.com/duplexrpc/duplex/internal/rpctest"
)

func TestMain(m *testing.M) { rpctest.VerifyNoLeaks(m) }
