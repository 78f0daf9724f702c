// Plot draws docs/benchmarks.svg from run.sh's benchmark output: for each
// payload and mode over loopback TCP, every stack's calls per second
// relative to stock net/rpc with gob, at each GOMAXPROCS.
//
// Usage:
//
//	plot -in out/bench.txt -out ../docs/benchmarks.svg
package main

import (
	"bufio"
	"flag"
	"fmt"
	"html"
	"log"
	"math"
	"os"
	"slices"
	"strings"

	"github.com/duplexrpc/duplex/benchmarks/internal/results"
)

// Layout, in SVG user units.
const (
	panelW   = 460
	labelW   = 150
	barH     = 7
	rowGap   = 5
	panelGap = 28
	titleH   = 34
	margin   = 16
)

// colors per GOMAXPROCS, in order; ours are drawn darker than theirs.
var (
	oursColors   = []string{"#7aa6d6", "#1f5fa8", "#0b2f5c"}
	theirsColors = []string{"#c9c9c9", "#8c8c8c", "#555555"}
)

func main() {
	in := flag.String("in", "", "benchmark output, several runs concatenated")
	out := flag.String("out", "", "the SVG file to write")
	flag.Parse()
	if *in == "" || *out == "" {
		flag.Usage()
		os.Exit(2)
	}
	set, err := results.ParseFile(*in)
	if err != nil {
		log.Fatal(err)
	}
	if err := results.WriteFile(*out, func(bw *bufio.Writer) { draw(bw, set) }); err != nil {
		log.Fatal(err)
	}
}

// A panel is one payload and mode: a bar per stack and GOMAXPROCS.
type panel struct {
	title string
	rows  []row
	max   float64
}

type row struct {
	label  string
	ours   bool
	floor  bool      // the raw floor: may run off the axis, which the others set
	ratios []float64 // per GOMAXPROCS; NaN when missing
}

func panels(set *results.Set) []panel {
	procs := set.Procs()
	var ps []panel
	for _, size := range []string{"tiny", "1k", "64k"} {
		for _, mode := range []string{"seq", "par32"} {
			prefix := fmt.Sprintf("Call/net=tcp/size=%s/mode=%s/", size, mode)
			gob := prefix + "dir=fwd/impl=netrpc-gob"
			p := panel{title: fmt.Sprintf("%s, %s", size, map[string]string{"seq": "sequential", "par32": "pipelined (32 callers per P)"}[mode])}
			var seen []string
			for _, k := range set.Keys() {
				if !strings.HasPrefix(k.Name, prefix) || slices.Contains(seen, k.Name) {
					continue
				}
				seen = append(seen, k.Name)
				impl, dir := results.Field(k.Name, "impl"), results.Field(k.Name, "dir")
				rw := row{label: impl, ours: strings.HasPrefix(impl, "duplex-"), floor: impl == "raw"}
				if dir == "rev" {
					rw.label += " (rev)"
				}
				for _, pr := range procs {
					x, ok1 := set.Get(results.Key{Name: k.Name, Procs: pr}, "calls/s")
					y, ok2 := set.Get(results.Key{Name: gob, Procs: pr}, "calls/s")
					ratio := math.NaN()
					if ok1 && ok2 && y > 0 {
						ratio = x / y
						if !rw.floor {
							p.max = max(p.max, ratio)
						}
					}
					rw.ratios = append(rw.ratios, ratio)
				}
				p.rows = append(p.rows, rw)
			}
			if len(p.rows) > 0 {
				ps = append(ps, p)
			}
		}
	}
	return ps
}

func draw(w *bufio.Writer, set *results.Set) {
	procs := set.Procs()
	ps := panels(set)
	rowH := len(procs)*barH + rowGap
	height := func(p panel) int { return titleH + len(p.rows)*rowH }
	// Two columns of panels: sequential on the left, pipelined on the right.
	colH := [2]int{}
	for i, p := range ps {
		colH[i%2] += height(p) + panelGap
	}
	totalW := 2*margin + 2*(labelW+panelW) + panelGap
	totalH := 2*margin + max(colH[0], colH[1]) + 30

	fmt.Fprintf(w, `<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" viewBox="0 0 %d %d" font-family="sans-serif" font-size="10">`+"\n", totalW, totalH, totalW, totalH)
	fmt.Fprintf(w, `<rect width="100%%" height="100%%" fill="white"/>`+"\n")
	// Legend.
	x := margin
	for i, pr := range procs {
		fmt.Fprintf(w, `<rect x="%d" y="%d" width="10" height="10" fill="%s"/><rect x="%d" y="%d" width="10" height="10" fill="%s"/>`,
			x, margin, oursColors[i%len(oursColors)], x+12, margin, theirsColors[i%len(theirsColors)])
		fmt.Fprintf(w, `<text x="%d" y="%d">GOMAXPROCS=%d (package peer / others)</text>`+"\n", x+26, margin+9, pr)
		x += 250
	}
	fmt.Fprintf(w, `<text x="%d" y="%d">calls/s ÷ net/rpc gob's (dashed line = 1)</text>`+"\n", x, margin+9)

	y := [2]int{margin + 30, margin + 30}
	for i, p := range ps {
		col := i % 2
		x0 := margin + col*(labelW+panelW+panelGap)
		drawPanel(w, p, x0, y[col], procs, rowH)
		y[col] += height(p) + panelGap
	}
	fmt.Fprintln(w, "</svg>")
}

func drawPanel(w *bufio.Writer, p panel, x0, y0 int, procs []int, rowH int) {
	fmt.Fprintf(w, `<text x="%d" y="%d" font-size="12" font-weight="bold">%s</text>`+"\n", x0, y0+12, html.EscapeString(p.title))
	axis := math.Max(p.max*1.05, 1.2)
	scale := float64(panelW-50) / axis
	top := y0 + titleH - 8
	bottom := y0 + titleH + len(p.rows)*rowH
	left := x0 + labelW
	// A grid line at every step, at most about eight of them, and the gob line.
	step := 0.25
	for _, s := range []float64{0.25, 0.5, 1, 2, 5, 10} {
		if step = s; axis/s <= 8 {
			break
		}
	}
	for t := step; t <= axis+1e-9; t += step {
		gx := left + int(t*scale)
		fmt.Fprintf(w, `<line x1="%d" y1="%d" x2="%d" y2="%d" stroke="#eee"/><text x="%d" y="%d" fill="#888" text-anchor="middle">%g×</text>`+"\n",
			gx, top, gx, bottom, gx, top-2, t)
	}
	for i, r := range p.rows {
		ry := y0 + titleH + i*rowH
		weight := "normal"
		if r.ours {
			weight = "bold"
		}
		fmt.Fprintf(w, `<text x="%d" y="%d" text-anchor="end" font-weight="%s">%s</text>`+"\n", left-4, ry+len(procs)*barH/2+3, weight, html.EscapeString(r.label))
		for j, ratio := range r.ratios {
			if math.IsNaN(ratio) {
				continue
			}
			colors := theirsColors
			if r.ours {
				colors = oursColors
			}
			bw, more := max(1, int(ratio*scale)), ""
			if ratio > axis { // off the axis: cut, with its value said
				bw, more = int(axis*scale), " →"
			}
			fmt.Fprintf(w, `<rect x="%d" y="%d" width="%d" height="%d" fill="%s"><title>%s GOMAXPROCS=%d: %.2f×</title></rect>`,
				left, ry+j*barH, bw, barH-1, colors[j%len(colors)], html.EscapeString(r.label), procs[j], ratio)
			fmt.Fprintf(w, `<text x="%d" y="%d" font-size="7" fill="#333">%.2f%s</text>`+"\n", left+bw+3, ry+j*barH+barH-1, ratio, more)
		}
	}
	gx := left + int(scale)
	fmt.Fprintf(w, `<line x1="%d" y1="%d" x2="%d" y2="%d" stroke="#c00" stroke-dasharray="4,3"/>`+"\n", gx, top, gx, bottom)
	fmt.Fprintf(w, `<line x1="%d" y1="%d" x2="%d" y2="%d" stroke="#999"/>`+"\n", left, top, left, bottom)
}
