package peer

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"strconv"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/duplexrpc/duplex/codec"
)

// Why a connection ended before the other end sent a single frame.
//
// The end that reads first knows when the two ends were given different
// codecs: the first bytes it reads are another wire's (codec.ErrWrongCodec,
// from the codec itself). The end that dialed is usually not the one that
// reads first: a Redialer waits GreetingDelay before it greets, but a
// caller writes its request at once, and the other end hangs up on it. So
// each peer keeps the first bytes it heard and the time its first frame
// went out, and when the connection ends before any good frame came, it
// says what the other end did:
//
//   - it answered in HTTP ("HTTP/1.1 400 Bad Request"): it is an HTTP or
//     WebSocket server, dialed as a plain stream;
//   - it sent a TLS record: it speaks TLS, dialed without it;
//   - it sent an HTTP request or a TLS handshake: the same, seen from the
//     end that listens;
//   - it closed the connection cleanly, soon after our first frame went out,
//     without sending a byte: it read our first frame and hung up, which is
//     what every peer of this package, and most RPC servers, do with a wire
//     they cannot read.
//
// Each of these Is codec.ErrWrongCodec. The last is a guess, the likeliest
// cause and not the only one (a server that refuses connections by closing
// them looks the same), so a Redialer stops only after
// wrongCodecHangUps of them in a row; the others are facts, and stop it at
// once. A connection that ever heard a good frame is never diagnosed: the
// other end closing it after real traffic is an ordinary end.

// hangUpWindow is how soon after our first frame went out a silent, clean
// end counts as a hang-up on that frame. A peer that reads it and hangs up
// does so within a round trip; a connection that lived longer, silent,
// ended for another reason (a master that never calls this worker going
// away).
const hangUpWindow = 2 * time.Second

// wrongCodecHangUps is how many connections in a row a Redialer lets end
// in a hang-up on its first frame before it stops.
const wrongCodecHangUps = 3

// errHungUp marks the guessed diagnosis (a silent hang-up), so that a
// Redialer can tell it from the sure ones.
var errHungUp = errors.New("hung up on our first frame")

// hungUpError is the guessed diagnosis: it reads as its text, and Is
// ErrClosed, codec.ErrWrongCodec and errHungUp.
type hungUpError struct{ msg string }

func (e *hungUpError) Error() string { return e.msg }
func (e *hungUpError) Unwrap() []error {
	return []error{ErrClosed, codec.ErrWrongCodec, errHungUp}
}

// firstHeard keeps the first bytes the other end sent (those of the first
// read that returned any) and when our first bytes went out. The reader
// records, one at a time; the peer's end reads them, from any goroutine.
type firstHeard struct {
	n     atomic.Int32 // bytes kept in b; stored once, after b is written
	b     [32]byte
	wrote atomic.Int64 // unix nanoseconds our first write began; 0 before
	reset atomic.Bool  // a write failed as on a reset connection
	// writing counts writes under way: one of them may have taken a
	// reset's error, which it has not recorded yet.
	writing atomic.Int32
	good    atomic.Bool // a frame the codec did not reject has arrived
}

// heard records the bytes of a read, if none were recorded yet.
func (f *firstHeard) heard(b []byte) {
	if len(b) > 0 && f.n.Load() == 0 {
		f.n.Store(int32(copy(f.b[:], b)))
	}
}

// sending records that a write of bytes to the stream begins. It is
// recorded before the write, not after: the other end may read the bytes
// and hang up, and our reader see the end, before the writer returns.
func (f *firstHeard) sending(b []byte) {
	if len(b) > 0 && f.wrote.Load() == 0 {
		f.wrote.Store(time.Now().UnixNano())
	}
}

// failed records a write error. A reset connection fails writes with
// ECONNRESET, once, then EPIPE; the write that gets ECONNRESET takes it,
// and the reader then sees a clean end: so the writer's error is kept.
func (f *firstHeard) failed(err error) {
	if err != nil && (errors.Is(err, syscall.ECONNRESET) || errors.Is(err, syscall.EPIPE)) {
		f.reset.Store(true)
	}
}

// writesDone waits, briefly, for the writes under way to return, so that
// an error one of them took is recorded; it reports whether they did. A
// write that returned has recorded its error before it is counted out,
// and one blocked on a full stream is not waited for: this runs as the
// connection ends, and only for one that heard nothing.
func (f *firstHeard) writesDone() bool {
	for range 100 {
		if f.writing.Load() == 0 {
			return true
		}
		time.Sleep(time.Millisecond)
	}
	return false
}

// first returns the bytes recorded.
func (f *firstHeard) first() []byte { return f.b[:f.n.Load()] }

// watchedWriter is the stream as the sender writes it: the first write is
// recorded.
type watchedWriter struct {
	w io.Writer
	f *firstHeard
}

func (w watchedWriter) Write(b []byte) (int, error) {
	w.f.sending(b)
	w.f.writing.Add(1)
	n, err := w.w.Write(b)
	w.f.failed(err)
	w.f.writing.Add(-1)
	return n, err
}

// watchedTry wraps the sender's non-blocking write, if there is one, as
// watchedWriter wraps the stream.
func watchedTry(try func([]byte) (int, error), f *firstHeard) func([]byte) (int, error) {
	if try == nil {
		return nil
	}
	return func(b []byte) (int, error) {
		f.sending(b)
		f.writing.Add(1)
		n, err := try(b)
		f.failed(err)
		f.writing.Add(-1)
		return n, err
	}
}

// diagnose returns the error a connection that ended with err should
// report, or nil to keep err as it is. p.first holds what was heard.
func (p *Peer) diagnose(err error) error {
	if p.first.good.Load() || errors.Is(err, errClosing) || errors.Is(err, codec.ErrWrongCodec) {
		return nil
	}
	name := p.codec.Name()
	if what := foreignProtocol(p.first.first()); what != "" {
		return fmt.Errorf("%w: %w: %s; this end speaks %s", ErrClosed, codec.ErrWrongCodec, what, name)
	}
	if p.gotFrame.Load() || !errors.Is(err, io.EOF) && !errors.Is(err, io.ErrUnexpectedEOF) && !errors.Is(err, syscall.ECONNRESET) {
		return nil
	}
	if n := len(p.first.first()); n > 0 {
		return fmt.Errorf("%w: the other end sent %s and closed it before a whole frame (does it speak %s?)", ErrClosed, quoteBytes(p.first.first()), name)
	}
	wrote := p.first.wrote.Load()
	if wrote == 0 {
		return fmt.Errorf("%w: the other end closed it before either end sent anything (was it full?)", ErrClosed)
	}
	after := time.Since(time.Unix(0, wrote))
	switch {
	case errors.Is(err, syscall.ECONNRESET) || !p.first.writesDone() || p.first.reset.Load():
		// It did not read what we sent (a server that was full, or
		// that refused us), or we sent more after it hung up: either
		// way no sign of a codec.
		return fmt.Errorf("%w: the other end reset it %v after our first frame, without sending anything (was it full? does it speak %s?)", ErrClosed, roundDuration(after), name)
	case after > hangUpWindow:
		return fmt.Errorf("%w: the other end closed it without ever sending anything (does it speak %s?)", ErrClosed, name)
	}
	return &hungUpError{fmt.Sprintf("%v: %v: it hung up %v after our first frame without sending a byte (this end speaks %s; a server that refuses connections does the same)",
		ErrClosed, codec.ErrWrongCodec, roundDuration(after), name)}
}

// foreignProtocol names what a stream that opens with b is when it is
// certainly not an RPC wire of package codec: HTTP, or TLS. It returns ""
// otherwise.
func foreignProtocol(b []byte) string {
	switch {
	case bytes.HasPrefix(b, []byte("HTTP/")):
		return fmt.Sprintf("it answered in HTTP (%s): it is an HTTP or WebSocket server, which wants a ws:// or http:// address", quoteBytes(firstLine(b)))
	case isHTTPRequest(b):
		return fmt.Sprintf("it sent an HTTP request (%s): it is an HTTP or WebSocket client, which wants a ws:// or http:// listener", quoteBytes(firstLine(b)))
	case len(b) >= 2 && b[1] == 3 && (b[0] == 0x15 || b[0] == 0x16):
		kind := "an alert"
		if b[0] == 0x16 {
			kind = "a handshake"
		}
		return "it sent a TLS record (" + kind + "): it speaks TLS, which wants a tls:// or wss:// address"
	}
	return ""
}

// httpMethods are the request methods a client that speaks HTTP opens
// with, each followed by a space.
var httpMethods = []string{"GET ", "POST ", "PUT ", "HEAD ", "DELETE ", "OPTIONS ", "PATCH ", "CONNECT "}

func isHTTPRequest(b []byte) bool {
	for _, m := range httpMethods {
		if bytes.HasPrefix(b, []byte(m)) {
			return true
		}
	}
	return false
}

// firstLine is b up to its first line end.
func firstLine(b []byte) []byte {
	if i := bytes.IndexAny(b, "\r\n"); i >= 0 {
		return b[:i]
	}
	return b
}

// quoteBytes quotes bytes heard for an error message.
func quoteBytes(b []byte) string { return strconv.QuoteToASCII(string(b)) }

// roundDuration makes a duration short enough to read.
func roundDuration(d time.Duration) time.Duration {
	switch {
	case d < 10*time.Millisecond:
		return d.Round(10 * time.Microsecond)
	case d < time.Second:
		return d.Round(time.Millisecond)
	}
	return d.Round(100 * time.Millisecond)
}
