package rpctest

import (
	"bytes"
	"errors"
	"fmt"
	"net/rpc"
	"reflect"
	"strings"
	"sync"
	"testing"
)

// BigBytes returns n bytes of a pattern that is not all the same.
func BigBytes(n int) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(i*7 + i/251)
	}
	return b
}

// CallFunc is the shape of (*rpc.Client).Call.
type CallFunc func(method string, args, reply any) error

// A Case is one row of the conformance table.
type Case struct {
	Name string
	Run  func(t *testing.T, call CallFunc)
}

// RunConformance is the table every codec, direction and transport must
// pass: it runs over anything that calls like net/rpc's Client, against a
// server with Arith and Echo registered.
func RunConformance(t *testing.T, call CallFunc) { RunCases(t, call, Table...) }

// RunCases runs the given rows of the table as subtests.
func RunCases(t *testing.T, call CallFunc, cases ...Case) {
	t.Helper()
	for _, c := range cases {
		t.Run(c.Name, func(t *testing.T) { c.Run(t, call) })
	}
}

// Cases returns the rows of the table with the given names, in that order.
func Cases(names ...string) []Case {
	var cases []Case
	for _, name := range names {
		for _, c := range Table {
			if c.Name == name {
				cases = append(cases, c)
			}
		}
	}
	return cases
}

// Table is the conformance table.
var Table = []Case{
	{"multiply", func(t *testing.T, call CallFunc) {
		var got int
		if err := call("Arith.Multiply", &Args{A: 7, B: 8}, &got); err != nil || got != 56 {
			t.Fatalf("Multiply(7, 8) = %d, %v; want 56, nil", got, err)
		}
	}},
	{"divide", func(t *testing.T, call CallFunc) {
		var got Quotient
		if err := call("Arith.Divide", &Args{A: 17, B: 5}, &got); err != nil || got != (Quotient{Quo: 3, Rem: 2}) {
			t.Fatalf("Divide(17, 5) = %+v, %v; want {3 2}, nil", got, err)
		}
	}},
	{"remote error", func(t *testing.T, call CallFunc) {
		var got Quotient
		err := call("Arith.Divide", &Args{A: 1, B: 0}, &got)
		var serverErr rpc.ServerError
		if !errors.As(err, &serverErr) || serverErr.Error() != "divide by zero" {
			t.Fatalf("Divide(1, 0) error = %#v; want rpc.ServerError(\"divide by zero\")", err)
		}
		// The connection stays usable after a remote error.
		var n int
		if err := call("Arith.Multiply", &Args{A: 2, B: 3}, &n); err != nil || n != 6 {
			t.Fatalf("Multiply after error = %d, %v; want 6, nil", n, err)
		}
	}},
	{"unknown service", func(t *testing.T, call CallFunc) {
		var got int
		err := call("Nope.Multiply", &Args{}, &got)
		if err == nil || !strings.Contains(err.Error(), "can't find service") {
			t.Fatalf("error = %v; want can't find service", err)
		}
	}},
	{"unknown method", func(t *testing.T, call CallFunc) {
		var got int
		err := call("Arith.Nope", &Args{}, &got)
		if err == nil || !strings.Contains(err.Error(), "can't find method") {
			t.Fatalf("error = %v; want can't find method", err)
		}
	}},
	{"empty values", func(t *testing.T, call CallFunc) {
		got := "not empty"
		if err := call("Echo.String", "", &got); err != nil || got != "" {
			t.Fatalf("Echo(\"\") = %q, %v", got, err)
		}
		var gotBytes []byte
		if err := call("Echo.Bytes", []byte(nil), &gotBytes); err != nil || len(gotBytes) != 0 {
			t.Fatalf("Echo(nil bytes) = %v, %v", gotBytes, err)
		}
		var gotNested Nested
		if err := call("Echo.Nested", Nested{}, &gotNested); err != nil || gotNested.Name != "" || gotNested.Inner != nil {
			t.Fatalf("Echo(Nested{}) = %+v, %v", gotNested, err)
		}
	}},
	{"unicode", func(t *testing.T, call CallFunc) {
		want := "héllo, 世界 🌍 \u0000 \"quoted\" <tag> \\"
		var got string
		if err := call("Echo.String", want, &got); err != nil || got != want {
			t.Fatalf("Echo(%q) = %q, %v", want, got, err)
		}
	}},
	{"nested", func(t *testing.T, call CallFunc) {
		want := Nested{
			Name:   "outer",
			Tags:   []string{"a", "b", "ç"},
			Counts: map[string]int{"one": 1, "two": 2},
			Inner:  &Inner{X: 1.5, Bytes: []byte{0, 1, 2, 255}},
			List:   []Inner{{X: -2, Bytes: []byte("x")}, {X: 3.25, Bytes: []byte("yz")}},
		}
		var got Nested
		if err := call("Echo.Nested", want, &got); err != nil || !reflect.DeepEqual(got, want) {
			t.Fatalf("Echo(nested) = %+v, %v; want %+v", got, err, want)
		}
	}},
	{"1 MiB payload", func(t *testing.T, call CallFunc) {
		want := BigBytes(1 << 20)
		var got []byte
		if err := call("Echo.Bytes", want, &got); err != nil || !bytes.Equal(got, want) {
			t.Fatalf("Echo(1 MiB) = %d bytes, %v", len(got), err)
		}
	}},
	{"1000 concurrent calls", func(t *testing.T, call CallFunc) { ConcurrentCalls(t, call, 1000) }},
}

// ConcurrentCalls makes n calls at once and checks every reply.
func ConcurrentCalls(t *testing.T, call CallFunc, n int) {
	var wg sync.WaitGroup
	errs := make(chan error, n)
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var got int
			if err := call("Arith.Multiply", &Args{A: i, B: 3}, &got); err != nil {
				errs <- err
			} else if got != 3*i {
				errs <- fmt.Errorf("Multiply(%d, 3) = %d", i, got)
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}
