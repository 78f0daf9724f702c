package main

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/duplexrpc/duplex/benchmarks/internal/results"
)

// run is a run small enough to work the ratios out by hand: the tiny call
// sequential and pipelined, and the 64 KiB call sequential, of the msgpack
// peer, stock gob and gRPC, at GOMAXPROCS=1.
const run = `cpu: Some CPU
BenchmarkCall/net=tcp/size=tiny/mode=seq/dir=fwd/impl=duplex-msgpack	100	33333 ns/op	30000 calls/s	7 allocs/op
BenchmarkCall/net=tcp/size=tiny/mode=seq/dir=fwd/impl=netrpc-gob	100	50000 ns/op	20000 calls/s	14 allocs/op
BenchmarkCall/net=tcp/size=tiny/mode=seq/dir=fwd/impl=grpc	100	100000 ns/op	10000 calls/s	147 allocs/op
BenchmarkCall/net=tcp/size=tiny/mode=par32/dir=fwd/impl=duplex-msgpack	100	12500 ns/op	80000 calls/s	7 allocs/op
BenchmarkCall/net=tcp/size=tiny/mode=par32/dir=fwd/impl=netrpc-gob	100	16667 ns/op	60000 calls/s	14 allocs/op
BenchmarkCall/net=tcp/size=tiny/mode=par32/dir=fwd/impl=grpc	100	33333 ns/op	30000 calls/s	135 allocs/op
BenchmarkCall/net=tcp/size=64k/mode=seq/dir=fwd/impl=duplex-msgpack	100	1000000 ns/op	1000 calls/s	153 allocs/op
BenchmarkCall/net=tcp/size=64k/mode=seq/dir=fwd/impl=netrpc-gob	100	500000 ns/op	2000 calls/s	158 allocs/op
`

func write(t *testing.T, input string) string {
	t.Helper()
	set, err := results.Parse(strings.NewReader(input))
	if err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	(&report{set: set}).write(&b)
	return b.String()
}

func TestHeadline(t *testing.T) {
	doc := write(t, run)
	// Met: both gob targets, both gRPC targets and the allocations of the
	// tiny call; the rest of the small targets were not measured. At 64 KiB
	// only the sequential gob target was, and missed at 0.50×.
	want := "**In short:** in calls per second over loopback TCP, the tiny msgpack call (`duplex-msgpack`, GOMAXPROCS=1) " +
		"is 1.50× stock net/rpc gob sequential and 1.33× pipelined, and 3.00× gRPC sequential and 2.67× pipelined; " +
		"5 of 5 targets are met, 0 of 1 at 64 KiB.\n"
	title, rest, _ := strings.Cut(doc, "\n\n")
	if headline, _, _ := strings.Cut(rest, "\n"); title != "# Benchmarks" || headline+"\n" != want {
		t.Errorf("the report opens\n%s\n%s\nwant\n# Benchmarks\n%s", title, headline, want)
	}
}

func TestLargeApart(t *testing.T) {
	doc := write(t, run)
	_, small, ok1 := strings.Cut(doc, "## Targets\n")
	small, large, ok2 := strings.Cut(small, "## Targets at 64 KiB\n")
	large, _, _ = strings.Cut(large, "\n## ")
	if !ok1 || !ok2 {
		t.Fatalf("no two targets tables in\n%s", doc)
	}
	if strings.Contains(small, "0.50×") || strings.Contains(small, "64k") {
		t.Errorf("the 64 KiB call is in the targets of the small calls:\n%s", small)
	}
	line := "| msgpack peer ≥ 1.25× net/rpc gob, sequential | **no** | duplex-msgpack | ✗ | 0.50×✗ |"
	if !strings.Contains(large, line) {
		t.Errorf("the 64 KiB table has no line\n%s\nin\n%s", line, large)
	}
	if line := "| msgpack peer ≥ 1.25× net/rpc gob, sequential | **yes** | duplex-msgpack | ✓ | tiny 1.50× · 1k – |"; !strings.Contains(small, line) {
		t.Errorf("the small calls' table has no line\n%s\nin\n%s", line, small)
	}
}

func TestNoLargeTableUnmeasured(t *testing.T) {
	var tiny []string
	for _, line := range strings.Split(run, "\n") {
		if !strings.Contains(line, "size=64k") {
			tiny = append(tiny, line)
		}
	}
	doc := write(t, strings.Join(tiny, "\n"))
	if strings.Contains(doc, "## Targets at 64 KiB") {
		t.Error("a table of 64 KiB targets for a run without 64 KiB calls")
	}
	if !strings.Contains(doc, "; 5 of 5 targets are met.\n") {
		t.Errorf("the headline counts targets at 64 KiB that were not measured:\n%s", doc[:strings.Index(doc, "Generated")])
	}
}

func TestRelativeTo(t *testing.T) {
	d := t.TempDir()
	got, err := relativeTo(filepath.Join(d, "docs", "benchmarks.md"), filepath.Join(d, "benchmarks", "results", "benchstat.txt"))
	if want := "../benchmarks/results/benchstat.txt"; err != nil || got != want {
		t.Errorf("relativeTo = %q, %v; want %q", got, err, want)
	}
}
