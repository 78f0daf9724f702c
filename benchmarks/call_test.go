package benchmarks_test

import (
	"fmt"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/duplexrpc/duplex/benchmarks"
)

// A callCase is one stack, over one kind of connection, called one way.
type callCase struct {
	impl benchmarks.Impl
	net  string // tcp or pipe
	dir  string // fwd: the dialer calls; rev: the accepting end calls
}

func (c callCase) connect(tb testing.TB) benchmarks.Caller {
	tb.Helper()
	pair := benchmarks.TCPPair
	if c.net == "pipe" {
		pair = benchmarks.PipePair
	}
	dialed, accepted, err := pair()
	if err != nil {
		tb.Fatal(err)
	}
	st, err := c.impl.Connect(dialed, accepted)
	if err != nil {
		tb.Fatalf("%s: connecting: %v", c.impl.Name, err)
	}
	tb.Cleanup(func() {
		if err := st.Close(); err != nil {
			tb.Logf("%s: closing: %v", c.impl.Name, err)
		}
	})
	if c.dir == "rev" {
		return st.Reverse
	}
	return st.Forward
}

// callCases lists every stack, connection and direction measured.
func callCases(network string) []callCase {
	var cases []callCase
	for _, dir := range []string{"fwd", "rev"} {
		for _, im := range benchmarks.Impls() {
			if dir == "rev" && !im.Reverse || network == "pipe" && !im.Pipe {
				continue
			}
			cases = append(cases, callCase{impl: im, net: network, dir: dir})
		}
	}
	return cases
}

// BenchmarkCall makes one kind of call at a time, over loopback TCP (and
// net.Pipe, for the small calls made one at a time, where the codec and
// the RPC layer are all there is), sequentially or 32 callers per
// GOMAXPROCS sharing one connection, each way the stack can call.
func BenchmarkCall(b *testing.B) {
	for _, network := range []string{"tcp", "pipe"} {
		for _, p := range benchmarks.Payloads() {
			for _, mode := range []string{"seq", "par32"} {
				if network == "pipe" && (mode != "seq" || p.Name == "64k") {
					continue
				}
				for _, c := range callCases(network) {
					if network == "pipe" && c.dir == "rev" {
						continue
					}
					name := fmt.Sprintf("net=%s/size=%s/mode=%s/dir=%s/impl=%s", network, p.Name, mode, c.dir, c.impl.Name)
					b.Run(name, func(b *testing.B) { benchCall(b, c, p, mode) })
				}
			}
		}
	}
}

// largeImpls are the stacks BenchmarkLarge measures: the peer's msgpack
// engines, the one-way msgpack stacks, stock gob and raw TCP.
var largeImpls = map[string]bool{
	"duplex-msgpack": true, "duplex-msgpack-ugorji": true, "netrpc-gob": true,
	"vmihailenco-msgpackrpc": true, "ugorji-msgpackrpc": true, "netrpc-msgpack": true, "raw": true,
}

// BenchmarkLarge echoes one large string or []byte field (64 KiB, 1 MiB)
// over loopback TCP, sequentially and 4 callers per GOMAXPROCS: large
// bodies, where copies and buffers cost, not per-call work. Pipelined
// calls must not be slower per call than sequential ones.
func BenchmarkLarge(b *testing.B) {
	for _, p := range benchmarks.LargePayloads() {
		for _, mode := range []string{"seq", "par4"} {
			for _, c := range callCases("tcp") {
				if c.dir != "fwd" || !largeImpls[c.impl.Name] {
					continue
				}
				name := fmt.Sprintf("net=tcp/size=%s/mode=%s/impl=%s", p.Name, mode, c.impl.Name)
				b.Run(name, func(b *testing.B) { benchCall(b, c, p, mode) })
			}
		}
	}
}

func benchCall(b *testing.B, c callCase, p benchmarks.Payload, mode string) {
	caller := c.connect(b)
	check := p.Name == "tiny" && !c.impl.Opaque // cheap enough to check every time
	call := func(reply any) error {
		zeroReply(reply)
		if err := caller.Call(p.Method, p.Args, reply); err != nil {
			return err
		}
		if check {
			return p.Check(reply)
		}
		return nil
	}
	if err := call(p.NewReply()); err != nil { // connect, send type descriptions
		b.Fatal(err)
	}
	b.ReportAllocs()
	r0, w0, ok := syscalls()
	if mode == "seq" {
		reply := p.NewReply()
		for b.Loop() {
			if err := call(reply); err != nil {
				b.Fatal(err)
			}
		}
	} else {
		b.SetParallelism(parallelism(mode))
		b.ResetTimer()
		b.RunParallel(func(pb *testing.PB) {
			reply := p.NewReply()
			for pb.Next() {
				if err := call(reply); err != nil {
					b.Error(err)
					return
				}
			}
		})
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "calls/s")
	reportSyscalls(b, r0, w0, ok)
}

// parallelism is the callers per GOMAXPROCS of a mode: par32, par4.
func parallelism(mode string) int {
	n, err := strconv.Atoi(strings.TrimPrefix(mode, "par"))
	if err != nil || n < 1 {
		panic("benchmarks: a mode of callers is parN, not " + mode)
	}
	return n
}

// zeroReply resets a reply to its zero value, so that every call decodes into
// a fresh value and no decoder can reuse the last reply's memory.
func zeroReply(reply any) {
	switch r := reply.(type) {
	case *int:
		*r = 0
	case *benchmarks.Record:
		*r = benchmarks.Record{}
	}
}

// TestReplies checks that every stack, over every connection, each way,
// returns the right answer to every payload, one call at a time and with
// many concurrent callers whose calls all differ.
func TestReplies(t *testing.T) {
	for _, network := range []string{"tcp", "pipe"} {
		for _, c := range callCases(network) {
			t.Run(fmt.Sprintf("%s/%s/%s", network, c.dir, c.impl.Name), func(t *testing.T) {
				t.Parallel()
				caller := c.connect(t)
				for _, p := range benchmarks.Payloads() {
					checkCall(t, c, caller, p)
				}
				var wg sync.WaitGroup
				for g := range 32 {
					wg.Go(func() {
						for i := range 8 {
							checkCall(t, c, caller, benchmarks.TinyPayload(g, i-4))
							if i%4 == 0 {
								checkCall(t, c, caller, benchmarks.RecordPayloadID("1k", 1, int64(g*100+i)))
							}
						}
						if g%8 == 0 {
							checkCall(t, c, caller, benchmarks.RecordPayloadID("64k", 64, int64(g)))
						}
					})
				}
				wg.Wait()
			})
		}
	}
}

func checkCall(t *testing.T, c callCase, caller benchmarks.Caller, p benchmarks.Payload) {
	t.Helper()
	reply := p.NewReply()
	if err := caller.Call(p.Method, p.Args, reply); err != nil {
		t.Errorf("%s %s: %v", p.Name, p.Method, err)
		return
	}
	if c.impl.Opaque {
		return // checked as bytes by the stack itself
	}
	if err := p.Check(reply); err != nil {
		t.Errorf("%s: %v", p.Name, err)
	}
}

// TestFrameSizes logs the bytes each wire of package codec puts on the
// connection for each payload: the same values, not the same bytes.
func TestFrameSizes(t *testing.T) {
	for _, p := range benchmarks.Payloads() {
		for _, name := range []string{"gob", "jsonrpc", "jsonrpc2", "msgpack", "msgpack-ugorji"} {
			n, err := benchmarks.RequestSize(name, p)
			if err != nil {
				t.Fatal(err)
			}
			t.Logf("%-5s %-15s request %6d bytes", p.Name, name, n)
		}
	}
}
