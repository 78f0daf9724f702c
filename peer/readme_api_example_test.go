package peer_test

// README.md's "The API, task by task" shows pieces of these examples: each
// Go block of that section is a piece of this file, word for word, which
// TestReadmeAPISnippets checks, and go test runs the examples. Keep them in
// step.

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log"
	"net"
	"sync"
	"time"

	"github.com/duplexrpc/duplex/codec"
	"github.com/duplexrpc/duplex/peer"
	"github.com/duplexrpc/duplex/transport"
)

// Roster is a master's table of its workers by name. Each worker names
// itself in its first call, Join; the hub's OnDisconnect takes it off.
type Roster struct {
	mu     sync.Mutex
	byName map[string]*peer.Peer
}

func (r *Roster) Join(ctx context.Context, name string, _ *struct{}) error {
	p, _ := peer.FromContext(ctx) // the worker that called
	r.mu.Lock()
	defer r.mu.Unlock()
	r.byName[name] = p
	return nil
}

func (r *Roster) Leave(p *peer.Peer, _ error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for name, q := range r.byName {
		if q == p {
			delete(r.byName, name)
		}
	}
}

func (r *Roster) Get(name string) (*peer.Peer, bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	p, ok := r.byName[name]
	return p, ok
}

// README.md, "Calling one chosen worker".
func Example_readmeChosenWorker() {
	ctx := context.Background()
	roster := &Roster{byName: map[string]*peer.Peer{}}
	hub := peer.NewHub(codec.Msgpack, func(p *peer.Peer, r *peer.Registry) error {
		return r.Register(roster)
	}, &peer.HubOptions{OnDisconnect: roster.Leave})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		log.Fatal(err)
	}
	go hub.Serve(ln)
	defer hub.Close()

	for _, name := range []string{"w1", "w2"} {
		worker := peer.NewRedialer(func(ctx context.Context) (io.ReadWriteCloser, error) {
			return transport.Dial(ctx, "tcp://"+ln.Addr().String(), nil)
		}, codec.Msgpack, func(p *peer.Peer, r *peer.Registry) error {
			return r.Register(&Worker{Name: name})
		}, &peer.RedialOptions{OnConnect: func(p *peer.Peer) {
			p.Call(ctx, "Roster.Join", name, new(struct{})) // after every (re)dial
		}})
		defer worker.Close()
		worker.Peer(ctx) // connected, and joined: OnConnect has returned
	}

	w2, ok := roster.Get("w2")
	if !ok {
		log.Fatal("w2 has not joined")
	}
	var result string
	err = w2.Call(ctx, "Worker.Work", "job 7", &result)
	fmt.Println(result, err) // w2 did job 7 <nil>

	same, ok := hub.Lookup(w2.ID()) // by the ID that OnConnect, Peers or a log gave
	fmt.Println(same == w2, ok)     // true true
	// Output:
	// w2 did job 7 <nil>
	// true true
}

// Chore is a service whose method takes a context, so that it sees a
// cancel; saw reports how each call ended.
type Chore struct{ saw chan error }

func (s *Chore) Wait(ctx context.Context, ms int, reply *string) error {
	select {
	case <-time.After(time.Duration(ms) * time.Millisecond):
		*reply = "done"
		return nil
	case <-ctx.Done(): // the caller cancelled: its cancel came over the wire
		s.saw <- ctx.Err()
		return ctx.Err()
	}
}

// README.md, "Cancelling a call".
func Example_readmeCancel() {
	slow := &Chore{saw: make(chan error, 1)}
	serverEnd, clientEnd := transport.Pipe()
	server, _ := peer.New(serverEnd, codec.JSONRPC2, func(_ *peer.Peer, r *peer.Registry) error {
		return r.Register(slow)
	})
	defer server.Close()
	client, _ := peer.New(clientEnd, codec.JSONRPC2, nil) // a nil Binder: it serves nothing
	defer client.Close()

	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	var reply string
	err := client.Call(ctx, "Chore.Wait", 60_000, &reply)
	fmt.Println(err)        // context deadline exceeded, after 100ms and not a minute
	fmt.Println(<-slow.saw) // context canceled: the handler's context ended
	// Output:
	// context deadline exceeded
	// context canceled
}

// Stats stands for a foreign server: its Mean takes its numbers as
// positional params, mean(1, 2, 6), not as one list.
type Stats struct{}

func (Stats) Mean(nums []float64, mean *float64) error {
	for _, n := range nums {
		*mean += n / float64(len(nums))
	}
	return nil
}

// README.md, "Calling a foreign method with several params".
func Example_readmeParams() {
	serverEnd, clientEnd := transport.Pipe()
	server, _ := peer.New(serverEnd, codec.Msgpack, func(_ *peer.Peer, r *peer.Registry) error {
		return r.Register(Stats{})
	})
	defer server.Close()
	client, _ := peer.New(clientEnd, codec.Msgpack, nil)
	defer client.Close()

	ctx := context.Background()
	var mean float64
	err := client.Call(ctx, "Stats.Mean", codec.Params{1, 2, 6}, &mean) // params [1, 2, 6]
	fmt.Println(mean, err)                                              // 3 <nil>
	// Output:
	// 3 <nil>
}

// Files stands for a service whose errors carry a code and data, and whose
// long calls report progress and stream their results.
type Files struct{}

type Missing struct{ Path string }

func (Files) Open(ctx context.Context, path string, size *int) error {
	if path != "a.txt" {
		return &peer.Error{Code: -32002, Message: "no such file", Data: Missing{Path: path}}
	}
	*size = 3
	return nil
}

// README.md, "Errors with a code and data".
func Example_readmeErrors() {
	serverEnd, clientEnd := transport.Pipe()
	server, _ := peer.New(serverEnd, codec.JSONRPC2, func(_ *peer.Peer, r *peer.Registry) error {
		return r.Register(Files{})
	})
	defer server.Close()
	client, _ := peer.New(clientEnd, codec.JSONRPC2, nil)
	defer client.Close()

	ctx := context.Background()
	var size int
	err := client.Call(ctx, "Files.Open", "b.txt", &size)
	var e *peer.Error
	if errors.As(err, &e) {
		var m Missing
		e.DecodeData(&m)
		fmt.Println(e.Code, e.Message, m.Path) // -32002 no such file b.txt
	}
	// Output:
	// -32002 no such file b.txt
}

func (Files) Index(ctx context.Context, root string) error {
	who := peer.IncomingMetadata(ctx)["user"] // metadata the caller attached
	for done := 1; done <= 3; done++ {
		peer.ReportProgress(ctx, fmt.Sprintf("%s: %d of 3", who, done)) // before the answer
	}
	return nil
}

// README.md, "Metadata and progress".
func Example_readmeProgress() {
	serverEnd, clientEnd := transport.Pipe()
	server, _ := peer.New(serverEnd, codec.Msgpack, func(_ *peer.Peer, r *peer.Registry) error {
		return r.Register(Files{})
	})
	defer server.Close()
	client, _ := peer.New(clientEnd, codec.Msgpack, nil)
	defer client.Close()

	ctx := peer.WithMetadata(context.Background(), peer.Metadata{"user": "ann"})
	ctx = peer.WithProgress(ctx, func(step string) { fmt.Println(step) })
	err := client.Call(ctx, "Files.Index", "/", nil) // every progress is handled before Call returns
	fmt.Println(err)
	// Output:
	// ann: 1 of 3
	// ann: 2 of 3
	// ann: 3 of 3
	// <nil>
}

func (Files) Lines(ctx context.Context, path string, out *peer.Stream[string]) error {
	for _, line := range []string{"one", "two", "three"} {
		if err := out.Send(line); err != nil { // waits while the caller has no room
			return err
		}
	}
	return nil
}

// README.md, "Streaming results".
func Example_readmeStream() {
	serverEnd, clientEnd := transport.Pipe()
	server, _ := peer.New(serverEnd, codec.Msgpack, func(_ *peer.Peer, r *peer.Registry) error {
		return r.Register(Files{})
	})
	defer server.Close()
	client, _ := peer.New(clientEnd, codec.Msgpack, nil)
	defer client.Close()

	ctx := context.Background()
	for line, err := range peer.CallStream[string](ctx, client, "Files.Lines", "a.txt") {
		if err != nil {
			log.Fatal(err)
		}
		fmt.Println(line) // as each arrives; break cancels the stream
	}
	// Output:
	// one
	// two
	// three
}
