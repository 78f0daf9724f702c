package results_test

import (
	"strings"
	"testing"

	"github.com/duplexrpc/duplex/benchmarks/internal/results"
)

const sample = `goos: linux
cpu: Some CPU
BenchmarkCall/net=tcp/size=tiny/impl=raw         	    2000	      1725 ns/op	    579704 calls/s	       0 B/op	       0 allocs/op
BenchmarkCall/net=tcp/size=tiny/impl=raw-2       	    2000	      1500 ns/op	    600000 calls/s	       0 B/op	       0 allocs/op
BenchmarkCall/net=tcp/size=tiny/impl=raw         	    2000	      1800 ns/op	    555555 calls/s	       0 B/op	       0 allocs/op
BenchmarkCall/net=tcp/size=tiny/impl=raw         	    2000	      1700 ns/op	    588235 calls/s	       0 B/op	       0 allocs/op
BenchmarkCall/net=tcp/size=tiny/impl=duplex-jsonrpc2         	    20	      1 ns/op
PASS
`

func TestParse(t *testing.T) {
	s, err := results.Parse(strings.NewReader(sample))
	if err != nil {
		t.Fatal(err)
	}
	if got, want := s.Config["cpu"], "Some CPU"; got != want {
		t.Errorf("cpu = %q, want %q", got, want)
	}
	k := results.Key{Name: "Call/net=tcp/size=tiny/impl=raw", Procs: 1}
	if m, n, _ := s.Median(k, "ns/op"); m != 1725 || n != 3 {
		t.Errorf("median = %v of %d, want 1725 of 3", m, n)
	}
	k.Procs = 2
	if m, _ := s.Get(k, "ns/op"); m != 1500 {
		t.Errorf("-2 median = %v, want 1500", m)
	}
	if _, ok := s.Get(results.Key{Name: "Call/net=tcp/size=tiny/impl=duplex-jsonrpc2", Procs: 1}, "ns/op"); !ok {
		t.Error("a name ending in a digit lost its result")
	}
	if got := results.Field(k.Name, "size"); got != "tiny" {
		t.Errorf("Field = %q", got)
	}
	if got := results.With(k.Name, "impl", "x"); got != "Call/net=tcp/size=tiny/impl=x" {
		t.Errorf("With = %q", got)
	}
}

// benchstatSample is benchstat's output in the shape run.sh gets: one input
// file, a table per unit, values scaled with prefixes, footnotes.
const benchstatSample = `goos: linux
cpu: Some CPU             
                                         │  bench.txt   │
                                         │    sec/op    │
Call/net=tcp/size=tiny/impl=raw            19.28µ ± 26%
Call/net=tcp/size=tiny/impl=raw-2          45.55µ ±  3%
geomean                                    147.7µ

                                         │  bench.txt   │
                                         │     B/op     │
Call/net=tcp/size=tiny/impl=raw            258.9Ki ± 0%
Call/net=tcp/size=tiny/impl=raw-2           -9.832 ±  ?
geomean                                               ¹
¹ summaries must be >0 to compute geomean

                                         │  bench.txt   │
                                         │   calls/s    │
Call/net=tcp/size=tiny/impl=raw            51.87k ± 20%
`

func TestParseBenchstat(t *testing.T) {
	s, err := results.Parse(strings.NewReader(benchstatSample))
	if err != nil {
		t.Fatal(err)
	}
	if !s.Summary {
		t.Error("Summary not set")
	}
	if got, want := s.Config["cpu"], "Some CPU"; got != want {
		t.Errorf("cpu = %q, want %q", got, want)
	}
	k1 := results.Key{Name: "Call/net=tcp/size=tiny/impl=raw", Procs: 1}
	k2 := results.Key{Name: k1.Name, Procs: 2}
	for _, c := range []struct {
		k    results.Key
		unit string
		want float64
	}{
		{k1, "ns/op", 19280}, // sec/op, back in go test's unit
		{k2, "ns/op", 45550}, // not 45549.99…, which would print as 45,500
		{k1, "B/op", 258.9 * 1024},
		{k2, "B/op", -9.832},
		{k1, "calls/s", 51870},
	} {
		got, n, ok := s.Median(c.k, c.unit)
		if !ok || n != 1 || got != c.want {
			t.Errorf("%v %s = %v (n=%d, ok=%v), want %v", c.k, c.unit, got, n, ok, c.want)
		}
	}
	if got := len(s.Keys()); got != 2 {
		t.Errorf("%d keys, want 2: the geomean and footnote rows are not benchmarks", got)
	}
}

func TestParseRefusesBoth(t *testing.T) {
	if _, err := results.Parse(strings.NewReader(sample + benchstatSample)); err == nil {
		t.Error("go test and benchstat output pooled without an error")
	}
}
