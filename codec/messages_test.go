package codec_test

import (
	"bytes"
	"io"
	"sync"
	"testing"

	"github.com/duplexrpc/duplex/codec"
)

// messageStream records each Write as one message, as a WebSocket sends it.
type messageStream struct {
	mu       sync.Mutex
	messages [][]byte
}

func (m *messageStream) Read([]byte) (int, error) { return 0, io.EOF }
func (m *messageStream) Close() error             { return nil }
func (m *messageStream) WritesMessages() bool     { return true }
func (m *messageStream) Write(b []byte) (int, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.messages = append(m.messages, bytes.Clone(b))
	return len(b), nil
}

// On a stream that is a MessageWriter every codec writes one frame per
// Write without being asked, even when writers meet at its lock.
func TestMessageWriterGetsOneFramePerWrite(t *testing.T) {
	for _, c := range codec.All() {
		t.Run(c.Name(), func(t *testing.T) {
			alone := &bytes.Buffer{}
			one := c.NewConn(nopCloser{alone}, nil)
			if err := one.Write(&codec.Header{Kind: codec.Notification, ServiceMethod: "Echo.String"}, "x"); err != nil {
				t.Fatal(err)
			}
			size := alone.Len() // one frame's bytes (gob: after its type definitions)
			if err := one.Write(&codec.Header{Kind: codec.Notification, ServiceMethod: "Echo.String"}, "x"); err != nil {
				t.Fatal(err)
			}
			size = alone.Len() - size

			m := &messageStream{}
			conn := c.NewConn(m, nil)
			var wg sync.WaitGroup
			for range 50 {
				wg.Add(1)
				go func() {
					defer wg.Done()
					if err := conn.Write(&codec.Header{Kind: codec.Notification, ServiceMethod: "Echo.String"}, "x"); err != nil {
						t.Error(err)
					}
				}()
			}
			wg.Wait()
			if len(m.messages) != 50 {
				t.Fatalf("50 frames went out in %d writes; want one write each", len(m.messages))
			}
			if got := len(m.messages[len(m.messages)-1]); got != size {
				t.Fatalf("the last message holds %d bytes; one frame is %d", got, size)
			}
		})
	}
}
