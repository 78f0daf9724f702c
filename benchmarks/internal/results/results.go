// Package results reads the output of go test -bench, as run.sh gathers it
// (several runs concatenated), into medians per benchmark and unit.
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
	values map[Key]map[string][]float64
	order  []Key // in order of first appearance
}

// Parse reads benchmark output. Lines that are not results or header lines
// are ignored.
func Parse(r io.Reader) (*Set, error) {
	s := &Set{Config: make(map[string]string), values: make(map[Key]map[string][]float64)}
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 64<<10), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		if k, v, ok := strings.Cut(line, ": "); ok && !strings.Contains(k, " ") && !strings.HasPrefix(k, "Benchmark") {
			s.Config[k] = strings.TrimSpace(v)
			continue
		}
		if !strings.HasPrefix(line, "Benchmark") {
			continue
		}
		f := strings.Fields(line)
		if len(f) < 4 || len(f)%2 != 0 {
			continue
		}
		if _, err := strconv.Atoi(f[1]); err != nil {
			continue
		}
		key := splitName(strings.TrimPrefix(f[0], "Benchmark"))
		m := s.values[key]
		if m == nil {
			m = make(map[string][]float64)
			s.values[key] = m
			s.order = append(s.order, key)
		}
		for i := 2; i+1 < len(f); i += 2 {
			v, err := strconv.ParseFloat(f[i], 64)
			if err != nil {
				return nil, fmt.Errorf("results: %q: %v", line, err)
			}
			m[f[i+1]] = append(m[f[i+1]], v)
		}
	}
	return s, sc.Err()
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
// there were; ok is false if there were none.
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
