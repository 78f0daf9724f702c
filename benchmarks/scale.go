package benchmarks

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/duplexrpc/duplex/codec"
	"github.com/duplexrpc/duplex/peer"
)

// The scale benchmark measures the master's side of many connections: its
// workers run in a separate process, the test binary started again with
// workerEnv set, so that what the master's process spends is the master's
// alone. The worker and the master talk over its stdin and stdout, one line
// at a time:
//
//	worker → master   ready          every connection is up
//	master → worker   call           every connection calls the master once
//	worker → master   called         and they all had the right answer
//	worker → master   error: ...     something failed; the worker exits
//
// The worker exits when its stdin ends (the master is gone or done), when
// all its connections have ended, or after WorkerLifetime at most.

// workerEnv names the environment variable that makes a test binary a
// scale worker: its value is a WorkerConfig.
const workerEnv = "DUPLEX_BENCH_WORKER"

// WorkerLifetime bounds how long a worker process lives whatever happens.
const WorkerLifetime = 15 * time.Minute

// A WorkerConfig says what a worker process does: open N connections to
// Addr and serve Kind on them ("raw", or "duplex-" and a codec name).
type WorkerConfig struct {
	Kind string
	Addr string
	N    int
}

// Env returns the environment entry that starts a worker with c.
func (c WorkerConfig) Env() string {
	return fmt.Sprintf("%s=%s,%s,%d", workerEnv, c.Kind, c.Addr, c.N)
}

func parseWorkerConfig(s string) (WorkerConfig, error) {
	f := strings.Split(s, ",")
	if len(f) != 3 {
		return WorkerConfig{}, fmt.Errorf("benchmarks: worker config %q is not kind,addr,n", s)
	}
	n, err := strconv.Atoi(f[2])
	if err != nil || n <= 0 {
		return WorkerConfig{}, fmt.Errorf("benchmarks: worker config %q: bad count", s)
	}
	return WorkerConfig{Kind: f[0], Addr: f[1], N: n}, nil
}

// ScaleCodec returns the codec of a duplex kind, or nil for "raw".
func ScaleCodec(kind string) (codec.Codec, error) {
	if kind == "raw" {
		return nil, nil
	}
	name, ok := strings.CutPrefix(kind, "duplex-")
	if !ok {
		return nil, fmt.Errorf("benchmarks: unknown scale kind %q", kind)
	}
	return codec.ByName(name)
}

// BindArith serves Arith, for the scale benchmark's peers on both sides.
func BindArith(_ *peer.Peer, s *peer.Registry) error { return s.Register(new(Arith)) }

// IsWorkerProcess reports whether this process was started as a worker.
func IsWorkerProcess() bool { return os.Getenv(workerEnv) != "" }

// RunWorkerProcess runs the worker that the environment describes and
// returns the process's exit code.
func RunWorkerProcess() int {
	time.AfterFunc(WorkerLifetime, func() {
		fmt.Fprintln(os.Stderr, "benchmarks: worker: lifetime over")
		os.Exit(3)
	})
	cfg, err := parseWorkerConfig(os.Getenv(workerEnv))
	if err == nil {
		err = runWorker(cfg, os.Stdin, os.Stdout)
	}
	if err != nil {
		fmt.Fprintln(os.Stdout, "error:", err)
		return 1
	}
	return 0
}

func runWorker(cfg WorkerConfig, in *os.File, out *os.File) error {
	c, err := ScaleCodec(cfg.Kind)
	if err != nil {
		return err
	}
	conns, err := dialAll(cfg.Addr, cfg.N)
	if err != nil {
		return err
	}
	var wg sync.WaitGroup // one per connection, done when it ends
	wg.Add(len(conns))
	peers := make([]*peer.Peer, len(conns))
	for i, conn := range conns {
		if c == nil {
			go func() {
				defer wg.Done()
				ServeRaw(conn)
			}()
			continue
		}
		p, err := peer.New(conn, c, BindArith)
		if err != nil {
			return err
		}
		peers[i] = p
		go func() {
			defer wg.Done()
			<-p.Done()
			p.Close()
		}()
	}
	allEnded := make(chan struct{})
	go func() {
		wg.Wait()
		close(allEnded)
	}()
	fmt.Fprintln(out, "ready")

	lines := make(chan string)
	go func() {
		defer close(lines)
		sc := bufio.NewScanner(in)
		for sc.Scan() {
			lines <- sc.Text()
		}
	}()
	defer func() { // whatever ends the worker ends every connection
		for i, conn := range conns {
			if peers[i] != nil {
				peers[i].Close()
			} else {
				conn.Close()
			}
		}
		<-allEnded
	}()
	for {
		select {
		case <-allEnded:
			return nil
		case line, ok := <-lines:
			if !ok {
				return nil
			}
			if line != "call" || c == nil {
				return fmt.Errorf("benchmarks: worker cannot %q", line)
			}
			if err := callAll(peers); err != nil {
				return err
			}
			fmt.Fprintln(out, "called")
		}
	}
}

// dialAll opens n connections to addr, a few at a time.
func dialAll(addr string, n int) ([]net.Conn, error) {
	conns := make([]net.Conn, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	const dialers = 32
	for d := range dialers {
		wg.Go(func() {
			for i := d; i < n; i += dialers {
				conns[i], errs[i] = dialRetrying(addr)
			}
		})
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		for _, c := range conns {
			if c != nil {
				c.Close()
			}
		}
		return nil, err
	}
	return conns, nil
}

func dialRetrying(addr string) (net.Conn, error) {
	var err error
	for try := range 5 {
		var c net.Conn
		if c, err = net.DialTimeout("tcp", addr, 10*time.Second); err == nil {
			return c, nil
		}
		time.Sleep(time.Duration(try+1) * 50 * time.Millisecond)
	}
	return nil, err
}

// callAll makes every peer call the master once, a few at a time.
func callAll(peers []*peer.Peer) error {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	errs := make([]error, len(peers))
	var wg sync.WaitGroup
	const callers = 64
	for g := range callers {
		wg.Go(func() {
			for i := g; i < len(peers); i += callers {
				var reply int
				errs[i] = peers[i].Call(ctx, MethodMultiply, &Args{A: i, B: 3}, &reply)
				if errs[i] == nil && reply != 3*i {
					errs[i] = fmt.Errorf("worker %d: Multiply(%d, 3) = %d", i, i, reply)
				}
			}
		})
	}
	wg.Wait()
	return errors.Join(errs...)
}
