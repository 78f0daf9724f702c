package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
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
	next := json.NewDecoder(conn).Decode
	if c == codec.LSP {
		frame = fmt.Appendf(nil, "Content-Length: %d\r\n\r\n%s", len(frame), frame)
		next = lspReader(conn)
	} else {
		frame = append(frame, '\n')
	}
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

// lspReader returns a reader of the LSP frames on r: each call decodes the
// next frame's body into v. Header fields other than Content-Length are
// skipped, their names matched in any case, as the base protocol says.
func lspReader(r io.Reader) func(v any) error {
	br := bufio.NewReader(r)
	return func(v any) error {
		length := -1
		for {
			line, err := br.ReadString('\n')
			if err != nil {
				if errors.Is(err, io.EOF) && line != "" {
					err = io.ErrUnexpectedEOF
				}
				return err
			}
			line = strings.TrimRight(line, "\r\n")
			if line == "" {
				if length >= 0 {
					break
				}
				continue // blank lines before a header
			}
			name, value, ok := strings.Cut(line, ":")
			if ok && strings.EqualFold(strings.TrimSpace(name), "Content-Length") {
				n, err := strconv.Atoi(strings.TrimSpace(value))
				if err != nil || n < 0 || n > maxAnswer {
					return fmt.Errorf("the remote's LSP header %q: not a length up to %d", line, maxAnswer)
				}
				length = n
			}
		}
		body := make([]byte, length)
		if _, err := io.ReadFull(br, body); err != nil {
			return err
		}
		return json.Unmarshal(body, v)
	}
}

// maxAnswer bounds the body of one LSP frame the batch reader takes, as a
// Conn's default frame limit does.
const maxAnswer = codec.DefaultMaxFrameSize

// batchError is the failure of a batch's connection: a timeout, or a
// connection lost.
func batchError(o *options, method string, err error) error {
	if f := classify(method, err); f.kind == kindTimeout {
		return timeoutError(method, o.timeout)
	}
	return err
}
