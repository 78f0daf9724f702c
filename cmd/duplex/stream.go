package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/duplexrpc/duplex/peer"
	"github.com/vmihailenco/msgpack/v5"
)

// Streams from the shell: call prints a stream's items as they come, one
// compact JSON value a line, and worker -exec -stream answers with the
// lines of a command. Each wire reads and writes the items in its own
// raw type, as it does replies.

// streamHandler answers a call as a stream: it sends each item with send,
// then returns nil, or the error the stream ends with.
type streamHandler func(ctx context.Context, method string, arg json.RawMessage, send func(string) error) error

// streamWith calls method as a stream of T, the raw type of a wire, and
// hands each item to each as JSON, turned so by toJSON.
func streamWith[T any](ctx context.Context, p *peer.Peer, method string, arg any, toJSON func(T) (json.RawMessage, error), each func(json.RawMessage) error) error {
	for v, err := range peer.CallStream[T](ctx, p, method, arg) {
		if err != nil {
			return err
		}
		text, err := toJSON(v)
		if err != nil {
			return fmt.Errorf("an item cannot be shown as JSON: %w", err)
		}
		if err := each(text); err != nil {
			return err
		}
	}
	return nil
}

func (jsonWire) stream(ctx context.Context, p *peer.Peer, method string, arg any, each func(json.RawMessage) error) error {
	return streamWith(ctx, p, method, arg, func(v json.RawMessage) (json.RawMessage, error) { return orNull(v), nil }, each)
}

func (msgpackWire) stream(ctx context.Context, p *peer.Peer, method string, arg any, each func(json.RawMessage) error) error {
	return streamWith(ctx, p, method, arg, func(v msgpack.RawMessage) (json.RawMessage, error) { return rawToJSON(v) }, each)
}

func (ugorjiWire) stream(ctx context.Context, p *peer.Peer, method string, arg any, each func(json.RawMessage) error) error {
	return streamWith(ctx, p, method, arg, func(v any) (json.RawMessage, error) { return marshalJSON(jsonable(v)) }, each)
}

func (jsonWire) serveStream(r *peer.Registry, h streamHandler) {
	peer.SetFallback(r, func(ctx context.Context, method string, arg json.RawMessage, out *peer.Stream[string]) error {
		return h(ctx, method, orNull(arg), out.Send)
	})
}

func (msgpackWire) serveStream(r *peer.Registry, h streamHandler) {
	peer.SetFallback(r, func(ctx context.Context, method string, arg msgpack.RawMessage, out *peer.Stream[string]) error {
		text, err := rawToJSON(arg) // no params: null
		if err != nil {
			return err
		}
		return h(ctx, method, text, out.Send)
	})
}

func (ugorjiWire) serveStream(r *peer.Registry, h streamHandler) {
	peer.SetFallback(r, func(ctx context.Context, method string, arg any, out *peer.Stream[string]) error {
		text, err := marshalJSON(jsonable(arg))
		if err != nil {
			return err
		}
		return h(ctx, method, text, out.Send)
	})
}

// callStream calls method as a stream and prints each item as it comes,
// compact, on a line of its own. A method that does not stream answers
// once: its reply is the one line. The items printed stay printed when
// the stream fails; the error is returned after them.
func callStream(ctx context.Context, e *env, w wire, p *peer.Peer, method string, arg any) error {
	return w.stream(ctx, p, method, arg, func(item json.RawMessage) error {
		var b bytes.Buffer
		if err := json.Compact(&b, item); err != nil {
			return fmt.Errorf("an item is not JSON: %w", err)
		}
		e.line("%s", b.Bytes()) // written at once: os.Stdout is not buffered
		return nil
	})
}

// notStreamed reports whether err is the answer of a peer of package peer
// to a plain call of a method that streams: the call is made again as a
// stream.
func notStreamed(err error) bool { return errors.Is(err, peer.ErrNotStreamed) }

// loggedStream is logged for a streaming handler: a line for each call,
// once its stream has ended, with the items it sent.
//
//	worker: Logs.Tail "app" -> 3 items
//	worker: Logs.Tail "app" -> error after 1 item: exit status 1: boom
func loggedStream(line func(format string, args ...any), who func(context.Context) string, h streamHandler) streamHandler {
	return func(ctx context.Context, method string, arg json.RawMessage, send func(string) error) error {
		n := 0
		err := h(ctx, method, arg, func(s string) error {
			if err := send(s); err != nil {
				return err
			}
			n++
			return nil
		})
		if err != nil {
			line("%s%s %s -> error after %s: %v", who(ctx), method, brief(arg), items(n), err)
		} else {
			line("%s%s %s -> %s", who(ctx), method, brief(arg), items(n))
		}
		return err
	}
}

// items is "1 item", or "n items".
func items(n int) string {
	if n == 1 {
		return "1 item"
	}
	return fmt.Sprintf("%d items", n)
}
