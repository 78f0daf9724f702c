// Report turns the output of run.sh's benchmark runs into docs/benchmarks.md:
// a headline, the project's targets for the msgpack peer's tiny call, each
// met or not on the case it names (those about calls also for the 64 KiB
// echo, in a table apart), and the medians of every case with its ratios to
// stock net/rpc gob and to the raw TCP floor. The raw output stays in its
// own files under benchmarks/results, which the report links to instead of
// quoting.
//
// Usage:
//
//	report -in results/bench.txt -meta results/meta.txt -benchstat results/benchstat.txt -plot benchmarks.svg -out ../docs/benchmarks.md
//
// -in may also be benchstat's output, for a run whose go test output was not
// kept; the report then says that its numbers are benchstat's medians.
package main

import (
	"bufio"
	"flag"
	"fmt"
	"io"
	"log"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"github.com/duplexrpc/duplex/benchmarks/internal/results"
)

func main() {
	in := flag.String("in", "", "benchmark output, several runs concatenated, or benchstat's output of it")
	meta := flag.String("meta", "", "key: value lines about the run (date, go, machine, ...)")
	bstat := flag.String("benchstat", "", "benchstat's output of the same run, linked from the report")
	plot := flag.String("plot", "", "path of the SVG plot, relative to the report")
	out := flag.String("out", "", "the Markdown file to write")
	flag.Parse()
	if *in == "" || *out == "" {
		flag.Usage()
		os.Exit(2)
	}
	set, err := results.ParseFile(*in)
	if err != nil {
		log.Fatal(err)
	}
	r := &report{set: set}
	if *meta != "" {
		if r.meta, err = readMeta(*meta); err != nil {
			log.Fatal(err)
		}
	}
	// Link the raw output rather than quote it: benchstat's alone was most of
	// the report. The links are relative, so that they name no directory of
	// the machine that ran the benchmarks.
	if *bstat != "" {
		if _, err := os.Stat(*bstat); err != nil {
			log.Fatal(err) // a link to nothing
		}
		if r.benchstat, err = relativeTo(*out, *bstat); err != nil {
			log.Fatal(err)
		}
	}
	if !set.Summary { // else -in is benchstat's output
		if r.raw, err = relativeTo(*out, *in); err != nil {
			log.Fatal(err)
		}
	}
	r.plot = *plot
	if err := results.WriteFile(*out, func(bw *bufio.Writer) { r.write(bw) }); err != nil {
		log.Fatal(err)
	}
}

// relativeTo returns path as a link from the Markdown file at out.
func relativeTo(out, path string) (string, error) {
	from, err := filepath.Abs(filepath.Dir(out))
	if err != nil {
		return "", err
	}
	to, err := filepath.Abs(path)
	if err != nil {
		return "", err
	}
	rel, err := filepath.Rel(from, to)
	if err != nil {
		return "", err
	}
	return filepath.ToSlash(rel), nil
}

type metaLine struct{ key, value string }

func readMeta(path string) ([]metaLine, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var m []metaLine
	for _, line := range strings.Split(strings.TrimSpace(string(b)), "\n") {
		if k, v, ok := strings.Cut(line, ":"); ok {
			m = append(m, metaLine{strings.TrimSpace(k), strings.TrimSpace(v)})
		}
	}
	return m, nil
}

type report struct {
	set       *results.Set
	meta      []metaLine
	benchstat string // link to benchstat's output, or ""
	raw       string // link to go test's output, or ""
	plot      string
	w         io.Writer
}

func (r *report) printf(format string, args ...any) { fmt.Fprintf(r.w, format, args...) }

// The names of the cases the ratios are taken against.
const (
	gob = "netrpc-gob"
	raw = "raw"
)

var (
	sizes = []string{"tiny", "1k", "64k"}
	modes = []string{"seq", "par32"}

	// msgpacks are the stacks the targets are set for. The first is judged;
	// the others are reported beside it and not judged, so that the table
	// shows whether a miss is the peer's or its msgpack engine's.
	msgpacks = []string{"duplex-msgpack", "duplex-msgpack-ugorji"}

	// oneWayMsgpacks are the plain msgpack codecs on stock net/rpc of the
	// first target. The peer is held to the fastest of them at each mode and
	// GOMAXPROCS, as a user choosing a one-way stack would pick the fastest.
	oneWayMsgpacks = []string{"netrpc-msgpack", "vmihailenco-msgpackrpc", "ugorji-msgpackrpc", "hashicorp-msgpackrpc"}

	modeNames = map[string]string{"seq": "sequential", "par32": "pipelined"}
)

// The cases of BenchmarkScale that the fan-out and idle-peer targets use:
// the larger count, where what each peer costs dominates what is shared.
const (
	scaleHub = "Scale/workers=5000/impl=duplex-msgpack"
	scaleRaw = "Scale/workers=5000/impl=raw"
)

func callName(net, size, mode, dir, impl string) string {
	return fmt.Sprintf("Call/net=%s/size=%s/mode=%s/dir=%s/impl=%s", net, size, mode, dir, impl)
}

// callsPerSec returns the median calls/s of a call case.
func (r *report) callsPerSec(name string, procs int) (float64, bool) {
	return r.set.Get(results.Key{Name: name, Procs: procs}, "calls/s")
}

// ratio returns the median calls/s of a over that of b.
func (r *report) ratio(a, b string, procs int) (float64, bool) {
	x, ok1 := r.callsPerSec(a, procs)
	y, ok2 := r.callsPerSec(b, procs)
	if !ok1 || !ok2 || y == 0 {
		return 0, false
	}
	return x / y, true
}

func (r *report) write(w io.Writer) {
	r.w = w
	small := r.targets()
	large := r.callTargets("64k")

	r.printf("# Benchmarks\n\n")
	if h := r.headline(small, large); h != "" {
		r.printf("**In short:** %s\n\n", h)
	}
	r.printf("Generated by `benchmarks/run.sh` from one run; do not edit by hand. ")
	r.printf("Every stack makes the same calls with the same Go values over one connection: ")
	r.printf("the seed's tiny `Arith.Multiply(Args{7, 8})`, and a `Record` of about 1 KiB and 64 KiB echoed back. ")
	r.printf("`seq` is one call at a time; `par32` is `b.RunParallel` with `b.SetParallelism(32)` ")
	r.printf("(32 callers per GOMAXPROCS) sharing the one connection. ")
	r.printf("`fwd` calls from the end that dialed; `rev` from the end that accepted, over the same connection. ")
	r.printf("`raw` is a TCP echo of the msgpack peer's frames' byte counts with no encoding: the floor. ")
	r.printf("The machine is shared and noisy, so absolute numbers mean little: compare within this run. ")
	if r.set.Summary {
		r.printf("Each number is the median of the runs as benchstat printed it, to four significant digits ")
		r.printf("(go test's own output of this run was not kept); ")
	} else {
		r.printf("Each number is the median of the runs (n in the tables); ")
	}
	r.printf("ratios are ratios of medians, in calls/s, so above 1 is faster. ")
	if r.benchstat != "" {
		r.printf("How much the runs spread is in [benchstat's output](%s). ", r.benchstat)
	}
	r.printf("allocs/op and B/op count both ends of the connection (one process); writes/op and reads/op are the read and write system calls ")
	r.printf("of both ends per call (Linux's /proc/self/io), the measure of how well a stack groups frames into writes.\n\n")

	r.printf("## The run\n\n| | |\n|---|---|\n")
	for _, m := range r.meta {
		r.printf("| %s | %s |\n", m.key, strings.ReplaceAll(m.value, "|", `\|`))
	}
	if cpu := r.set.Config["cpu"]; cpu != "" {
		r.printf("| cpu (as go test saw it) | %s |\n", cpu)
	}
	if r.raw != "" {
		r.printf("| go test's output | [%s](%s) |\n", filepath.Base(r.raw), r.raw)
	}
	if r.benchstat != "" {
		r.printf("| benchstat's output | [%s](%s): every case with its spread across the runs |\n", filepath.Base(r.benchstat), r.benchstat)
	}
	r.printf("\n")

	r.printf("## Targets\n\n")
	r.printf("The targets set for the tiny call of the msgpack peer, `%s`, numbered as the project's issue numbers them; ", msgpacks[0])
	r.printf("`%s` is reported beside it and not judged. ", strings.Join(msgpacks[1:], "`, `"))
	r.printf("A target is met when every value measured in its judged row is; ✗ marks the values that miss, – those not measured. ")
	r.printf("Calls are forward calls over loopback TCP, compared in calls/s (target 7: reverse calls over forward ones); ")
	r.printf("where a row lists several values for a mode they are, in order, for GOMAXPROCS=%s. ", r.procsList(" / "))
	r.printf("Target 1 holds the peer to the fastest, at each mode and GOMAXPROCS, of %s (the fastest named after each value): ", "`"+strings.Join(oneWayMsgpacks, "`, `")+"`")
	r.printf("calling both ways must not cost more than a one-way msgpack stack does. ")
	r.printf("Targets 5 and 8 are BenchmarkScale's, with 5,000 workers. ")
	r.printf("Target 8 takes the warm cost, after one call each way, not the fresh one, before any call: ")
	r.printf("a peer in use has called and been called and keeps what that grew, so warm is what a server of idle peers pays, and the larger of the two. ")
	r.printf("The profile evidence for the misses, and what would close them, is in `benchmarks/PROFILE-NOTES.md`.\n\n")
	r.targetTable(small)
	if anyKnown(large) {
		var ns []string
		for _, t := range large {
			ns = append(ns, strconv.Itoa(t.n))
		}
		r.printf("## Targets at 64 KiB\n\n")
		r.printf("The targets about calls (%s) for the 64 KiB echo, judged apart from the tiny call: ", strings.Join(ns, ", "))
		r.printf("a 64 KiB call's cost is mostly encoding and copying, which the tiny call barely has, ")
		r.printf("and a verdict over both could not say which of them missed.\n\n")
		r.targetTable(large)
	}
	if r.plot != "" {
		r.printf("## At a glance\n\nCalls per second relative to stock net/rpc with gob (the dashed line), loopback TCP, median of the runs.\n\n")
		r.printf("![calls per second relative to net/rpc gob](%s)\n\n", r.plot)
	}
	r.callTables()
	r.scaleTable()
}

// procsList returns the GOMAXPROCS values measured, joined by sep.
func (r *report) procsList(sep string) string {
	var ps []string
	for _, p := range r.set.Procs() {
		ps = append(ps, strconv.Itoa(p))
	}
	return strings.Join(ps, sep)
}

// headline returns the line the report opens with: how the tiny call of the
// msgpack peer compares with the stacks of the speed targets, and which
// targets are met. It is made from the targets themselves, so that it
// cannot disagree with the tables under it after the next run, as a line
// written by hand would. It is "" if the run measured none of it.
func (r *report) headline(small, large []target) string {
	var briefs []string
	for _, t := range small {
		if t.brief != "" {
			briefs = append(briefs, t.brief)
		}
	}
	var parts []string
	if n := len(briefs); n > 0 {
		against := briefs[0]
		if n > 1 {
			against = strings.Join(briefs[:n-1], ", ") + ", and " + briefs[n-1]
		}
		parts = append(parts, fmt.Sprintf("in calls per second over loopback TCP, the tiny msgpack call (`%s`, GOMAXPROCS=%s) is %s",
			msgpacks[0], r.procsList(" / "), against))
	}
	if s := tally(small); s != "" {
		if l := tally(large); l != "" {
			s += "; at 64 KiB, " + l
		}
		parts = append(parts, s)
	}
	if len(parts) == 0 {
		return ""
	}
	return strings.Join(parts, "; ") + "."
}

// tally says how many of ts are met and names the others by number, as in
// "4 of 7 measured targets are met (missed: 3, 5, 6; not measured: 1)", or
// "" if none was measured.
func tally(ts []target) string {
	var missed, unmeasured []string
	met, known := 0, 0
	for _, t := range ts {
		m, k := t.verdict()
		switch {
		case !k:
			unmeasured = append(unmeasured, strconv.Itoa(t.n))
		case m:
			met++
			known++
		default:
			known++
			missed = append(missed, strconv.Itoa(t.n))
		}
	}
	if known == 0 {
		return ""
	}
	s := fmt.Sprintf("%d of %d measured targets are met", met, known)
	var notes []string
	if len(missed) > 0 {
		notes = append(notes, "missed: "+strings.Join(missed, ", "))
	}
	if len(unmeasured) > 0 {
		notes = append(notes, "not measured: "+strings.Join(unmeasured, ", "))
	}
	if len(notes) > 0 {
		s += " (" + strings.Join(notes, "; ") + ")"
	}
	return s
}

// A check is one stack's measured values against one target.
type check struct {
	what  string // the case: the stack and what was measured of it
	got   string // the values, or why there are none
	met   bool   // every value measured meets the target
	known bool   // some value was measured
	// reported marks a stack shown beside the judged one: its check does
	// not count towards the target's verdict.
	reported bool
}

// A target is one line of a targets table: met when every value of its
// judged checks that was measured meets it.
type target struct {
	n      int // its number in the project's issue, which the headline names it by
	title  string
	checks []check
	// brief is how the judged stack compares with the target's base, as
	// the headline says it ("1.28× / 1.32× stock net/rpc gob sequential
	// and 1.73× / 1.60× pipelined"), or "".
	brief string
}

// verdict returns whether t was measured at all and, if it was, met.
func (t target) verdict() (met, known bool) {
	met = true
	for _, c := range t.checks {
		if c.known && !c.reported {
			known = true
			met = met && c.met
		}
	}
	return met && known, known
}

func anyKnown(ts []target) bool {
	for _, t := range ts {
		if _, known := t.verdict(); known {
			return true
		}
	}
	return false
}

// A cell is one value of a check: at one GOMAXPROCS, and for a call target
// in one mode.
type cell struct {
	value string // formatted
	note  string // said after the value in brackets, if not ""
	pass  bool
	ok    bool // measured
}

// joinCells formats cells as "v1 / v2", marking ✗ the values that miss and
// writing – for those not measured. met is whether every value measured
// passes; known, whether any was measured.
func joinCells(cells []cell) (text string, met, known bool) {
	met = true
	var vs []string
	for _, c := range cells {
		if !c.ok {
			vs = append(vs, "–")
			continue
		}
		known = true
		v := c.value
		if !c.pass {
			met = false
			v += "✗"
		}
		if c.note != "" {
			v += " (" + c.note + ")"
		}
		vs = append(vs, v)
	}
	return strings.Join(vs, " / "), met, known
}

// notMeasured says why a check has no values: which cases the run lacks.
func notMeasured(missing []string) string {
	if len(missing) == 0 {
		return "not measured"
	}
	return "not measured: no " + strings.Join(missing, ", ") + " in this run"
}

// targets returns the targets of the tiny call, in the order.
func (r *report) targets() []target {
	ts := append(r.callTargets("tiny"), r.fanOutTarget(), r.allocTarget(), r.idleTarget())
	slices.SortFunc(ts, func(a, b target) int { return a.n - b.n })
	return ts
}

// A bar is what a call target asks of one mode.
type bar struct {
	mode string
	pass func(x float64) bool
}

func atLeast(min float64) func(float64) bool { return func(x float64) bool { return x >= min } }

// A base is what a speed target divides the msgpack peer's calls/s by: the
// fastest of its stacks, at each mode and GOMAXPROCS.
type base struct {
	name    string // as the headline says it after a ratio
	what    string // as the case column says it
	impls   []string
	percent bool // the ratio reads better as a share: of the floor
}

// callTargets returns the targets about calls, which hold for a call of
// any size, measured on the calls of the given size.
func (r *report) callTargets(size string) []target {
	both := func(min float64) []bar { return []bar{{"seq", atLeast(min)}, {"par32", atLeast(min)}} }
	oneWay := base{name: "the fastest plain msgpack codec on stock net/rpc", what: "the fastest one-way msgpack stack", impls: oneWayMsgpacks}
	return []target{
		r.speedTarget(1, "never slower than the fastest plain msgpack codec on stock net/rpc, sequential and pipelined", size, both(1), oneWay),
		r.speedTarget(2, "≥ 1.25× stock net/rpc gob sequential, ≥ 1.3× pipelined", size,
			[]bar{{"seq", atLeast(1.25)}, {"par32", atLeast(1.3)}}, base{name: "stock net/rpc gob", what: gob, impls: []string{gob}}),
		r.speedTarget(3, "pipelined ≥ 75% of the raw TCP floor", size,
			[]bar{{"par32", atLeast(0.75)}}, base{name: "of the raw TCP floor", what: raw, impls: []string{raw}, percent: true}),
		r.speedTarget(4, "≥ 2× gRPC, sequential and pipelined", size, both(2), base{name: "gRPC", what: "grpc", impls: []string{"grpc"}}),
		r.reverseTarget(size),
	}
}

// A ratioFunc returns a check's ratio for one mode and GOMAXPROCS, and the
// stack it was taken against; or, if the run lacks a case it needs, the
// names of what is missing.
type ratioFunc func(mode string, p int) (x float64, against string, missing []string)

// ratioCheck returns the check of a target of ratios, one value per mode of
// bars and GOMAXPROCS, and for each mode its values without marks ("" if
// none was measured). named says whether each value names the stack it was
// taken against.
func (r *report) ratioCheck(what string, bars []bar, ratio ratioFunc, percent, named bool) (check, []string) {
	c := check{what: what, met: true}
	var parts, plain, missing []string
	for _, b := range bars {
		var cells []cell
		var bare []string
		for _, p := range r.set.Procs() {
			x, against, miss := ratio(b.mode, p)
			if len(miss) > 0 {
				for _, m := range miss {
					if !slices.Contains(missing, m) {
						missing = append(missing, m)
					}
				}
				cells = append(cells, cell{})
				bare = append(bare, "–")
				continue
			}
			cl := cell{value: fmtJudged(x, percent, b.pass), pass: b.pass(x), ok: true}
			if named {
				cl.note = against
			}
			cells = append(cells, cl)
			bare = append(bare, cl.value)
		}
		text, met, known := joinCells(cells)
		parts = append(parts, b.mode+" "+text)
		if known {
			c.known = true
			c.met = c.met && met
			plain = append(plain, strings.Join(bare, " / "))
		} else {
			plain = append(plain, "")
		}
	}
	c.got = strings.Join(parts, " · ")
	if !c.known {
		c.got = notMeasured(missing)
	}
	return c, plain
}

// overFastest returns the calls/s of case name over those of the fastest of
// impls in the same call (forward, loopback TCP). Every one of impls must
// have been measured: the fastest of some is not the fastest.
func (r *report) overFastest(name, size, mode string, p int, impls []string) (float64, string, []string) {
	var missing []string
	x, ok := r.callsPerSec(name, p)
	if !ok {
		missing = append(missing, results.Field(name, "impl"))
	}
	best, fastest := 0.0, ""
	for _, impl := range impls {
		y, ok := r.callsPerSec(callName("tcp", size, mode, "fwd", impl), p)
		if !ok || y <= 0 {
			missing = append(missing, impl)
			continue
		}
		if y > best {
			best, fastest = y, impl
		}
	}
	if len(missing) > 0 {
		return 0, "", missing
	}
	return x / best, fastest, nil
}

// speedTarget is a target on the forward calls/s of each of msgpacks over
// those of b.
func (r *report) speedTarget(n int, title, size string, bars []bar, b base) target {
	t := target{n: n, title: title}
	for i, impl := range msgpacks {
		ratio := func(mode string, p int) (float64, string, []string) {
			return r.overFastest(callName("tcp", size, mode, "fwd", impl), size, mode, p, b.impls)
		}
		c, plain := r.ratioCheck(impl+" ÷ "+b.what, bars, ratio, b.percent, len(b.impls) > 1)
		c.reported = i > 0
		if c.reported {
			c.what += " (reported, not judged)"
		} else {
			t.brief = brief(bars, plain, b.name)
		}
		t.checks = append(t.checks, c)
	}
	return t
}

// brief says a speed target's values as the headline does: "1.28× / 1.32×
// stock net/rpc gob sequential and 1.73× / 1.60× pipelined", the base named
// after the first values only.
func brief(bars []bar, plain []string, name string) string {
	var phrases []string
	for i, b := range bars {
		if plain[i] == "" {
			continue
		}
		s := plain[i]
		if len(phrases) == 0 {
			s += " " + name
		}
		phrases = append(phrases, s+" "+modeNames[b.mode])
	}
	return strings.Join(phrases, " and ")
}

// reverseTarget is target 7: each of msgpacks called from the accepting end
// within 5% of called from the dialing end, in calls/s.
func (r *report) reverseTarget(size string) target {
	t := target{n: 7, title: "reverse calls within 5% of forward calls"}
	// The tolerance keeps 0.95 and 1.05 themselves within: in binary
	// floating point |1.05 - 1| is a hair over 0.05.
	within := func(x float64) bool { return math.Abs(x-1) <= 0.05+1e-9 }
	for i, impl := range msgpacks {
		ratio := func(mode string, p int) (float64, string, []string) {
			x, ok := r.ratio(callName("tcp", size, mode, "rev", impl), callName("tcp", size, mode, "fwd", impl), p)
			if !ok {
				return 0, "", []string{impl + " both ways"}
			}
			return x, "", nil
		}
		c, _ := r.ratioCheck(impl+", rev ÷ fwd", []bar{{"seq", within}, {"par32", within}}, ratio, false, false)
		c.reported = i > 0
		if c.reported {
			c.what += " (reported, not judged)"
		}
		t.checks = append(t.checks, c)
	}
	return t
}

// allocTarget is target 6: the allocations of the tiny call, both ends of
// it, one call at a time at GOMAXPROCS=1, where no concurrent caller's
// allocations are counted with it.
func (r *report) allocTarget() target {
	t := target{n: 6, title: "≤ 4 allocations per call, client and server together"}
	for i, impl := range msgpacks {
		n, ok := r.set.Get(results.Key{Name: callName("tcp", "tiny", "seq", "fwd", impl), Procs: 1}, "allocs/op")
		text, met, known := joinCells([]cell{{value: fmt.Sprintf("%.0f", n), pass: n <= 4, ok: ok}})
		c := check{what: impl + ", tiny seq, GOMAXPROCS=1", got: text + " allocs/op", met: met, known: known, reported: i > 0}
		if !known {
			c.got = notMeasured([]string{impl + " at GOMAXPROCS=1"})
		}
		if c.reported {
			c.what += " (reported, not judged)"
		}
		t.checks = append(t.checks, c)
	}
	return t
}

// fanOutTarget is target 5: calling every one of 5,000 workers once costs
// the peer's hub at most 1.3× what a raw TCP fan-out of the same bytes
// costs, per worker.
func (r *report) fanOutTarget() target {
	var cells []cell
	for _, p := range r.set.Procs() {
		x, ok1 := r.set.Get(results.Key{Name: scaleHub, Procs: p}, "ns/worker")
		y, ok2 := r.set.Get(results.Key{Name: scaleRaw, Procs: p}, "ns/worker")
		if !ok1 || !ok2 || y <= 0 {
			cells = append(cells, cell{})
			continue
		}
		pass := func(x float64) bool { return x <= 1.3 }
		cells = append(cells, cell{value: fmtJudged(x/y, false, pass), pass: pass(x / y), ok: true})
	}
	text, met, known := joinCells(cells)
	c := check{what: "BenchmarkScale, 5,000 workers: duplex-msgpack ÷ raw, ns/worker", got: text, met: met, known: known}
	if !known {
		c.got = notMeasured([]string{"BenchmarkScale of duplex-msgpack and raw with 5,000 workers"})
	}
	return target{n: 5, title: "fan-out of one tiny call to 5,000 workers ≤ 1.3× a raw TCP fan-out, per worker", checks: []check{c}}
}

// idleTarget is target 8: what one idle peer costs the master, warm (see
// write for why warm).
func (r *report) idleTarget() target {
	var cells []cell
	for _, p := range r.set.Procs() {
		k := results.Key{Name: scaleHub, Procs: p}
		b, ok1 := r.set.Get(k, "warm-B/peer")
		g, ok2 := r.set.Get(k, "goroutines/peer")
		cells = append(cells, cell{
			value: fmt.Sprintf("%.1f KiB, %.2f goroutines", b/1024, g),
			pass:  b <= 20*1024 && g <= 2, ok: ok1 && ok2,
		})
	}
	text, met, known := joinCells(cells)
	c := check{what: "BenchmarkScale, 5,000 workers: duplex-msgpack, warm heap + stack and goroutines per peer", got: text, met: met, known: known}
	if !known {
		c.got = notMeasured([]string{"BenchmarkScale of duplex-msgpack with 5,000 workers"})
	}
	return target{n: 8, title: "an idle peer costs the master ≤ 20 KiB and ≤ 2 goroutines", checks: []check{c}}
}

func (r *report) targetTable(ts []target) {
	r.printf("| target | met | case | | measured |\n|---|---|---|---|---|\n")
	for _, t := range ts {
		met, known := t.verdict()
		verdict := "**no**"
		switch {
		case !known:
			verdict = "not measured"
		case met:
			verdict = "**yes**"
		}
		for i, c := range t.checks {
			title, v := "", ""
			if i == 0 {
				title, v = fmt.Sprintf("%d. %s", t.n, t.title), verdict
			}
			mark := "–"
			switch {
			case c.known && c.met:
				mark = "✓"
			case c.known:
				mark = "✗"
			}
			r.printf("| %s | %s | %s | %s | %s |\n", title, v, c.what, mark, c.got)
		}
	}
	r.printf("\n")
}

func fmtRatio(x float64, percent bool) string {
	if percent {
		return fmt.Sprintf("%.0f%%", 100*x)
	}
	return fmt.Sprintf("%.2f×", x)
}

// fmtJudged formats x as fmtRatio does, with as many more digits as it takes
// for the value shown to fall on the same side of the target as x: a
// rev/fwd of 1.053 shown as 1.05× next to a ✗ would read as a value within
// 5% marked as a miss.
func fmtJudged(x float64, percent bool, pass func(float64) bool) string {
	// Both a whole percent and a ratio to two decimals show hundredths.
	scale, decimals := 100.0, 0
	for ; decimals < 4; decimals++ {
		shown := math.Round(x*scale) / scale
		if pass(shown) == pass(x) {
			break
		}
		scale *= 10
	}
	if percent {
		return fmt.Sprintf("%.*f%%", decimals, 100*x)
	}
	return fmt.Sprintf("%.*f×", 2+decimals, x)
}

func (r *report) callTables() {
	for _, net := range []string{"tcp", "pipe"} {
		title := "loopback TCP"
		if net == "pipe" {
			title = "net.Pipe (no kernel: the codec and the RPC layer alone)"
		}
		for _, size := range sizes {
			for _, mode := range modes {
				for _, p := range r.set.Procs() {
					r.callTable(net, title, size, mode, p)
				}
			}
		}
	}
}

func (r *report) callTable(net, title, size, mode string, procs int) {
	prefix := fmt.Sprintf("Call/net=%s/size=%s/mode=%s/", net, size, mode)
	var keys []results.Key
	for _, k := range r.set.Keys() {
		if k.Procs == procs && strings.HasPrefix(k.Name, prefix) {
			keys = append(keys, k)
		}
	}
	if len(keys) == 0 {
		return
	}
	r.printf("## %s, %s, %s, GOMAXPROCS=%d\n\n", size, mode, title, procs)
	r.printf("| stack | dir | ns/op | calls/s | × net/rpc gob | × raw | allocs/op | B/op | writes/op | reads/op |%s\n", r.nHeader())
	r.printf("|---|---|---:|---:|---:|---:|---:|---:|---:|---:|%s\n", r.nRule())
	for _, k := range keys {
		impl, dir := results.Field(k.Name, "impl"), results.Field(k.Name, "dir")
		ns, n, _ := r.set.Median(k, "ns/op")
		cps, _ := r.set.Get(k, "calls/s")
		allocs, _ := r.set.Get(k, "allocs/op")
		bytes, _ := r.set.Get(k, "B/op")
		writes, okW := r.set.Get(k, "writes/op")
		reads, okR := r.set.Get(k, "reads/op")
		vsGob, ok1 := r.ratio(k.Name, callName(net, size, mode, "fwd", gob), procs)
		vsRaw, ok2 := r.ratio(k.Name, callName(net, size, mode, "fwd", raw), procs)
		name := impl
		if strings.HasPrefix(impl, "duplex-") {
			name = "**" + impl + "**"
		}
		r.printf("| %s | %s | %s | %s | %s | %s | %.0f | %s | %s | %s |%s\n", name, dir, fmtNum(ns), fmtNum(cps),
			orDash(vsGob, ok1, "%.2f"), orDash(vsRaw, ok2, "%.2f"), allocs, fmtBytes(bytes),
			orDash(writes, okW, "%.2f"), orDash(reads, okR, "%.2f"), r.nCell(n))
	}
	r.printf("\n")
}

func (r *report) scaleTable() {
	var keys []results.Key
	for _, k := range r.set.Keys() {
		if strings.HasPrefix(k.Name, "Scale/") {
			keys = append(keys, k)
		}
	}
	if len(keys) == 0 {
		return
	}
	r.printf("## Scale: the master's side of many idle workers\n\n")
	r.printf("The workers run in another process; the master is the benchmark's process. ")
	r.printf("Per connected worker: live heap and goroutine stacks (after two GCs) fresh, and warm after one call each way ")
	r.printf("(the raw floor: after one fan-out; its connections have no goroutines), goroutines, and the time of one fan-out ")
	r.printf("of the tiny call to every worker (`Hub.CallAll`; raw: write every request, then read every response) divided by the workers.\n\n")
	r.printf("| workers | master | GOMAXPROCS | ns/worker | × raw (time) | calls/s | fresh B/peer | warm B/peer | warm heap | warm stack | goroutines/peer | allocs/worker |%s\n", r.nHeader())
	r.printf("|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|%s\n", r.nRule())
	for _, k := range keys {
		get := func(unit string) float64 { v, _ := r.set.Get(k, unit); return v }
		_, n, _ := r.set.Median(k, "ns/worker")
		workers := results.Field(k.Name, "workers")
		rawNs, ok := r.set.Get(results.Key{Name: results.With(k.Name, "impl", raw), Procs: k.Procs}, "ns/worker")
		var per float64
		fmt.Sscan(workers, &per)
		r.printf("| %s | %s | %d | %s | %s | %s | %s | %s | %s | %s | %.2f | %.1f |%s\n",
			workers, results.Field(k.Name, "impl"), k.Procs, fmtNum(get("ns/worker")), orDash(get("ns/worker")/rawNs, ok, "%.2f"),
			fmtNum(get("calls/s")), fmtBytes(get("fresh-B/peer")), fmtBytes(get("warm-B/peer")), fmtBytes(get("warm-heap-B/peer")),
			fmtBytes(get("warm-stack-B/peer")), get("goroutines/peer"), get("allocs/op")/per, r.nCell(n))
	}
	r.printf("\n")
}

// The n column counts the runs behind each median. benchstat's output does
// not say, so a report made from it has no such column rather than a column
// of ones.

func (r *report) nHeader() string { return r.unlessSummary(" n |") }
func (r *report) nRule() string   { return r.unlessSummary("---:|") }
func (r *report) nCell(n int) string {
	return r.unlessSummary(fmt.Sprintf(" %d |", n))
}

func (r *report) unlessSummary(s string) string {
	if r.set.Summary {
		return ""
	}
	return s
}

func orDash(x float64, ok bool, format string) string {
	if !ok || math.IsNaN(x) || math.IsInf(x, 0) {
		return "–"
	}
	return fmt.Sprintf(format, x)
}

// fmtNum prints a number with three significant digits and thousands
// separators.
func fmtNum(x float64) string {
	if x >= 1000 {
		digits := math.Pow(10, math.Floor(math.Log10(x))-2)
		x = math.Round(x/digits) * digits
		s := fmt.Sprintf("%.0f", x)
		var b strings.Builder
		for i, c := range s {
			if i > 0 && (len(s)-i)%3 == 0 {
				b.WriteByte(',')
			}
			b.WriteRune(c)
		}
		return b.String()
	}
	return fmt.Sprintf("%.3g", x)
}

// fmtBytes prints a byte count as fmtNum does above 999: the digits past the
// third tell no two stacks apart, and benchstat keeps only four.
func fmtBytes(x float64) string {
	if math.Abs(x) < 1000 {
		return fmt.Sprintf("%.0f", x)
	}
	return fmtNum(x)
}
