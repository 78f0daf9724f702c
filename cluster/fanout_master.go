package cluster

import (
	"context"
	"fmt"
	"strconv"
	"strings"

	"github.com/nats-io/nats.go"
	"github.com/vmihailenco/msgpack/v5"

	"github.com/duplexrpc/duplex/codec"
	"github.com/duplexrpc/duplex/peer"
)

// fanResult is one worker's outcome of a fan-out, as a master sends it
// back: a msgpack array [name, status, error, body], with a fifth element,
// code, for a worker's error that has one (docs/cluster.md §5). For a
// worker's error (status remote) the body is the error's data. A result
// without a code is the four elements it always was, so clients and
// masters from before the code still read each other's.
type fanResult struct {
	Name   string
	Status string
	Error  string
	Body   []byte
	Code   int
}

var (
	_ msgpack.CustomEncoder = (*fanResult)(nil)
	_ msgpack.CustomDecoder = (*fanResult)(nil)
)

func (r *fanResult) EncodeMsgpack(e *msgpack.Encoder) error {
	n := 4
	if r.Code != 0 {
		n = 5
	}
	if err := e.EncodeArrayLen(n); err != nil {
		return err
	}
	for _, s := range []string{r.Name, r.Status, r.Error} {
		if err := e.EncodeString(s); err != nil {
			return err
		}
	}
	if err := e.EncodeBytes(r.Body); err != nil {
		return err
	}
	if n == 5 {
		return e.EncodeInt(int64(r.Code))
	}
	return nil
}

func (r *fanResult) DecodeMsgpack(d *msgpack.Decoder) error {
	n, err := d.DecodeArrayLen()
	if err != nil {
		return err
	}
	if n != 4 && n != 5 {
		return fmt.Errorf("cluster: a fan-out result of %d elements, want 4 or 5", n)
	}
	for _, s := range []*string{&r.Name, &r.Status, &r.Error} {
		if *s, err = d.DecodeString(); err != nil {
			return err
		}
	}
	if r.Body, err = d.DecodeBytes(); err != nil {
		return err
	}
	if n == 5 {
		r.Code, err = d.DecodeInt()
	}
	return err
}

// fanOverhead is what a result costs in a reply beyond its strings and
// body: the msgpack headers, with room to spare.
const fanOverhead = 32

// startFanout relays a fan-out to the workers this master holds: those
// hWorkers names, or all of them.
func (m *Master) startFanout(msg *nats.Msg) {
	if msg.Reply == "" {
		return
	}
	var names []string
	m.mu.Lock()
	if list := headerOf(msg, hWorkers); list != "" {
		names = strings.Fields(list)
	} else {
		for name := range m.workers {
			names = append(names, name)
		}
	}
	entries := make([]*entry, len(names))
	for i, name := range names {
		entries[i] = m.workers[name]
	}
	m.mu.Unlock()
	ctx, cancel, id, ok := m.begin(msg)
	if !ok {
		m.fail(msg, statusClosed, errMasterClosed.Error())
		return
	}
	go m.fanout(ctx, cancel, id, msg, names, entries)
}

// fanout calls the workers at once, with peer.CallEach, and answers with
// every result.
func (m *Master) fanout(ctx context.Context, cancel context.CancelCauseFunc, id string, msg *nats.Msg, names []string, entries []*entry) {
	defer m.end(id, cancel)
	results := make([]fanResult, len(names))
	enc := headerOf(msg, hCodec)
	var peers []*peer.Peer
	var at []int // the result of each of peers
	for i, e := range entries {
		results[i].Name = names[i]
		switch {
		case e == nil:
			results[i].Status, results[i].Error = statusNoWorker, fmt.Sprintf("%s: %q (at master %s)", ErrNoWorker, names[i], m.id)
		case encodingOfName(enc) != e.enc:
			results[i].Status, results[i].Error = statusCodec, fmt.Sprintf("%s: worker %s speaks %s; the caller encodes in %s", ErrCodec, e.name, e.p.Codec().Name(), enc)
		default:
			peers = append(peers, e.p)
			at = append(at, i)
		}
	}
	method := headerOf(msg, hMethod)
	callCtx, err := withMetadata(ctx, msg)
	if err != nil {
		m.fail(msg, statusFailed, err.Error())
		return
	}
	for j, r := range peer.CallEach(callCtx, peers, method, codec.Raw(msg.Data), func() any { return new(codec.Raw) }) {
		res := &results[at[j]]
		if r.Err != nil {
			f := failureOf(causeOf(ctx, r.Err))
			res.Status, res.Error, res.Code, res.Body = f.status, f.text, f.code, f.data
			continue
		}
		res.Body = *r.Reply.(*codec.Raw)
	}
	m.sendResults(msg.Reply, results)
}

// sendResults answers a fan-out in as many messages as NATS's max payload
// needs; the last one says how many results there were in all.
func (m *Master) sendResults(reply string, results []fanResult) {
	limit := int(m.nc.MaxPayload()) / 2
	for i := range results {
		if r := &results[i]; len(r.Body)+len(r.Name)+fanOverhead > limit {
			r.Status, r.Error, r.Body = statusFailed, fmt.Sprintf("cluster: a reply of %d bytes is over NATS's max payload (%d)", len(r.Body), m.nc.MaxPayload()), nil
		}
	}
	send := func(chunk []fanResult, total int) {
		msg := nats.NewMsg(reply)
		msg.Header.Set(hMaster, m.id)
		if total >= 0 {
			msg.Header.Set(hDone, strconv.Itoa(total))
		}
		b, err := msgpack.Marshal(chunk)
		if err != nil { // cannot happen: strings and bytes
			m.log.Error("cluster: encoding fan-out results", "error", err)
			return
		}
		msg.Data = b
		m.send(msg)
	}
	start, size := 0, 0
	for i := range results {
		r := &results[i]
		n := len(r.Name) + len(r.Status) + len(r.Error) + len(r.Body) + fanOverhead
		if size > 0 && size+n > limit {
			send(results[start:i], -1)
			start, size = i, 0
		}
		size += n
	}
	send(results[start:], len(results))
}
