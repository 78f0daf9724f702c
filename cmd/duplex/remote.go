package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/duplexrpc/duplex/codec"
	"github.com/duplexrpc/duplex/peer"
)

// remoteError is an error the remote answered with, as it sent it: its
// code (0 where the wire carries none: JSON-RPC 1.0, a msgpack-rpc string),
// its message, and its data as JSON (nil when it sent none). A script
// reads them in -json-errors; a person sees the code and data on the error's
// line.
type remoteError struct {
	code    int
	message string
	data    json.RawMessage
}

// describeRemote is the text of a remote error: word, the code if there
// is one, the error, and its data, on one line:
//
//	remote error -32602: bad (data: {"field":"A"})
func describeRemote(word string, r *remoteError, err error) string {
	var b strings.Builder
	b.WriteString(word)
	if r != nil && r.code != 0 {
		fmt.Fprintf(&b, " %d", r.code)
	}
	b.WriteString(": ")
	b.WriteString(err.Error())
	if r != nil && r.data != nil {
		b.WriteString(" (data: ")
		b.Write(r.data)
		b.WriteString(")")
	}
	return b.String()
}

// remoteFailure is classify for the error of a call made over w: a remote
// error keeps its code, and its data turned into JSON.
func remoteFailure(w wire, method string, err error) *failure {
	f := classify(method, err)
	var e *peer.Error
	if f.remote == nil || !errors.As(err, &e) || e.Data == nil {
		return f
	}
	var text json.RawMessage
	var bad error
	if raw, ok := e.Data.(codec.Raw); ok {
		text, bad = w.rawJSON(raw)
	} else { // not read from the wire: a Go value
		text, bad = marshalJSON(e.Data)
	}
	if bad != nil {
		// Said, rather than dropped.
		text, _ = marshalJSON(fmt.Sprintf("duplex: the data cannot be shown as JSON: %v", bad))
	}
	f.remote.data = text
	return f
}

// compactJSON is raw, a JSON value, without its insignificant spaces.
func compactJSON(raw []byte) (json.RawMessage, error) {
	if len(bytes.TrimSpace(raw)) == 0 {
		return json.RawMessage("null"), nil
	}
	var b bytes.Buffer
	if err := json.Compact(&b, raw); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}
