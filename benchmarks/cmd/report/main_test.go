package main

import (
	"math"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/duplexrpc/duplex/benchmarks/internal/results"
)

// run is a run small enough to work every target out by hand, at
// GOMAXPROCS=1: the tiny call sequential and pipelined of the msgpack peer,
// the one-way msgpack stacks, stock gob, gRPC and the raw floor, the peer's
// reverse calls, the scale benchmark, and the 64 KiB call sequential.
//
//  1. seq 30000 / 32000 (vmihailenco) = 0.94 ✗, par32 80000 / 70000 (netrpc-msgpack) = 1.14
//  2. seq 30000 / 20000 = 1.50, par32 80000 / 60000 = 1.33
//  3. par32 80000 / 100000 = 80%
//  4. seq 30000 / 10000 = 3.00, par32 80000 / 30000 = 2.67
//  5. 26000 / 20000 ns/worker = 1.30, just within
//  6. 4 allocs/op (the ugorji engine's 5 is reported, not judged)
//  7. seq 29100 / 30000 = 0.97, par32 84320 / 80000 = 1.054 ✗, which shows
//     as 1.05 to two decimals
//  8. 16548 B = 16.2 KiB, 2 goroutines
//
// At 64 KiB only target 2 is measured, sequentially: 1000 / 2000 = 0.50 ✗.
const run = `cpu: Some CPU
BenchmarkCall/net=tcp/size=tiny/mode=seq/dir=fwd/impl=duplex-msgpack	100	33333 ns/op	30000 calls/s	4 allocs/op
BenchmarkCall/net=tcp/size=tiny/mode=seq/dir=fwd/impl=duplex-msgpack-ugorji	100	33333 ns/op	30000 calls/s	5 allocs/op
BenchmarkCall/net=tcp/size=tiny/mode=seq/dir=fwd/impl=netrpc-gob	100	50000 ns/op	20000 calls/s	14 allocs/op
BenchmarkCall/net=tcp/size=tiny/mode=seq/dir=fwd/impl=netrpc-msgpack	100	40000 ns/op	25000 calls/s	8 allocs/op
BenchmarkCall/net=tcp/size=tiny/mode=seq/dir=fwd/impl=vmihailenco-msgpackrpc	100	31250 ns/op	32000 calls/s	9 allocs/op
BenchmarkCall/net=tcp/size=tiny/mode=seq/dir=fwd/impl=ugorji-msgpackrpc	100	50000 ns/op	20000 calls/s	23 allocs/op
BenchmarkCall/net=tcp/size=tiny/mode=seq/dir=fwd/impl=hashicorp-msgpackrpc	100	47619 ns/op	21000 calls/s	10 allocs/op
BenchmarkCall/net=tcp/size=tiny/mode=seq/dir=fwd/impl=grpc	100	100000 ns/op	10000 calls/s	147 allocs/op
BenchmarkCall/net=tcp/size=tiny/mode=seq/dir=rev/impl=duplex-msgpack	100	34364 ns/op	29100 calls/s	4 allocs/op
BenchmarkCall/net=tcp/size=tiny/mode=par32/dir=fwd/impl=duplex-msgpack	100	12500 ns/op	80000 calls/s	7 allocs/op
BenchmarkCall/net=tcp/size=tiny/mode=par32/dir=fwd/impl=netrpc-gob	100	16667 ns/op	60000 calls/s	14 allocs/op
BenchmarkCall/net=tcp/size=tiny/mode=par32/dir=fwd/impl=netrpc-msgpack	100	14286 ns/op	70000 calls/s	8 allocs/op
BenchmarkCall/net=tcp/size=tiny/mode=par32/dir=fwd/impl=vmihailenco-msgpackrpc	100	20000 ns/op	50000 calls/s	9 allocs/op
BenchmarkCall/net=tcp/size=tiny/mode=par32/dir=fwd/impl=ugorji-msgpackrpc	100	25000 ns/op	40000 calls/s	23 allocs/op
BenchmarkCall/net=tcp/size=tiny/mode=par32/dir=fwd/impl=hashicorp-msgpackrpc	100	22222 ns/op	45000 calls/s	10 allocs/op
BenchmarkCall/net=tcp/size=tiny/mode=par32/dir=fwd/impl=grpc	100	33333 ns/op	30000 calls/s	135 allocs/op
BenchmarkCall/net=tcp/size=tiny/mode=par32/dir=fwd/impl=raw	100	10000 ns/op	100000 calls/s	0 allocs/op
BenchmarkCall/net=tcp/size=tiny/mode=par32/dir=rev/impl=duplex-msgpack	100	11860 ns/op	84320 calls/s	7 allocs/op
BenchmarkCall/net=tcp/size=64k/mode=seq/dir=fwd/impl=duplex-msgpack	100	1000000 ns/op	1000 calls/s	153 allocs/op
BenchmarkCall/net=tcp/size=64k/mode=seq/dir=fwd/impl=netrpc-gob	100	500000 ns/op	2000 calls/s	158 allocs/op
BenchmarkScale/workers=5000/impl=duplex-msgpack	10	130000000 ns/op	26000 ns/worker	38462 calls/s	15841 fresh-B/peer	16548 warm-B/peer	8515 warm-heap-B/peer	8033 warm-stack-B/peer	2.000 goroutines/peer	1362000 B/op	15030 allocs/op
BenchmarkScale/workers=5000/impl=raw	10	100000000 ns/op	20000 ns/worker	50000 calls/s	100 fresh-B/peer	120 warm-B/peer	100 warm-heap-B/peer	20 warm-stack-B/peer	0 goroutines/peer	0 B/op	0 allocs/op
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

// without returns run without the lines that contain any of drop.
func without(drop ...string) string {
	var kept []string
	for _, line := range strings.Split(run, "\n") {
		if !containsAny(line, drop) {
			kept = append(kept, line)
		}
	}
	return strings.Join(kept, "\n")
}

func containsAny(s string, subs []string) bool {
	for _, sub := range subs {
		if strings.Contains(s, sub) {
			return true
		}
	}
	return false
}

// tables returns the targets table of the tiny call and the one of the
// 64 KiB call ("" if there is none).
func tables(t *testing.T, doc string) (small, large string) {
	t.Helper()
	_, small, ok := strings.Cut(doc, "## Targets\n")
	if !ok {
		t.Fatalf("no targets table in\n%s", doc)
	}
	small, _, _ = strings.Cut(small, "\n## ")
	if _, large, ok = strings.Cut(doc, "## Targets at 64 KiB\n"); ok {
		large, _, _ = strings.Cut(large, "\n## ")
	}
	return small, large
}

func headline(t *testing.T, doc string) string {
	t.Helper()
	title, rest, _ := strings.Cut(doc, "\n\n")
	if title != "# Benchmarks" {
		t.Fatalf("the report opens %q", title)
	}
	line, _, _ := strings.Cut(rest, "\n")
	return line
}

func TestHeadline(t *testing.T) {
	want := "**In short:** in calls per second over loopback TCP, the tiny msgpack call (`duplex-msgpack`, GOMAXPROCS=1) " +
		"is 0.94× the fastest plain msgpack codec on stock net/rpc sequential and 1.14× pipelined, " +
		"1.50× stock net/rpc gob sequential and 1.33× pipelined, 80% of the raw TCP floor pipelined, " +
		"and 3.00× gRPC sequential and 2.67× pipelined; " +
		"6 of 8 measured targets are met (missed: 1, 7); " +
		"at 64 KiB, 0 of 1 measured targets are met (missed: 2; not measured: 1, 3, 4, 7)."
	if got := headline(t, write(t, run)); got != want {
		t.Errorf("headline\n%s\nwant\n%s", got, want)
	}
}

// TestTargets checks every target's rows against the values worked out by
// hand in run's comment, and that the table lists the eight targets in the
// issue's order and nothing else.
func TestTargets(t *testing.T) {
	small, _ := tables(t, write(t, run))
	for _, line := range []string{
		"| 1. never slower than the fastest plain msgpack codec on stock net/rpc, sequential and pipelined | **no** | duplex-msgpack ÷ the fastest one-way msgpack stack | ✗ | seq 0.94×✗ (vmihailenco-msgpackrpc) · par32 1.14× (netrpc-msgpack) |",
		"| 2. ≥ 1.25× stock net/rpc gob sequential, ≥ 1.3× pipelined | **yes** | duplex-msgpack ÷ netrpc-gob | ✓ | seq 1.50× · par32 1.33× |",
		"| 3. pipelined ≥ 75% of the raw TCP floor | **yes** | duplex-msgpack ÷ raw | ✓ | par32 80% |",
		"| 4. ≥ 2× gRPC, sequential and pipelined | **yes** | duplex-msgpack ÷ grpc | ✓ | seq 3.00× · par32 2.67× |",
		"| 5. fan-out of one tiny call to 5,000 workers ≤ 1.3× a raw TCP fan-out, per worker | **yes** | BenchmarkScale, 5,000 workers: duplex-msgpack ÷ raw, ns/worker | ✓ | 1.30× |",
		"| 6. ≤ 4 allocations per call, client and server together | **yes** | duplex-msgpack, tiny seq, GOMAXPROCS=1 | ✓ | 4 allocs/op |",
		"|  |  | duplex-msgpack-ugorji, tiny seq, GOMAXPROCS=1 (reported, not judged) | ✗ | 5✗ allocs/op |",
		"| 7. reverse calls within 5% of forward calls | **no** | duplex-msgpack, rev ÷ fwd | ✗ | seq 0.97× · par32 1.054×✗ |",
		"| 8. an idle peer costs the master ≤ 20 KiB and ≤ 2 goroutines | **yes** | BenchmarkScale, 5,000 workers: duplex-msgpack, warm heap + stack and goroutines per peer | ✓ | 16.2 KiB, 2.00 goroutines |",
	} {
		if !strings.Contains(small, "\n"+line+"\n") {
			t.Errorf("the targets table has no line\n%s\nin\n%s", line, small)
		}
	}
	numbers := regexp.MustCompile(`(?m)^\| (\d+)\. `).FindAllStringSubmatch(small, -1)
	var got []string
	for _, m := range numbers {
		got = append(got, m[1])
	}
	if strings.Join(got, " ") != "1 2 3 4 5 6 7 8" {
		t.Errorf("the targets table lists targets %v, want 1 to 8 in order", got)
	}
}

// TestOneWayNotMeasured checks that target 1 makes no claim from a run
// that lacks some of the one-way stacks: against those it has, the peer
// would pass (1.43× hashicorp sequential), which says nothing of the ones
// it lacks.
func TestOneWayNotMeasured(t *testing.T) {
	doc := write(t, without("impl=netrpc-msgpack\t", "impl=vmihailenco-msgpackrpc\t"))
	small, large := tables(t, doc)
	line := "| 1. never slower than the fastest plain msgpack codec on stock net/rpc, sequential and pipelined | not measured | " +
		"duplex-msgpack ÷ the fastest one-way msgpack stack | – | not measured: no netrpc-msgpack, vmihailenco-msgpackrpc in this run |"
	if !strings.Contains(small, "\n"+line+"\n") {
		t.Errorf("the targets table has no line\n%s\nin\n%s", line, small)
	}
	if !strings.Contains(large, "\n| 1. never slower") {
		t.Errorf("the 64 KiB table leaves out target 1 instead of saying it was not measured:\n%s", large)
	}
	h := headline(t, doc)
	if strings.Contains(h, "plain msgpack") || !strings.Contains(h, "6 of 7 measured targets are met (missed: 7; not measured: 1)") {
		t.Errorf("the headline claims target 1 or miscounts:\n%s", h)
	}
}

// TestReportedNotJudged checks that the stacks reported beside the judged
// one do not decide a target, and that a target whose judged stack was not
// measured is not measured, whatever the others did.
func TestReportedNotJudged(t *testing.T) {
	small, _ := tables(t, write(t, without("mode=seq/dir=fwd/impl=duplex-msgpack\t")))
	line := "| 6. ≤ 4 allocations per call, client and server together | not measured | duplex-msgpack, tiny seq, GOMAXPROCS=1 | – | not measured: no duplex-msgpack at GOMAXPROCS=1 in this run |"
	if !strings.Contains(small, "\n"+line+"\n") {
		t.Errorf("the targets table has no line\n%s\nin\n%s", line, small)
	}
}

func TestLargeApart(t *testing.T) {
	small, large := tables(t, write(t, run))
	if large == "" {
		t.Fatal("no targets table at 64 KiB")
	}
	if strings.Contains(small, "0.50×") {
		t.Errorf("the 64 KiB call is in the targets of the tiny call:\n%s", small)
	}
	line := "| 2. ≥ 1.25× stock net/rpc gob sequential, ≥ 1.3× pipelined | **no** | duplex-msgpack ÷ netrpc-gob | ✗ | seq 0.50×✗ · par32 – |"
	if !strings.Contains(large, "\n"+line+"\n") {
		t.Errorf("the 64 KiB table has no line\n%s\nin\n%s", line, large)
	}
	for _, n := range []string{"5", "6", "8"} {
		if strings.Contains(large, "\n| "+n+". ") {
			t.Errorf("the 64 KiB table has target %s, which is not about calls of any size:\n%s", n, large)
		}
	}
}

func TestNoLargeTableUnmeasured(t *testing.T) {
	doc := write(t, without("size=64k"))
	if strings.Contains(doc, "## Targets at 64 KiB") {
		t.Error("a table of 64 KiB targets for a run without 64 KiB calls")
	}
	if h := headline(t, doc); !strings.HasSuffix(h, "; 6 of 8 measured targets are met (missed: 1, 7).") {
		t.Errorf("the headline counts targets at 64 KiB that were not measured:\n%s", h)
	}
}

// TestSavedRun makes the report of the run kept in results/, whatever run
// that is: it must list the eight targets, each met, missed or not
// measured, without failing on what the run lacks.
func TestSavedRun(t *testing.T) {
	set, err := results.ParseFile(filepath.Join("..", "..", "results", "benchstat.txt"))
	if err != nil {
		t.Skip("no saved run:", err)
	}
	var b strings.Builder
	(&report{set: set}).write(&b)
	small, _ := tables(t, b.String())
	rows := regexp.MustCompile(`(?m)^\| (\d+)\. [^|]+ \| (\*\*yes\*\*|\*\*no\*\*|not measured) \|`).FindAllStringSubmatch(small, -1)
	var got []string
	for _, m := range rows {
		got = append(got, m[1])
	}
	if strings.Join(got, " ") != "1 2 3 4 5 6 7 8" {
		t.Errorf("the saved run's targets table lists targets %v with a verdict, want 1 to 8:\n%s", got, small)
	}
	if strings.Contains(small, "NaN") || strings.Contains(small, "Inf") {
		t.Errorf("the saved run's targets table has values that are not numbers:\n%s", small)
	}
}

func TestFmtJudged(t *testing.T) {
	within := func(x float64) bool { return math.Abs(x-1) <= 0.05+1e-9 }
	for _, c := range []struct {
		x       float64
		percent bool
		pass    func(float64) bool
		want    string
	}{
		{1.0534, false, within, "1.053×"}, // 1.05× would pass
		{1.05, false, within, "1.05×"},
		{0.9449, false, within, "0.94×"},          // 0.94× misses too
		{0.9496, false, within, "0.9496×"},        // 0.95× and 0.950× would pass
		{1.2499, false, atLeast(1.25), "1.2499×"}, // 1.25× and 1.250× would pass
		{1.2512, false, atLeast(1.25), "1.25×"},
		{0.7461, true, atLeast(0.75), "74.6%"}, // 75% would pass
		{0.64, true, atLeast(0.75), "64%"},
	} {
		if got := fmtJudged(c.x, c.percent, c.pass); got != c.want {
			t.Errorf("fmtJudged(%v, %v) = %q, want %q", c.x, c.percent, got, c.want)
		}
	}
}

func TestRelativeTo(t *testing.T) {
	d := t.TempDir()
	got, err := relativeTo(filepath.Join(d, "docs", "benchmarks.md"), filepath.Join(d, "benchmarks", "results", "benchstat.txt"))
	if want := "../benchmarks/results/benchstat.txt"; err != nil || got != want {
		t.Errorf("relativeTo = %q, %v; want %q", got, err, want)
	}
}
