// Arith serves and calls the Arith service of net/rpc's package doc over
// any wire of package codec, so that the same service can be called from Go,
// Python or Node.js. It adds Arith.Wait, which takes a context: a caller
// that gives up on it sees the server stop waiting, in any language; and
// Arith.Count, a stream: {"N": n, "EveryMs": ms} yields 1 to n, one every
// ms milliseconds (duplex call prints them as they come; under -codec lsp
// they are LSP's partial results).
//
// Usage:
//
//	arith                                   serve and call in one process, then exit
//	arith -listen 127.0.0.1:1234            serve until interrupted
//	arith -connect 127.0.0.1:1234           call a server: Multiply(7, 8), Divide(17, 5), Divide(1, 0),
//	                                        then Wait(60000) given up after 200ms, and Wait(10)
//	arith -codec jsonrpc2 ...               pick the wire (default msgpack)
//	arith -listen 127.0.0.1:1234 -introspect
//	                                        serve the method list too, for duplex list
//	arith -codec lsp ...                    JSON-RPC 2.0 in LSP's Content-Length frames, as vscode-jsonrpc speaks it
//	arith -codec jsonrpc2-lines ...         JSON-RPC 2.0, one message per line
//
// The server is a peer.Hub, because net/rpc's Server cannot serve a method
// that takes a context; stock net/rpc clients call it all the same, and the
// client makes its first three calls with one. It gives up on Wait(60000)
// through a peer.Peer, whose Call takes a context and, when that ends, sends
// the wire's cancel message (docs/wire.md §9); the server's Wait returns
// at once, and the connection serves Wait(10) as if nothing happened. A
// server without Arith.Wait, such as net/rpc's own, is told apart with a
// plain call first, and the client says it has nothing to cancel.
//
// An address is a TCP host:port or any address URL of package transport:
//
//	arith -listen unix:///tmp/arith.sock    arith -connect unix:///tmp/arith.sock
//	arith -listen ws://127.0.0.1:8080/rpc   arith -connect ws://127.0.0.1:8080/rpc
//	arith -connect http://127.0.0.1:1234/_goRPC_ -codec gob    net/rpc's own HandleHTTP server
//
// Over WebSocket each frame travels as one binary message, as a browser
// needs. A tls:// or wss:// client trusts the system's authorities;
// listening with TLS needs a certificate, which this example does not take.
//
// When it listens, the first line on stdout is the address it listens on,
// so that -listen 127.0.0.1:0 can be used to take any free port:
//
//	listening on 127.0.0.1:41234 (msgpack)
//	listening on ws://127.0.0.1:41234/rpc (msgpack)
//
// On an interrupt the server stops accepting, lets the calls it has taken
// finish for up to a second and then cancels what still runs, Wait
// included.
//
// The clients in ../python and ../node call the msgpack server, and cancel
// a Wait with the cancel message written by hand.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"net"
	"net/rpc"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/duplexrpc/duplex/codec"
	"github.com/duplexrpc/duplex/peer"
	"github.com/duplexrpc/duplex/transport"
)

// Args are the operands of Multiply and Divide. Over msgpack-rpc and
// JSON-RPC they travel as a map keyed by field name: {"A": 7, "B": 8}.
type Args struct{ A, B int }

// Quotient is the result of Divide.
type Quotient struct{ Quo, Rem int }

// Arith is the service: its exported methods are called "Arith.Multiply",
// "Arith.Divide", "Arith.Wait" and "Arith.Count".
type Arith int

// Multiply sets reply to A*B.
func (*Arith) Multiply(args *Args, reply *int) error {
	*reply = args.A * args.B
	return nil
}

// Divide sets quo to A/B and A%B. A caller sees its error as the string
// "divide by zero": an rpc.ServerError in Go.
func (*Arith) Divide(args *Args, quo *Quotient) error {
	if args.B == 0 {
		return errors.New("divide by zero")
	}
	quo.Quo, quo.Rem = args.A/args.B, args.A%args.B
	return nil
}

// Wait sets reply to "done" once ms milliseconds have passed, or returns
// the context's error as soon as ctx ends: when the caller cancels the call
// (a foreign client by sending the cancel message itself), when its
// connection ends, or when the server shuts down. It does nothing but
// wait, so a caller can tell from when the answer comes whether the server
// heard the cancel: a Wait(60000) answered at once was cancelled.
func (*Arith) Wait(ctx context.Context, ms int, reply *string) error {
	t := time.NewTimer(time.Duration(ms) * time.Millisecond)
	defer t.Stop()
	select {
	case <-t.C:
		*reply = "done"
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// CountArgs are the params of Count.
type CountArgs struct{ N, EveryMs int }

// maxCount bounds Count's N.
const maxCount = 1_000_000

// Count sends the integers 1 to N, one every EveryMs milliseconds, to a
// caller that ranges over them (peer.CallStream), as fast as the caller
// takes them; it stops when the caller breaks off or cancels.
func (*Arith) Count(ctx context.Context, args *CountArgs, out *peer.Stream[int]) error {
	switch {
	case args.N < 0 || args.N > maxCount:
		return &peer.Error{Code: codec.CodeInvalidParams, Message: fmt.Sprintf("Arith.Count: N is %d; want 0 to %d", args.N, maxCount)}
	case args.EveryMs < 0:
		return &peer.Error{Code: codec.CodeInvalidParams, Message: fmt.Sprintf("Arith.Count: EveryMs is %d; want 0 or more", args.EveryMs)}
	}
	every := time.Duration(args.EveryMs) * time.Millisecond
	t := time.NewTimer(every)
	defer t.Stop()
	for i := 1; i <= args.N; i++ {
		if every > 0 {
			t.Reset(every)
			select {
			case <-t.C:
			case <-ctx.Done():
				return ctx.Err()
			}
		}
		if err := out.Send(i); err != nil {
			return err
		}
	}
	return nil
}

// dialectOf is the dialect arith speaks on c: LSP's on the lsp codec, so
// that an LSP client gets Count's items as partial results.
func dialectOf(c codec.Codec) *codec.Dialect {
	if c == codec.LSP {
		return codec.LSPDialect
	}
	return codec.DefaultDialect
}

func main() {
	listen := flag.String("listen", "", "serve on this `address` (host:port or a URL such as unix:///path or ws://host:port/path) until interrupted")
	connect := flag.String("connect", "", "call the server at this `address` (host:port or a URL)")
	name := flag.String("codec", "msgpack", "the wire `format`: one of "+strings.Join(codec.Names(), ", "))
	introspect := flag.Bool("introspect", false, "with -listen, also serve the list of methods (duplex.Methods), which duplex list prints")
	flag.Parse()

	c, err := codec.ByName(*name)
	if err == nil && (*listen != "" && *connect != "" || flag.NArg() > 0) {
		err = errors.New("give -listen, -connect or neither, and no other arguments")
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "arith:", err)
		os.Exit(2)
	}

	// Interrupting a server is its normal end, not an error.
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	switch {
	case *listen != "":
		err = listenAndServe(ctx, *listen, c, *introspect)
	case *connect != "":
		// A client has nothing to shut down: Ctrl-C ends it at once, as
		// the default handler does, even mid-call.
		stop()
		err = call(*connect, c)
	default:
		err = demo(ctx, c)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "arith:", err)
		os.Exit(1)
	}
}

// demo serves on a free port and calls itself.
func demo(ctx context.Context, c codec.Codec) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	l, err := transport.Listen(ctx, "127.0.0.1:0", nil)
	if err != nil {
		return err
	}
	served := make(chan error, 1)
	go func() { served <- serve(ctx, l, c, l.Addr().String(), false) }()
	err = call(l.Addr().String(), c)
	cancel()
	return errors.Join(err, <-served)
}

// listenAndServe serves on addr, a host:port or an address URL.
func listenAndServe(ctx context.Context, addr string, c codec.Codec, introspect bool) error {
	l, err := transport.Listen(ctx, addr, nil)
	if err != nil {
		return err
	}
	dial := l.URL() // the port bound in place of port 0
	if !strings.Contains(addr, "://") {
		dial = l.Addr().String() // as it was given: a bare host:port
	}
	return serve(ctx, l, c, dial, introspect)
}

// shutdownGrace is how long an interrupted server lets the calls it has
// taken finish before it cancels them.
const shutdownGrace = time.Second

// serve answers calls on every connection l accepts until ctx is done. It
// prints addr as the address it listens on. With introspect, it serves
// the list of its methods too (peer's opt-in duplex.Methods).
func serve(ctx context.Context, l net.Listener, c codec.Codec, addr string, introspect bool) error {
	fmt.Printf("listening on %s (%s)\n", addr, c.Name())

	// Every connection gets a peer of its own, and each peer a registry;
	// Arith has no state, so one value serves them all.
	arith := new(Arith)
	hub := peer.NewHub(c, func(_ *peer.Peer, r *peer.Registry) error {
		if introspect {
			if err := r.RegisterIntrospection(); err != nil {
				return err
			}
		}
		return r.Register(arith)
	}, &peer.HubOptions{Peer: &peer.Options{Dialect: dialectOf(c)}})

	served := make(chan error, 1)
	go func() { served <- hub.Serve(l) }()
	select {
	case err := <-served: // accepting failed: the end of the server
		hub.Close()
		return err
	case <-ctx.Done():
	}
	// Shutdown ends every handler's context when its grace is over, and
	// Wait returns then: the process exits within about shutdownGrace
	// even with a Wait(60000) in flight. A call cut short that way is the
	// price of stopping, not an error of the server's.
	graceCtx, cancel := context.WithTimeout(context.Background(), shutdownGrace)
	defer cancel()
	hub.Shutdown(graceCtx)
	if err := <-served; !errors.Is(err, peer.ErrHubClosed) {
		return err
	}
	return nil
}

// dial connects to addr, giving up after a while: a server that does not
// answer is better reported than waited for.
func dial(addr string) (net.Conn, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	return transport.Dial(ctx, addr, nil)
}

// call calls the server at addr and prints what it answers. Multiply waits
// for its answer (Call); the two divisions are sent together (Go) and
// answered in any order. These three go through a stock net/rpc Client, as
// any Go program already written against net/rpc would call; then
// cancelWait shows what net/rpc cannot do.
func call(addr string, c codec.Codec) error {
	conn, err := dial(addr)
	if err != nil {
		return err
	}
	client := rpc.NewClientWithCodec(codec.NewClientCodec(c.NewConn(conn, nil)))
	defer client.Close()

	args := Args{7, 8}
	var product int
	if err := client.Call("Arith.Multiply", &args, &product); err != nil {
		return err
	}
	fmt.Printf("Arith.Multiply(%d, %d) = %d\n", args.A, args.B, product)

	divisions := []Args{{17, 5}, {1, 0}}
	quotients := make([]Quotient, len(divisions))
	calls := make([]*rpc.Call, len(divisions))
	for i := range divisions {
		calls[i] = client.Go("Arith.Divide", &divisions[i], &quotients[i], nil)
	}
	for i, d := range divisions {
		err := (<-calls[i].Done).Error
		var remote rpc.ServerError // the service's error, not the connection's
		switch {
		case errors.As(err, &remote):
			fmt.Printf("Arith.Divide(%d, %d): %s\n", d.A, d.B, remote)
		case err != nil:
			return err
		default:
			fmt.Printf("Arith.Divide(%d, %d) = %d remainder %d\n", d.A, d.B, quotients[i].Quo, quotients[i].Rem)
		}
	}
	return cancelWait(addr, c, client)
}

// waitTimeout is how long the client lets Arith.Wait(60000) run before it
// gives up on it. It is printed as set, never as measured, so that the
// output is the same on every run.
const waitTimeout = 200 * time.Millisecond

// cancelWait gives up on a Wait(60000) after waitTimeout, then calls
// Wait(10) on the same connection, which answers "done".
//
// net/rpc's Client cannot give up on a call, so this goes through a
// peer.Peer on a connection of its own: when the context of its Call ends,
// Call returns the context's error at once and tells the server with the
// wire's cancel message, whose handler's context then ends. That the
// server heard it is for the tests to see, from a client that reads the
// answer to a cancelled call: a Peer drops it.
func cancelWait(addr string, c codec.Codec, client *rpc.Client) error {
	// A server without Arith.Wait, such as one of net/rpc's, has nothing to
	// cancel. Ask with the stock client first, because a Peer cannot call
	// a stock gob server at all (docs/wire.md §2.3): the two would take
	// each other's answers for requests.
	var probe string
	if err := client.Call("Arith.Wait", 0, &probe); err != nil {
		var remote rpc.ServerError
		if errors.As(err, &remote) && strings.HasPrefix(string(remote), "rpc: can't find") {
			fmt.Printf("Arith.Wait: %s: nothing to cancel\n", remote)
			return nil
		}
		return err
	}

	conn, err := dial(addr)
	if err != nil {
		return err
	}
	p, err := peer.NewWithOptions(conn, c, nil, &peer.Options{Dialect: dialectOf(c)})
	if err != nil {
		return err
	}
	defer p.Close()

	var reply string
	ctx, cancel := context.WithTimeout(context.Background(), waitTimeout)
	err = p.Call(ctx, "Arith.Wait", 60000, &reply)
	cancel()
	if !errors.Is(err, context.DeadlineExceeded) {
		return fmt.Errorf("Arith.Wait(60000) with a %v timeout: got %q, %v; want %v", waitTimeout, reply, err, context.DeadlineExceeded)
	}
	fmt.Printf("Arith.Wait(60000) cancelled after %v: %v\n", waitTimeout, err)

	// Bounded, as the dial is: a server that never answers is reported,
	// not waited for.
	ctx, cancel = context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := p.Call(ctx, "Arith.Wait", 10, &reply); err != nil {
		return fmt.Errorf("Arith.Wait(10) after a cancelled call: %w", err)
	}
	fmt.Printf("Arith.Wait(10) = %s\n", reply)
	return nil
}
