package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"net"
	"os"
	"os/signal"
	"strings"
	"sync"
	"syscall"

	"github.com/duplexrpc/duplex/peer"
)

var masterCommand = &command{
	name:     "master",
	synopsis: "accept workers, call a method on each, and print the replies",
	usage: `
Usage: duplex master [flags] -listen URL [-call Service.Method [JSON]]

Master listens for workers, the peers that dial in, and prints a line for
each one that connects and leaves. With -call, it calls the method on each
worker as it connects and prints the reply, as JSON on one line:
  $ duplex master -listen 127.0.0.1:0 -call Echo.Echo '"hi"'
  master: listening on 127.0.0.1:41234 (msgpack)
  master: worker 1 connected from 127.0.0.1:50412
  master: worker 1: Echo.Echo -> "hi"
  master: worker 1 left (peer: connection closed: the other end closed it)

The first line says where it listens, so that port 0 takes any free port.
The params of -call are given as call takes them: a JSON argument after
the flags, -params '[…]' for several, -d @FILE or -d @- for one call per
JSON value, made on each worker in turn. -timeout bounds each call.

-H key=value sends metadata with each call (repeat it for more keys). A
call that fails prints the error, with the remote's code and data where
the wire carries them:
  master: worker 1: Arith.Nope -> error -32601: rpc: can't find method Arith.Nope

The calls workers make to the master are answered with their own argument
(the single param, or the params array) and logged:
  master: worker 1: Master.Hello "w1" -> "w1"

The master runs until interrupted (exit 0). With -n N it exits once N
workers have connected and had their calls, with the exit code of the
worst call. Listening on tls:// or wss:// needs -cert and -key; -cacert
makes it require client certificates. URL may also be given as the first
argument.
`,
	flags: func(fs *flag.FlagSet, o *options) {
		fs.StringVar(&o.listen, "listen", "", "accept workers on this `URL`: host:port (port 0 for any), tcp://, unix://, tls://, ws://, wss:// or http://")
		fs.StringVar(&o.call, "call", "", "call this `Service.Method` on each worker that connects")
		fs.IntVar(&o.count, "n", 0, "exit once this `many` workers have connected and had their calls; 0 runs until interrupted")
		o.codecFlag(fs)
		o.paramFlags(fs)
		o.metadataFlags(fs)
		fs.DurationVar(&o.timeout, "timeout", 0, "give up on each call after this `duration`; 0 waits for ever")
		o.outputFlags(fs)
		o.tlsFlags(fs, true)
	},
	run: runMaster,
}

// master is the state of the master command.
type master struct {
	e     *env
	o     *options
	w     wire
	calls []params

	mu      sync.Mutex
	numbers map[*peer.Peer]int
	served  int // workers that have had their calls
	status  int // the worst exit code of a call
	enough  chan struct{}
}

func runMaster(ctx context.Context, e *env, o *options, args []string) error {
	addr := o.listen
	if addr == "" && len(args) > 0 {
		addr, args = args[0], args[1:]
	}
	if addr == "" {
		return usageError("want -listen URL: where workers connect")
	}
	w, err := wireFor(o.codec)
	if err != nil {
		return err
	}
	popts, err := o.peerOptions()
	if err != nil {
		return err
	}
	// A tool for poking at workers keeps the silent ones: a worker
	// waiting to be called is what one points it at.
	popts.FirstFrameTimeout = -1
	m := &master{e: e, o: o, w: w, numbers: make(map[*peer.Peer]int), enough: make(chan struct{})}
	if o.call == "" {
		if len(args) > 0 || o.data != "" || o.params != "" {
			return usageError("params go with -call Service.Method")
		}
		if len(o.metadata.md) > 0 {
			return usageError("-H goes with -call Service.Method: it is sent with the calls")
		}
	} else {
		src, err := newParamSource(o, args, e.stdin)
		if err != nil {
			return err
		}
		m.calls, err = src.all()
		src.close()
		if err != nil {
			return err
		}
	}

	ctx, stop := signal.NotifyContext(ctx, os.Interrupt, syscall.SIGTERM)
	defer stop()
	ln, err := o.listenOn(ctx, addr)
	if err != nil {
		return err
	}
	where := ln.URL()
	if !strings.Contains(addr, "://") {
		where = ln.Addr().String() // as it was given: a bare host:port
	}
	hub := peer.NewHub(w.codec(), m.bind, &peer.HubOptions{
		OnConnect: m.callWorker, OnDisconnect: m.left,
		Peer: popts,
	})
	e.line("master: listening on %s (%s)", where, o.codec)
	served := make(chan error, 1)
	go func() { served <- hub.Serve(&numbered{Listener: ln, m: m}) }()
	select {
	case err := <-served: // accepting failed
		hub.Close()
		return connError(err)
	case <-ctx.Done():
	case <-m.enough:
	}
	shutdownCtx, cancel := context.WithTimeout(context.Background(), stopGrace)
	defer cancel()
	hub.Shutdown(shutdownCtx)
	<-served
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.status != exitOK {
		return exitStatus(m.status)
	}
	return nil
}

// numbered numbers the connections it accepts, and wraps them for the
// wire dump.
type numbered struct {
	net.Listener
	m    *master
	next int // one goroutine accepts
}

func (l *numbered) Accept() (net.Conn, error) {
	conn, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	l.next++
	w := l.m.o.wrap(l.m.e, conn, fmt.Sprintf("worker %d", l.next))
	w.n = l.next
	return w, nil
}

// bind makes a worker's peer answer its calls, and says it connected. The
// hub binds a connection before reading it, so the line comes first.
func (m *master) bind(p *peer.Peer, r *peer.Registry) error {
	n := 0
	if w, ok := p.Conn().(*wireConn); ok {
		n = w.n
	}
	m.mu.Lock()
	m.numbers[p] = n
	m.mu.Unlock()
	from := ""
	if c, ok := p.Conn().(net.Conn); ok {
		if ra := c.RemoteAddr(); ra != nil && ra.String() != "" && ra.String() != "@" {
			from = " from " + ra.String()
		}
	}
	m.e.line("master: worker %d connected%s", n, from)
	m.w.serve(r, logged(m.e.line, m.who, echo))
	return nil
}

// who begins the log line of a call of a worker's.
func (m *master) who(ctx context.Context) string {
	p, _ := peer.FromContext(ctx)
	return fmt.Sprintf("master: worker %d: ", m.number(p))
}

func (m *master) number(p *peer.Peer) int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.numbers[p]
}

// callWorker makes the -call calls on a worker that has connected, and
// prints the replies. The hub runs it in a goroutine of its own.
func (m *master) callWorker(p *peer.Peer) {
	n := m.number(p)
	status := exitOK
	for _, ps := range m.calls {
		text, err := m.callOnce(p, ps)
		if err != nil {
			f := remoteFailure(m.w, m.o.call, err)
			status = worst(status, f.exit)
			m.e.line("master: worker %d: %s -> %s", n, m.o.call, describeRemote("error", f.remote, err))
			if f.exit != exitRemote {
				break // the worker is gone
			}
			continue
		}
		m.e.line("master: worker %d: %s -> %s", n, m.o.call, text) // whole: it is what was asked for
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	m.status = worst(m.status, status)
	m.served++
	if m.o.count > 0 && m.served == m.o.count {
		close(m.enough)
	}
}

// callOnce makes one call and returns the reply as compact JSON.
func (m *master) callOnce(p *peer.Peer, ps params) (json.RawMessage, error) {
	arg, err := m.w.args(ps)
	if err != nil {
		return nil, err
	}
	ctx := peer.WithMetadata(context.Background(), m.o.metadata.md)
	if m.o.timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, m.o.timeout)
		defer cancel()
	}
	reply := m.w.newValue()
	if err := p.Call(ctx, m.o.call, arg, reply); err != nil {
		if errors.Is(err, context.DeadlineExceeded) {
			return nil, timeoutError("", m.o.timeout)
		}
		return nil, err
	}
	text, err := m.w.toJSON(reply)
	if err != nil {
		return nil, err
	}
	var b bytes.Buffer
	if err := json.Compact(&b, text); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}

// left says a worker has gone.
func (m *master) left(p *peer.Peer, err error) {
	m.mu.Lock()
	n := m.numbers[p]
	delete(m.numbers, p)
	m.mu.Unlock()
	m.e.line("master: worker %d left (%v)", n, err)
}
