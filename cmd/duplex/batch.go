package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"strconv"
	"time"

	"github.com/duplexrpc/duplex/codec"
)

// A JSON-RPC 2.0 batch is written and read here, on the connection itself:
// the peer engine sends each call on its own. So during a batch the remote
// cannot call back; a request it sends is ignored.

// batchRequest is one call of a batch; a notification has no ID.
type batchRequest struct {
	Version string          `json:"jsonrpc"`
	Method  string          `json:"method"`
	Params  json.RawMessage `json:"params"`
	ID      *int            `json:"id,omitempty"`
}

// batchMessage is what the remote may send: an answer, or a request of its
// own.
type batchMessage struct {
	ID     json.RawMessage `json:"id"`
	Method *string         `json:"method"`
	Result json.RawMessage `json:"result"`
	Error  *jsonRPCError   `json:"error"`
}

// jsonRPCError is a JSON-RPC 2.0 error object, as the remote sent it.
type jsonRPCError struct {
	Code    int             `json:"code"`
	Message string          `json:"message"`
	Data    json.RawMessage `json:"data"`
}

// failure is the remote failure of method that e is, saying err.
func (e *jsonRPCError) failure(method string, err error) *failure {
	r := &remoteError{code: e.Code, message: e.Message}
	if len(e.Data) > 0 {
		r.data, _ = compactJSON(e.Data) // it was read as JSON
	}
	return &failure{exit: exitRemote, kind: kindRemote, method: method, err: err, remote: r}
}

// runBatch sends every call of src as one batch and prints the answers in
// the order of the calls.
func runBatch(ctx context.Context, e *env, o *options, w wire, addr, method string, src *paramSource, notify bool) error {
	c := w.codec()
	if c != codec.JSONRPC2 && c != codec.JSONRPC2Lines && c != codec.LSP {
		return usageError("-batch is JSON-RPC 2.0's: give -codec jsonrpc2, jsonrpc2-lines or lsp")
	}
	all, err := src.all()
	if err != nil {
		return err
	}
	batch := make([]batchRequest, len(all))
	for i, p := range all {
		batch[i] = batchRequest{Version: "2.0", Method: method, Params: p.value}
		switch {
		case p.none:
			batch[i].Params = json.RawMessage("[]")
		case !p.list:
			batch[i].Params = append(append(json.RawMessage("["), p.value...), ']')
		}
		if !notify {
			id := i + 1
			batch[i].ID = &id
		}
	}
	frame, err := marshalJSON(batch)
	if err != nil {
		return err
	}
	conn, err := o.dial(ctx, e, addr)
	if err != nil {
		return err
	}
	defer conn.Close()
	if o.timeout > 0 {
		conn.SetDeadline(time.Now().Add(o.timeout))
	}
	if c == codec.LSP {
		frame = fmt.Appendf(nil, "Content-Length: %d\r\n\r\n%s", len(frame), frame)
	} else {
		frame = append(frame, '\n')
	}
	next := framesOf(c, conn)
	if _, err := conn.Write(frame); err != nil {
		return batchError(o, method, err)
	}
	if notify {
		return nil
	}
	answers, err := readBatch(next, len(batch))
	if err != nil {
		if errors.Is(err, errRejected) {
			return classify(method, err) // a failure of the batch, now named
		}
		return batchError(o, method, err)
	}
	status := exitOK
	for i := range batch {
		name := fmt.Sprintf("%s (call %d of the batch)", method, i+1)
		a, ok := answers[i+1]
		switch {
		case !ok:
			e.fail(&failure{exit: exitRemote, kind: kindError, method: name, err: errors.New("the batch's answer has none for this call")})
			status = worst(status, exitRemote)
		case a.Error != nil:
			e.fail(a.Error.failure(name, errors.New(a.Error.Message)))
			status = worst(status, exitRemote)
		default:
			if err := printJSON(e, orNull(a.Result)); err != nil {
				return err
			}
		}
	}
	if status != exitOK {
		return exitStatus(status)
	}
	return nil
}

// errRejected: the remote answered the batch as a whole with an error.
var errRejected = errors.New("the remote rejected the batch")

// readBatch reads until the batch's answer comes, and returns its answers
// by id. Requests and notifications of the remote are skipped.
func readBatch(next func(any) error, n int) (map[int]batchMessage, error) {
	for {
		var raw json.RawMessage
		if err := next(&raw); err != nil {
			if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
				err = connError(fmt.Errorf("the remote closed the connection before answering the batch: %w", err))
			}
			return nil, err
		}
		raw = bytes.TrimSpace(raw)
		if len(raw) > 0 && raw[0] == '[' {
			var list []batchMessage
			if err := json.Unmarshal(raw, &list); err != nil {
				return nil, fmt.Errorf("the batch's answer: %w", err)
			}
			answers := make(map[int]batchMessage, n)
			for _, a := range list {
				if id, err := strconv.Atoi(string(a.ID)); err == nil {
					answers[id] = a
				}
			}
			return answers, nil
		}
		var m batchMessage
		if err := json.Unmarshal(raw, &m); err != nil || m.Method != nil {
			continue // not for us: the remote's own call
		}
		if m.Error != nil && (len(m.ID) == 0 || string(m.ID) == "null") {
			return nil, m.Error.failure("", fmt.Errorf("%w: %s", errRejected, m.Error.Message))
		}
	}
}

// framesOf returns a reader of c's frames on r, cut where c's own reader
// cuts them (codec.SplitFrame): each call decodes the next frame's message
// into v.
func framesOf(c codec.Codec, r io.Reader) func(v any) error {
	var buf []byte
	return func(v any) error {
		for {
			n, body, err := codec.SplitFrame(c, buf)
			switch {
			case err == nil:
				buf = buf[n:]
				if body == nil {
					continue // white space
				}
				return json.Unmarshal(body, v)
			case !errors.Is(err, io.ErrUnexpectedEOF):
				return fmt.Errorf("the remote's answer: %w", err)
			}
			// Room for at least as much again as is buffered, so that a
			// large frame is split a few times, not once per read.
			if free := cap(buf) - len(buf); free < max(32<<10, len(buf)) {
				buf = slices.Grow(buf, max(32<<10, len(buf)))
			}
			m, err := r.Read(buf[len(buf):cap(buf)])
			buf = buf[:len(buf)+m]
			if err != nil && m == 0 {
				if errors.Is(err, io.EOF) && len(buf) > 0 {
					err = io.ErrUnexpectedEOF
				}
				return err
			}
		}
	}
}

// batchError is the failure of a batch's connection: a timeout, or a
// connection lost.
func batchError(o *options, method string, err error) error {
	if f := classify(method, err); f.kind == kindTimeout {
		return timeoutError(method, o.timeout)
	}
	return err
}
