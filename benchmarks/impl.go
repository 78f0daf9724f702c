package benchmarks

import (
	"fmt"
	"net"
	"sync"
)

// A Caller makes calls over one connection, from one of its ends. It is safe
// for concurrent use: concurrent calls share the connection.
type Caller interface {
	Call(method string, args, reply any) error
}

// A Stack is one connection with an RPC stack on both ends.
type Stack struct {
	// Forward calls from the end that dialed to the end that accepted.
	Forward Caller
	// Reverse calls from the end that accepted to the end that dialed, over
	// the same connection; nil where the stack cannot call that way.
	Reverse Caller
	// Close closes the connection and waits for the stack's goroutines.
	Close func() error
}

// An Impl is one RPC stack under test.
type Impl struct {
	Name string
	// Reverse says whether the stack calls both ways on one connection.
	Reverse bool
	// Pipe says whether the stack is also measured over net.Pipe, where no
	// kernel is involved and the codec and RPC layer are all that is left.
	Pipe bool
	// Opaque stacks move bytes of the right sizes without encoding values:
	// their replies are checked as bytes and not decoded into reply values.
	Opaque bool
	// Connect puts the stack on the two ends of one connection. On error
	// both ends are closed.
	Connect func(dialed, accepted net.Conn) (*Stack, error)
}

// Impls returns every stack under test: package peer over every codec, then
// the stacks it is compared with, then the raw TCP floor.
func Impls() []Impl {
	var impls []Impl
	impls = append(impls, duplexImpls()...)
	impls = append(impls, netrpcImpls()...)
	impls = append(impls, rpc2Impl(), grpcImpl(), rawImpl())
	return impls
}

// ImplByName returns the Impl with the given name.
func ImplByName(name string) (Impl, error) {
	for _, im := range Impls() {
		if im.Name == name {
			return im, nil
		}
	}
	return Impl{}, fmt.Errorf("benchmarks: no stack named %q", name)
}

// TCPPair returns the two ends of a new loopback TCP connection.
func TCPPair() (dialed, accepted net.Conn, err error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, nil, err
	}
	defer ln.Close()
	type result struct {
		c   net.Conn
		err error
	}
	ch := make(chan result, 1)
	go func() {
		c, err := ln.Accept()
		ch <- result{c, err}
	}()
	dialed, err = net.Dial("tcp", ln.Addr().String())
	if err != nil {
		ln.Close()
		<-ch
		return nil, nil, err
	}
	r := <-ch
	if r.err != nil {
		dialed.Close()
		return nil, nil, r.err
	}
	return dialed, r.c, nil
}

// PipePair returns the two ends of a net.Pipe.
func PipePair() (dialed, accepted net.Conn, err error) {
	a, b := net.Pipe()
	return a, b, nil
}

// registrar is what register needs of an *rpc.Server or a *peer.Registry.
type registrar interface{ Register(rcvr any) error }

// register registers Arith and Echo on s.
func register(s registrar) error {
	if err := s.Register(new(Arith)); err != nil {
		return err
	}
	return s.Register(new(Echo))
}

// oneConnListener is a net.Listener that accepts one given connection and
// then blocks until it is closed: how a server that wants a listener is
// handed a connection made elsewhere.
type oneConnListener struct {
	conn   net.Conn
	once   sync.Once
	mu     sync.Mutex
	closed chan struct{}
	given  bool
}

func newOneConnListener(c net.Conn) *oneConnListener {
	return &oneConnListener{conn: c, closed: make(chan struct{})}
}

func (l *oneConnListener) Accept() (net.Conn, error) {
	l.mu.Lock()
	if !l.given {
		l.given = true
		l.mu.Unlock()
		return l.conn, nil
	}
	l.mu.Unlock()
	<-l.closed
	return nil, net.ErrClosed
}

func (l *oneConnListener) Close() error {
	l.once.Do(func() { close(l.closed) })
	return nil
}

func (l *oneConnListener) Addr() net.Addr { return l.conn.LocalAddr() }
