package cluster

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nuid"

	"github.com/duplexrpc/duplex/codec"
)

// ClientOptions tune a Client. A nil *ClientOptions means the defaults.
type ClientOptions struct {
	// Prefix is the cluster's subject prefix, as its masters have it.
	// Empty means DefaultPrefix.
	Prefix string
	// Codec is the encoding of the client's bodies, which must be the
	// wire of the workers it calls: codec.Msgpack or codec.MsgpackUgorji
	// for msgpack workers; codec.JSONRPC, codec.JSONRPC2, codec.LSP or
	// codec.JSONRPC2Lines for JSON ones (Workers says what each worker
	// speaks). Nil means codec.Msgpack.
	Codec codec.Codec
	// Heartbeat is the masters' heartbeat: the first Workers or CallAll of
	// the client waits this long, and a little more, to hear from every
	// master. Zero means DefaultHeartbeat.
	Heartbeat time.Duration
	// Logger receives the client's diagnostics. Nil means silence.
	Logger *slog.Logger
}

// Client calls the workers of a cluster by name from any process that
// reaches its NATS, with no worker connection of its own.
//
// Errors are those of a direct connection: a worker's error is a
// *peer.Error with the worker's code and data (also an rpc.ServerError to
// errors.As), or peer.ErrBusy, peer.ErrDraining; a worker whose
// connection ended during the call gives an error that Is peer.ErrClosed;
// a name no master holds fails at once with ErrNoWorker. When a call's
// context ends, Call returns ctx.Err() at once and the cancel travels
// through NATS and the master to the worker's handler.
//
// Calls are at most once: a call is delivered to one master, which
// relays it once; nothing is retried. A call whose master dies before it
// answers fails with an error that Is peer.ErrClosed once the client's
// view of the cluster has lost that master (three heartbeats, then a
// probe that NATS answers at once for a closed connection) and may or
// may not have run. The view starts with the client's first call, which
// it does not cover: give calls a deadline all the same.
//
// A Client is safe for concurrent use. Close stops what it started; the
// NATS connection stays the caller's.
type Client struct {
	nc     *nats.Conn
	prefix string
	codec  codec.Codec
	beat   time.Duration
	log    *slog.Logger

	idPrefix string
	nextID   atomic.Uint64

	rosterOnce sync.Once
	roster     *roster
	rosterErr  error
	closeOnce  sync.Once
	closed     chan struct{}
}

// NewClient returns a client of the cluster over nc.
func NewClient(nc *nats.Conn, opts *ClientOptions) (*Client, error) {
	var o ClientOptions
	if opts != nil {
		o = *opts
	}
	if nc == nil {
		return nil, errors.New("cluster: NewClient: nil NATS connection")
	}
	prefix, err := checkPrefix(o.Prefix)
	if err != nil {
		return nil, err
	}
	if o.Codec == nil {
		o.Codec = codec.Msgpack
	}
	if encodingOf(o.Codec) == "" {
		return nil, fmt.Errorf("%w: codec %s has no raw form", ErrCodec, o.Codec.Name())
	}
	if o.Heartbeat <= 0 {
		o.Heartbeat = DefaultHeartbeat
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	return &Client{
		nc: nc, prefix: prefix, codec: o.Codec, beat: o.Heartbeat, log: o.Logger,
		idPrefix: nuid.Next() + ".", closed: make(chan struct{}),
	}, nil
}

// Call calls method on the worker called name and waits for the answer,
// or for ctx to end. args is encoded with the client's codec and relayed
// as it is; the answer is decoded into reply. codec.Params is not
// supported through a cluster.
//
// The metadata of ctx (peer.WithMetadata) travels with the call to the
// worker's handler, which reads it with peer.IncomingMetadata: a trace
// context crosses the cluster so. A worker's error that has data carries
// it as a codec.Raw of the client's codec: decode it with
// codec.DecodeRaw(codec, e.Data.(codec.Raw), &v).
func (c *Client) Call(ctx context.Context, name, method string, args, reply any) error {
	msg, id, err := c.request(ctx, name, method, args)
	if err != nil {
		return err
	}
	resp, err := c.requestGuarded(ctx, name, id, msg)
	if err != nil {
		return err
	}
	if f, failed := failureIn(resp); failed {
		return errorOf(f)
	}
	if err := codec.DecodeRaw(c.codec, resp.Data, reply); err != nil {
		return fmt.Errorf("cluster: decoding the reply of %s: %w", method, err)
	}
	return nil
}

// Notify sends a notification to the worker called name: a call that
// expects no answer. It returns once the worker's master has queued it to
// be written to the worker, or fails as Call does (ErrNoWorker at once
// for a name no master holds).
func (c *Client) Notify(ctx context.Context, name, method string, args any) error {
	msg, id, err := c.request(ctx, name, method, args)
	if err != nil {
		return err
	}
	msg.Header.Set(hKind, kindNotify)
	resp, err := c.requestGuarded(ctx, name, id, msg)
	if err != nil {
		return err
	}
	if f, failed := failureIn(resp); failed {
		return errorOf(f)
	}
	return nil
}

// request makes the NATS request of a call.
func (c *Client) request(ctx context.Context, name, method string, args any) (*nats.Msg, string, error) {
	if err := ctx.Err(); err != nil {
		return nil, "", err
	}
	select {
	case <-c.closed:
		return nil, "", ErrClosed
	default:
	}
	if err := checkName("worker name", name); err != nil {
		return nil, "", err
	}
	msg := nats.NewMsg(callSubject(c.prefix, name))
	id, err := c.fill(ctx, msg, method, args)
	return msg, id, err
}

// fill encodes args into msg and sets the headers of a call of method.
func (c *Client) fill(ctx context.Context, msg *nats.Msg, method string, args any) (id string, err error) {
	if _, ok := args.(codec.Params); ok {
		return "", fmt.Errorf("%w: codec.Params cannot be relayed through a cluster", codec.ErrEncode)
	}
	body, err := codec.EncodeRaw(c.codec, args)
	if err != nil {
		return "", err
	}
	id = c.idPrefix + strconv.FormatUint(c.nextID.Add(1), 36)
	msg.Data = body
	msg.Header.Set(hMethod, method)
	msg.Header.Set(hCall, id)
	msg.Header.Set(hCodec, c.codec.Name())
	if d, ok := remaining(ctx); ok {
		msg.Header.Set(hTimeout, timeoutHeader(d))
	}
	if err := setMetadata(ctx, msg.Header); err != nil {
		return "", err
	}
	return id, nil
}

// requestFailed turns the error of a request that got no reply into the
// call's, and tells the master of a call the caller gave up on.
func (c *Client) requestFailed(ctx context.Context, name, id string, err error) error {
	if ctx.Err() != nil {
		c.cancel(id)
		return ctx.Err()
	}
	if errors.Is(err, nats.ErrNoResponders) {
		return fmt.Errorf("%w: %q (%w)", ErrNoWorker, name, err)
	}
	return fmt.Errorf("cluster: calling %s: %w", name, err)
}

// cancel tells every master that the caller gave up on call id: the one
// relaying it ends its context, and so the worker's handler's.
func (c *Client) cancel(id string) {
	msg := nats.NewMsg(c.prefix + subjCancel)
	msg.Header.Set(hCall, id)
	if err := c.nc.PublishMsg(msg); err != nil {
		c.log.Debug("cluster: cancel not sent", "call", id, "error", err)
	}
}

// Close stops watching the cluster's presence; later calls fail with
// ErrClosed. It is idempotent.
func (c *Client) Close() error {
	c.closeOnce.Do(func() {
		close(c.closed)
		c.rosterOnce.Do(func() {}) // none is started after Close
		if c.roster != nil {
			c.roster.stop()
		}
	})
	return nil
}
