package benchmarks_test

import (
	"bytes"
	"os"
	"strconv"
	"testing"
)

// syscalls returns how many read and write system calls (of any kind:
// read, recvfrom, write, writev, ...) this process has made, from Linux's
// /proc/self/io; ok is false where that is not available.
func syscalls() (reads, writes int64, ok bool) {
	b, err := os.ReadFile("/proc/self/io")
	if err != nil {
		return 0, 0, false
	}
	var gotR, gotW bool
	for line := range bytes.Lines(b) {
		k, v, found := bytes.Cut(bytes.TrimSpace(line), []byte(": "))
		if !found {
			continue
		}
		n, err := strconv.ParseInt(string(v), 10, 64)
		if err != nil {
			continue
		}
		switch string(k) {
		case "syscr":
			reads, gotR = n, true
		case "syscw":
			writes, gotW = n, true
		}
	}
	return reads, writes, gotR && gotW
}

// reportSyscalls reports the read and write system calls per operation made
// since before (as syscalls returned it), over both ends of the connection:
// the measure of how well a stack groups its frames into writes.
func reportSyscalls(b *testing.B, beforeR, beforeW int64, ok bool) {
	r, w, ok2 := syscalls()
	if !ok || !ok2 || b.N == 0 {
		return
	}
	b.ReportMetric(float64(w-beforeW)/float64(b.N), "writes/op")
	b.ReportMetric(float64(r-beforeR)/float64(b.N), "reads/op")
}
