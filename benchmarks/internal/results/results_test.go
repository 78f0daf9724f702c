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
