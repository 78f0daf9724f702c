package main_test

import (
	"context"
	"errors"
	"fmt"
	"github.com/duplexrpc/duplex/internal/exampletest"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"

	"github.com/duplexrpc/duplex/codec"
)

// timeout bounds every wait: a build, a line to appear, a process to exit.
const timeout = exampletest.Timeout

// python is Debian's interpreter, which sees Debian's python3-msgpack.
const python = "/usr/bin/python3"

var (
	// masterworker is the example's binary, built once by TestMain.
	masterworker string
	// raceEnabled is set by race_test.go when the tests run with -race.
	raceEnabled bool
)

func TestMain(m *testing.M) { exampletest.Main(m, &masterworker, raceEnabled) }

// The lines both roles print, as the example formats them.

func greeting(i int) string { return fmt.Sprintf("hello client!:%d", i) }

func echoing(worker, s string) string { return fmt.Sprintf("worker %s: echoing %q", worker, s) }

func answered(n int, s string) string { return fmt.Sprintf("master: worker %d answered %q", n, s) }

func helloAnswer(worker string) string {
	return fmt.Sprintf("worker %s: the master answered %q", worker, "hello, "+worker+" (echo: ping from master)")
}

func saysHello(n int, worker string) string {
	return fmt.Sprintf("master: worker %d says hello as %q; calling it back", n, worker)
}

func answeredInside(n int) string {
	return fmt.Sprintf("master: worker %d answered %q inside its Master.Hello", n, "ping from master")
}

// left is the line of a worker leaving, without the reason, which is
// package peer's to word: "master: worker 1 left (peer: …)".
func left(n int) string { return fmt.Sprintf("master: worker %d left (…)", n) }

// withoutReasons returns lines with the reason of every worker leaving
// replaced by "…", as left has it.
func withoutReasons(lines []string) []string {
	out := make([]string, len(lines))
	for i, l := range lines {
		if before, _, ok := strings.Cut(l, " left ("); ok && strings.HasPrefix(l, "master: worker ") && strings.HasSuffix(l, ")") {
			l = before + " left (…)"
		}
		out[i] = l
	}
	return out
}

func connectedTo(worker, addr string) string {
	return fmt.Sprintf("worker %s: connected to %s", worker, addr)
}

// echoRound is what one side prints for the master's five echo calls, in
// order.
func echoRound(line func(i int) string) []string {
	var lines []string
	for i := range 5 {
		lines = append(lines, line(i))
	}
	return lines
}

// TestDemo runs the example with no command, over every codec: a master
// and two workers in one process.
func TestDemo(t *testing.T) {
	for _, name := range codec.Names() {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			p := start(t, masterworker, "-codec", name)
			if err := p.wait(t); err != nil {
				t.Fatalf("demo: %v\nstdout:\n%s\nstderr:\n%s", err, p.output(), p.stderr.String())
			}
			lines := p.snapshot()
			if len(lines) == 0 {
				t.Fatal("demo printed nothing")
			}
			addr, err := parseListening(lines[0], name)
			if err != nil {
				t.Fatal(err)
			}
			checkDemo(t, withoutReasons(lines[1:]), addr)
		})
	}
}

// checkDemo compares the demo's lines after the first with what it
// should print. The workers run at once, so their lines interleave in any
// order; what each prints, and the order of what one role prints about
// one worker, are fixed.
func checkDemo(t *testing.T, got []string, addr string) {
	t.Helper()
	workers := []string{"alice", "bob"}
	want := []string{"master: calling every worker at once", "master: shutting down"}
	var orders [][]string
	for i, w := range workers {
		n := i + 1
		hello := []string{
			fmt.Sprintf("master: worker %d connected", n),
			saysHello(n, w), echoing(w, "ping from master"), answeredInside(n), helloAnswer(w),
		}
		master := append(echoRound(func(i int) string { return answered(n, greeting(i)) }),
			"master: calling every worker at once", answered(n, "bye"), left(n), "master: shutting down")
		worker := append([]string{connectedTo(w, addr)},
			append(echoRound(func(i int) string { return echoing(w, greeting(i)) }), echoing(w, "bye"))...)
		want = append(want, hello...)
		want = append(want, master[:5]...)
		want = append(want, answered(n, "bye"), left(n))
		want = append(want, worker...)
		orders = append(orders, hello, master, worker)
	}
	// alice has said hello before bob dials.
	orders = append(orders, []string{helloAnswer("alice"), "master: worker 2 connected"})

	if g, w := sorted(got), sorted(want); !slices.Equal(g, w) {
		t.Fatalf("got lines (sorted):\n%s\nwant (sorted):\n%s", strings.Join(g, "\n"), strings.Join(w, "\n"))
	}
	for _, order := range orders {
		if !inOrder(got, order) {
			t.Errorf("got output:\n%s\nwant these lines in this order:\n%s", strings.Join(got, "\n"), strings.Join(order, "\n"))
		}
	}
	if last := got[len(got)-1]; last != "master: shutting down" {
		t.Errorf("last line %q, want %q", last, "master: shutting down")
	}
}

// TestMasterAndWorker runs a master and a worker, each a process of its
// own, over every codec, and stops both with a signal.
func TestMasterAndWorker(t *testing.T) {
	for _, name := range codec.Names() {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			master, addr := mustStartMaster(t, "tcp://127.0.0.1:0", name)
			worker := "go-" + name
			w := start(t, masterworker, "worker", "-connect", "tcp://"+addr, "-codec", name, "-name", worker)

			w.waitLines(t, helloAnswer(worker))
			w.waitLines(t, echoRound(func(i int) string { return echoing(worker, greeting(i)) })...)
			master.waitLines(t, saysHello(1, worker), answeredInside(1))
			master.waitLines(t, echoRound(func(i int) string { return answered(1, greeting(i)) })...)

			// Interrupted, the worker leaves cleanly, and the master sees it go.
			w.stopWith(t, os.Interrupt)
			master.waitFor(t, "the worker leaving", func(lines []string) bool {
				return slices.Contains(withoutReasons(lines), left(1))
			})
			master.stopWith(t, syscall.SIGTERM)
			if got := master.snapshot(); got[len(got)-1] != "master: shutting down" {
				t.Errorf("master's last line %q, want %q", got[len(got)-1], "master: shutting down")
			}
		})
	}
}

// TestTransports runs a master and a worker over the other transports the
// example's addresses name.
func TestTransports(t *testing.T) {
	dir, err := os.MkdirTemp("", "mw") // short: a socket path has a small limit
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	for _, listen := range []string{"unix://" + filepath.Join(dir, "master.sock"), "ws://127.0.0.1:0/workers"} {
		t.Run(strings.Split(listen, ":")[0], func(t *testing.T) {
			t.Parallel()
			master, addr := mustStartMaster(t, listen, "msgpack")
			start(t, masterworker, "worker", "-connect", addr, "-name", "w").waitLines(t, helloAnswer("w"))
			master.waitLines(t, answered(1, greeting(4)))
		})
	}
}

// TestWorkerRedials kills the master under a connected worker and starts
// another on the same port: the worker connects again and says hello
// again. If someone else takes the port meanwhile, the test starts over
// once on a new one.
func TestWorkerRedials(t *testing.T) {
	t.Parallel()
	for attempt := 1; ; attempt++ {
		err := redial(t)
		if err == nil {
			return
		}
		if attempt == 2 {
			t.Fatal(err)
		}
		t.Logf("attempt %d: %v; once more on another port", attempt, err)
	}
}

// errPortTaken is a port that another process took between two masters.
var errPortTaken = errors.New("port taken")

// redial runs TestWorkerRedials once. It returns errPortTaken if the second
// master cannot listen on the first one's port.
func redial(t *testing.T) error {
	m1, addr := mustStartMaster(t, "127.0.0.1:0", "msgpack")
	w := start(t, masterworker, "worker", "-connect", addr, "-name", "phoenix")
	defer w.kill(t) // a second attempt starts afresh
	w.waitLines(t, helloAnswer("phoenix"))

	m1.kill(t)
	w.waitFor(t, "a lost connection", func(lines []string) bool {
		return slices.ContainsFunc(lines, func(l string) bool { return strings.HasPrefix(l, "worker phoenix: not connected") })
	})
	m2, addr2, err := startMaster(t, addr, "msgpack")
	if err != nil {
		if strings.Contains(err.Error(), "address already in use") {
			return fmt.Errorf("%w: %v", errPortTaken, err)
		}
		t.Fatal(err)
	}
	if addr2 != addr {
		t.Fatalf("second master listens on %s, want %s", addr2, addr)
	}
	w.waitFor(t, "a second hello", func(lines []string) bool {
		return count(lines, connectedTo("phoenix", addr)) == 2 && count(lines, helloAnswer("phoenix")) == 2
	})
	m2.waitLines(t, saysHello(1, "phoenix"), answeredInside(1), answered(1, greeting(4)))
	return nil
}

// TestPythonWorker runs examples/python/worker.py against the master.
func TestPythonWorker(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	out, err := exec.CommandContext(ctx, python, "-c", "import msgpack").CombinedOutput()
	if err != nil {
		err = fmt.Errorf("%s with msgpack: %v %s", python, err, out)
	}
	exampletest.Need(t, err)

	master, addr := mustStartMaster(t, "127.0.0.1:0", "msgpack")
	host, port, _ := net.SplitHostPort(addr)
	w := start(t, python, "../python/worker.py", host, port, "snake")
	if err := w.wait(t); err != nil {
		t.Fatalf("worker.py: %v\nstdout:\n%s\nstderr:\n%s", err, w.output(), w.stderr.String())
	}
	got := w.snapshot()
	greeted := echoRound(func(i int) string { return echoing("snake", greeting(i)) })
	for _, line := range append(greeted, echoing("snake", "ping from master"), helloAnswer("snake")) {
		if n := count(got, line); n != 1 {
			t.Errorf("worker.py printed %q %d times, want once; stdout:\n%s", line, n, w.output())
		}
	}
	if !inOrder(got, greeted) {
		t.Errorf("worker.py echoed out of order:\n%s", w.output())
	}
	master.waitLines(t, saysHello(1, "snake"), answeredInside(1))
	master.waitLines(t, echoRound(func(i int) string { return answered(1, greeting(i)) })...)
}

func TestBadCommandLines(t *testing.T) {
	for _, args := range [][]string{
		{"-codec", "nope"},
		{"master", "-codec", "nope"},
		{"boss"},
		{"worker", "-listen", "127.0.0.1:0"},
	} {
		t.Run(strings.Join(args, " "), func(t *testing.T) {
			t.Parallel()
			p := start(t, masterworker, args...)
			err := p.wait(t)
			var exit *exec.ExitError
			if !errors.As(err, &exit) || exit.ExitCode() != 2 {
				t.Errorf("got %v, want exit status 2", err)
			}
			if args[len(args)-1] == "nope" {
				for _, name := range codec.Names() {
					if !strings.Contains(p.stderr.String(), name) {
						t.Errorf("stderr %q does not list the codec %q", p.stderr.String(), name)
					}
				}
			}
		})
	}
}

// TestWorkerGivesUpOnBadAddress: redialing cannot fix an address.
func TestWorkerGivesUpOnBadAddress(t *testing.T) {
	t.Parallel()
	p := start(t, masterworker, "worker", "-connect", "gopher://127.0.0.1:1")
	err := p.wait(t)
	var exit *exec.ExitError
	if !errors.As(err, &exit) || exit.ExitCode() != 1 || !strings.Contains(p.stderr.String(), "unknown address scheme") {
		t.Errorf("got %v, stderr %q; want exit status 1 and the unknown scheme", err, p.stderr.String())
	}
}

// mustStartMaster starts a master listening on listen and returns it with
// the address it names in its first line.
func mustStartMaster(t *testing.T, listen, codecName string) (*proc, string) {
	t.Helper()
	p, addr, err := startMaster(t, listen, codecName)
	if err != nil {
		t.Fatal(err)
	}
	return p, addr
}

// startMaster is mustStartMaster, but returns an error, with the master's
// stderr, when the master exits without listening.
func startMaster(t *testing.T, listen, codecName string) (*proc, string, error) {
	t.Helper()
	p := start(t, masterworker, "master", "-listen", listen, "-codec", codecName)
	err := p.await("the line saying where it listens", func(lines []string) bool { return len(lines) > 0 })
	if err != nil {
		return nil, "", err
	}
	addr, err := parseListening(p.snapshot()[0], codecName)
	if err != nil {
		t.Fatal(err)
	}
	return p, addr, nil
}

// parseListening returns the address of a master's first line,
// "master: listening on 127.0.0.1:41234 (msgpack)".
func parseListening(line, codecName string) (string, error) {
	addr, ok := strings.CutPrefix(line, "master: listening on ")
	addr, ok2 := strings.CutSuffix(addr, " ("+codecName+")")
	if !ok || !ok2 || addr == "" {
		return "", fmt.Errorf("first line %q, want \"master: listening on ADDRESS (%s)\"", line, codecName)
	}
	return addr, nil
}

// sorted returns a sorted copy of lines.
func sorted(lines []string) []string {
	s := slices.Clone(lines)
	slices.Sort(s)
	return s
}

// inOrder reports whether the lines of want appear in lines in that order,
// with any others between them.
func inOrder(lines, want []string) bool {
	for _, l := range lines {
		if len(want) > 0 && l == want[0] {
			want = want[1:]
		}
	}
	return len(want) == 0
}

// count returns how many of lines are line.
func count(lines []string, line string) int {
	n := 0
	for _, l := range lines {
		if l == line {
			n++
		}
	}
	return n
}

// TestWrongCodecEndsWorker starts a worker that speaks msgpack against a
// jsonrpc2 master: the worker exits non-zero, saying the master speaks
// another wire format and naming its own, instead of redialing for ever.
// Which end reads first is a race: the worker names JSON when it read the
// master's call, and says it was hung up on when the master read its
// call first (three times in a row).
func TestWrongCodecEndsWorker(t *testing.T) {
	t.Parallel()
	_, addr := mustStartMaster(t, "127.0.0.1:0", "jsonrpc2")
	worker := start(t, masterworker, "worker", "-connect", addr, "-codec", "msgpack", "-name", "w")
	err := worker.wait(t)
	if err == nil {
		t.Fatal("worker exited 0; want a failure")
	}
	out := worker.stderr.String()
	if !strings.Contains(out, "the other end speaks another wire format") || !strings.Contains(out, "this end speaks msgpack") ||
		!strings.Contains(out, "look like JSON") && !strings.Contains(out, "3 connections in a row") {
		t.Fatalf("worker's stderr = %q; want it to say the master speaks another wire format, JSON or one that hangs up, and name msgpack", out)
	}
}
