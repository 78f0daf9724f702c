package peer_test

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/duplexrpc/duplex/codec"
	"github.com/duplexrpc/duplex/peer"
)

// Sleeper's Wait returns after ms milliseconds, or the context's error as
// soon as its ctx ends, telling Ended when.
type Sleeper struct {
	Started chan struct{}
	Ended   chan time.Time
}

func newSleeper() *Sleeper {
	return &Sleeper{Started: make(chan struct{}, 16), Ended: make(chan time.Time, 16)}
}

func (s *Sleeper) Wait(ctx context.Context, ms int, reply *string) error {
	s.Started <- struct{}{}
	select {
	case <-time.After(time.Duration(ms) * time.Millisecond):
		*reply = "done"
		return nil
	case <-ctx.Done():
		s.Ended <- time.Now()
		return ctx.Err()
	}
}

// A caller's cancel reaches the remote handler's context, over TCP, for
// every codec, within 100ms.
func TestCancelReachesHandler(t *testing.T) {
	for _, c := range codec.All() {
		t.Run(c.Name(), func(t *testing.T) {
			sleeper := newSleeper()
			a, _ := peerPair(t, c, nil, bindTestServices(sleeper))
			best := time.Hour
			for range 3 { // the best of three, on a shared machine
				ctx, cancel := context.WithCancel(context.Background())
				errc := make(chan error, 1)
				go func() { errc <- a.Call(ctx, "Sleeper.Wait", 60_000, new(string)) }()
				<-sleeper.Started
				cancelled := time.Now()
				cancel()
				if err := <-errc; !errors.Is(err, context.Canceled) {
					t.Fatalf("cancelled call = %v; want context.Canceled", err)
				}
				select {
				case ended := <-sleeper.Ended:
					best = min(best, ended.Sub(cancelled))
				case <-time.After(10 * time.Second):
					t.Fatal("the handler's context never ended")
				}
			}
			if best > 100*time.Millisecond {
				t.Fatalf("the handler saw the cancel %v after the caller; want within 100ms", best)
			}
			var got string // and the connection is fine
			if err := a.Call(context.Background(), "Sleeper.Wait", 1, &got); err != nil || got != "done" {
				t.Fatalf("call after cancels = %q, %v", got, err)
			}
		})
	}
}

// rawConn dials a peer serving Sleeper and returns the raw connection.
func rawPeer(t *testing.T, c codec.Codec) (net.Conn, *Sleeper) {
	t.Helper()
	x, y := tcpPair(t)
	sleeper := newSleeper()
	p, err := peer.New(x, c, bindTestServices(sleeper))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { y.Close(); p.Close() })
	y.SetDeadline(time.Now().Add(10 * time.Second))
	return y, sleeper
}

// A cancel that arrives right behind its request, in the same write,
// before the handler can have started, still cancels it; the answer is
// the context's error, with LSP's RequestCancelled code in JSON-RPC 2.0.
func TestCancelBeforeDispatchJSONRPC2(t *testing.T) {
	y, sleeper := rawPeer(t, codec.JSONRPC2)
	frames := `{"jsonrpc":"2.0","id":"a1","method":"Sleeper.Wait","params":[60000]}` + "\n" +
		`{"jsonrpc":"2.0","method":"$/cancelRequest","params":{"id":"a1"}}` + "\n"
	if _, err := y.Write([]byte(frames)); err != nil {
		t.Fatal(err)
	}
	var resp struct {
		ID    string `json:"id"`
		Error *struct {
			Code    int    `json:"code"`
			Message string `json:"message"`
		} `json:"error"`
	}
	if err := json.NewDecoder(y).Decode(&resp); err != nil {
		t.Fatal(err)
	}
	if resp.ID != "a1" || resp.Error == nil || resp.Error.Code != codec.CodeRequestCancelled || !strings.Contains(resp.Error.Message, "canceled") {
		t.Fatalf("answer to a cancelled request = %+v; want id a1, code -32800", resp)
	}
	<-sleeper.Started
}

// The msgpack-rpc form, as a foreign client would send it.
func TestCancelBeforeDispatchMsgpack(t *testing.T) {
	y, _ := rawPeer(t, codec.Msgpack)
	var b []byte
	b = append(b, 0x94, 0x00, 0x05, 0xac)
	b = append(b, "Sleeper.Wait"...)
	b = append(b, 0x91, 0xcd, 0xea, 0x60) // [0, 5, "Sleeper.Wait", [60000]]
	b = append(b, 0x93, 0x02, 0xaf)
	b = append(b, "$/cancelRequest"...)
	b = append(b, 0x91, 0x05) // [2, "$/cancelRequest", [5]]
	if _, err := y.Write(b); err != nil {
		t.Fatal(err)
	}
	head := make([]byte, 5)
	if _, err := io.ReadFull(bufio.NewReader(y), head); err != nil {
		t.Fatal(err)
	}
	// [1, 5, "context canceled", nil]
	if head[0] != 0x94 || head[1] != 0x01 || head[2] != 0x05 {
		t.Fatalf("answer starts % x; want a response to msgid 5", head)
	}
}
