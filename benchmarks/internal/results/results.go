// Package results reads the output of go test -bench, as run.sh gathers it
// (several runs concatenated), into medians per benchmark and unit. It also
// reads benchstat's text output of such a run, so that a report can be made
// again from a run whose go test output was not kept.
package results

import (
	"bufio"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
)

// Key names one benchmark at one GOMAXPROCS.
type Key struct {
	Name  string // the full name without "Benchmark" and the -N suffix
	Procs int
}

// Set holds every value measured, by benchmark and unit.
type Set struct {
	Config map[string]string // goos, goarch, pkg, cpu: the header lines

	// Summary is set when the values were read from benchstat's output
	// instead of go test's: then each benchmark has one value per unit, the
	// median of the runs to benchstat's four significant digits, and how
	// many runs there were is not known.
	Summary bool

	values map[Key]map[string][]float64
	order  []Key // in order of first appearance
}

// Parse reads go test -bench output, or benchstat's text output of it (one
// column). Lines that are neither results nor header lines are ignored. The
// two are not mixed: medians and single runs cannot be pooled.
func Parse(r io.Reader) (*Set, error) {
	s := &Set{Config: make(map[string]string), values: make(map[Key]map[string][]float64)}
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 64<<10), 1<<20)
	raw := false
	unit := "" // the unit of the benchstat table being read, if any
	for sc.Scan() {
		line := sc.Text()
		if k, v, ok := strings.Cut(line, ": "); ok && !strings.Contains(k, " ") && !strings.HasPrefix(k, "Benchmark") {
			s.Config[k] = strings.TrimSpace(v)
			continue
		}
		if strings.HasPrefix(line, "Benchmark") {
			raw = true
			if err := s.addRun(line); err != nil {
				return nil, err
			}
			continue
		}
		// A benchstat table opens with boxed header lines, the input file's
		// name and then the unit, and ends at a blank line.
		if _, cell, ok := strings.Cut(line, "│"); ok {
			cell, _, _ = strings.Cut(cell, "│")
			unit = strings.TrimSpace(cell)
			s.Summary = true
			continue
		}
		if strings.TrimSpace(line) == "" {
			unit = ""
			continue
		}
		if unit != "" {
			if err := s.addSummary(line, unit); err != nil {
				return nil, err
			}
		}
	}
	if err := sc.Err(); err != nil {
		return nil, err
	}
	if raw && s.Summary {
		return nil, fmt.Errorf("results: both go test and benchstat output in one input")
	}
	return s, nil
}

// addRun adds the values of one go test result line; it ignores lines that
// only look like one, such as a benchmark's log output.
func (s *Set) addRun(line string) error {
	f := strings.Fields(line)
	if len(f) < 4 || len(f)%2 != 0 {
		return nil
	}
	if _, err := strconv.Atoi(f[1]); err != nil {
		return nil
	}
	m := s.unitsOf(splitName(strings.TrimPrefix(f[0], "Benchmark")))
	for i := 2; i+1 < len(f); i += 2 {
		v, err := strconv.ParseFloat(f[i], 64)
		if err != nil {
			return fmt.Errorf("results: %q: %v", line, err)
		}
		m[f[i+1]] = append(m[f[i+1]], v)
	}
	return nil
}

// addSummary adds the median of one row of a benchstat table of unit, such
// as "Call/net=tcp/size=tiny-2   43.73µ ± 5%". It skips the geomean row and
// footnotes, which do not start with a letter.
func (s *Set) addSummary(line, unit string) error {
	f := strings.Fields(line)
	if len(f) < 2 || f[0] == "geomean" || !startsWithLetter(f[0]) {
		return nil
	}
	v, u, err := fromBenchstat(f[1], unit)
	if err != nil {
		return fmt.Errorf("results: %q: %v", line, err)
	}
	m := s.unitsOf(splitName(f[0]))
	m[u] = append(m[u], v)
	return nil
}

func startsWithLetter(s string) bool {
	c := s[0]
	return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z'
}

// unitsOf returns the values of k by unit, adding k if it is new.
func (s *Set) unitsOf(k Key) map[string][]float64 {
	m := s.values[k]
	if m == nil {
		m = make(map[string][]float64)
		s.values[k] = m
		s.order = append(s.order, k)
	}
	return m
}

// binaryPrefixes and siPrefixes are the prefixes benchstat scales values
// with: binary ones for bytes, SI ones for everything else. An SI prefix is
// kept as a power of ten and parsed with the number, so that 45.55µs reads
// as 45550 ns exactly, not as 45549.99… which prints as 45,500.
var (
	binaryPrefixes = []struct {
		symbol string
		scale  float64
	}{{"Ki", 1 << 10}, {"Mi", 1 << 20}, {"Gi", 1 << 30}, {"Ti", 1 << 40}}
	siPrefixes = map[string]int{"p": -12, "n": -9, "µ": -6, "μ": -6, "m": -3, "k": 3, "M": 6, "G": 9, "T": 12}
)

// fromBenchstat turns a value as benchstat prints it back into the number
// and unit go test printed, which is what the reports look values up by:
// benchstat scales values with a prefix and shows ns/op and the like as
// sec/op.
func fromBenchstat(value, unit string) (float64, string, error) {
	scale, exp := 1.0, 0
	for _, p := range binaryPrefixes {
		if v, ok := strings.CutSuffix(value, p.symbol); ok {
			value, scale = v, p.scale
			break
		}
	}
	if scale == 1 {
		for symbol, e := range siPrefixes {
			if v, ok := strings.CutSuffix(value, symbol); ok {
				value, exp = v, e
				break
			}
		}
	}
	per, seconds := strings.CutPrefix(unit, "sec/")
	if seconds {
		exp += 9
		unit = "ns/" + per
	}
	v, err := strconv.ParseFloat(value+"e"+strconv.Itoa(exp), 64)
	if err != nil {
		return 0, "", fmt.Errorf("value %q: %v", value, err)
	}
	return v * scale, unit, nil
}

// splitName separates the -N GOMAXPROCS suffix, absent for 1.
func splitName(name string) Key {
	i := strings.LastIndexByte(name, '-')
	if i > strings.LastIndexByte(name, '/') && i >= 0 {
		if n, err := strconv.Atoi(name[i+1:]); err == nil {
			return Key{Name: name[:i], Procs: n}
		}
	}
	return Key{Name: name, Procs: 1}
}

// Keys returns every benchmark measured, in order of first appearance.
func (s *Set) Keys() []Key { return slices.Clone(s.order) }

// Procs returns the GOMAXPROCS values measured, in increasing order.
func (s *Set) Procs() []int {
	var ps []int
	for _, k := range s.order {
		if !slices.Contains(ps, k.Procs) {
			ps = append(ps, k.Procs)
		}
	}
	slices.Sort(ps)
	return ps
}

// Median returns the median of the values of unit for k, and how many
// there were (1 in a Summary, whose one value is benchstat's median); ok is
// false if there were none.
func (s *Set) Median(k Key, unit string) (median float64, n int, ok bool) {
	vs := slices.Clone(s.values[k][unit])
	if len(vs) == 0 {
		return 0, 0, false
	}
	slices.Sort(vs)
	if len(vs)%2 == 1 {
		return vs[len(vs)/2], len(vs), true
	}
	return (vs[len(vs)/2-1] + vs[len(vs)/2]) / 2, len(vs), true
}

// Get is Median without the count.
func (s *Set) Get(k Key, unit string) (float64, bool) {
	m, _, ok := s.Median(k, unit)
	return m, ok
}

// Field returns the value of key=value element name of a benchmark name
// such as "Call/net=tcp/size=tiny", or "".
func Field(name, field string) string {
	for _, e := range strings.Split(name, "/") {
		if v, ok := strings.CutPrefix(e, field+"="); ok {
			return v
		}
	}
	return ""
}

// With returns name with its key=value element field set to value.
func With(name, field, value string) string {
	parts := strings.Split(name, "/")
	for i, e := range parts {
		if strings.HasPrefix(e, field+"=") {
			parts[i] = field + "=" + value
		}
	}
	return strings.Join(parts, "/")
}
