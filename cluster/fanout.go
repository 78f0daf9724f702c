package cluster

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync"

	"github.com/nats-io/nats.go"
	"github.com/vmihailenco/msgpack/v5"

	"github.com/duplexrpc/duplex/codec"
	"github.com/duplexrpc/duplex/peer"
)

// Result is one worker's outcome of a fan-out.
type Result struct {
	Worker string // the worker's name
	Master string // the master that relayed the call; "" if none did
	Reply  any    // made by newReply, and filled if Err is nil
	Err    error
}

// CallAll calls method on every worker of the cluster at once and waits
// for all the answers or for ctx to end. It sends one request to each
// master the client knows (see Workers), which calls its workers at once
// and answers with all their results; a worker's result is as Call's
// would be, and calls still pending when ctx ends fail with ctx.Err()
// (their cancels travel to the workers). newReply makes each reply value.
// Results are sorted by worker name. A worker whose master died before it
// answered is reported with ErrNoWorker.
func (c *Client) CallAll(ctx context.Context, method string, args any, newReply func() any) []Result {
	return c.fanOut(ctx, nil, method, args, newReply)
}

// CallEach calls method on each of the named workers at once, as CallAll
// calls them all, with results in the order of names. A name no master is
// known to hold, or whose master answers that it no longer does (a worker
// that moved), is called alone, as Call calls it: it fails at once with
// ErrNoWorker if no master holds it.
func (c *Client) CallEach(ctx context.Context, names []string, method string, args any, newReply func() any) []Result {
	if names == nil {
		names = []string{}
	}
	return c.fanOut(ctx, names, method, args, newReply)
}

// fanPlan is one master a fan-out asks, and the results it owes.
type fanPlan struct {
	master string
	names  []string // for CallEach: the names asked of it
	known  []string // the names the roster has at it
	done   bool
}

// fanOut is CallAll (names nil) and CallEach.
func (c *Client) fanOut(ctx context.Context, names []string, method string, args any, newReply func() any) []Result {
	g := &gather{c: c, method: method, newReply: newReply, each: names != nil, byName: map[string][]int{}, state: map[string]int{}}
	for i, name := range names {
		g.results = append(g.results, Result{Worker: name})
		g.byName[name] = append(g.byName[name], i)
	}
	r, err := c.watch(ctx)
	if err != nil {
		g.failRest(err)
		return g.results
	}
	msg := nats.NewMsg("")
	id, err := c.fill(ctx, msg, method, args)
	if err != nil {
		g.failRest(err)
		return g.results
	}
	plans, alone := plan(r.live(), names)
	inbox := c.nc.NewInbox()
	replies := make(chan *nats.Msg, 64+16*len(plans))
	sub, err := c.nc.ChanSubscribe(inbox+".*", replies)
	if err != nil {
		g.failRest(fmt.Errorf("cluster: %w", err))
		return g.results
	}
	defer sub.Unsubscribe()
	for i, p := range plans {
		req := nats.NewMsg(fanoutSubject(c.prefix, p.master))
		req.Reply = inbox + "." + strconv.Itoa(i)
		req.Data = msg.Data
		for k, v := range msg.Header {
			req.Header[k] = v
		}
		if names != nil {
			req.Header.Set(hWorkers, strings.Join(p.names, " "))
		}
		if err := c.nc.PublishMsg(req); err != nil {
			p.done = true
			g.failNames(p.master, p.names, fmt.Errorf("cluster: %w", err))
		}
	}
	for _, name := range alone {
		g.callAlone(ctx, name, args)
	}
	g.collect(ctx, r, plans, replies, inbox, args)
	if ctx.Err() != nil {
		c.cancel(id)
	}
	g.wait()
	g.failRest(ctx.Err())
	if !g.each {
		slices.SortStableFunc(g.results, func(a, b Result) int { return strings.Compare(a.Worker, b.Worker) })
	}
	return g.results
}

// plan groups a fan-out by master: every live master for CallAll, and for
// CallEach the masters holding the names (the latest to add each name);
// alone are the names no master is known to hold.
func plan(masters []*masterView, names []string) (plans []*fanPlan, alone []string) {
	slices.SortFunc(masters, func(a, b *masterView) int { return strings.Compare(a.id, b.id) })
	if names == nil {
		for _, v := range masters {
			p := &fanPlan{master: v.id}
			for _, w := range v.workers {
				p.known = append(p.known, w.Name)
			}
			plans = append(plans, p)
		}
		return plans, nil
	}
	holder := map[string]Worker{}
	for _, v := range masters {
		for _, w := range v.workers {
			if h, ok := holder[w.Name]; !ok || w.Since.After(h.Since) {
				holder[w.Name] = w
			}
		}
	}
	byMaster := map[string]*fanPlan{}
	seen := map[string]bool{}
	for _, name := range names {
		if seen[name] {
			continue
		}
		seen[name] = true
		w, ok := holder[name]
		if !ok {
			alone = append(alone, name)
			continue
		}
		p := byMaster[w.Master]
		if p == nil {
			p = &fanPlan{master: w.Master}
			byMaster[w.Master] = p
			plans = append(plans, p)
		}
		p.names = append(p.names, name)
		p.known = append(p.known, name)
	}
	return plans, alone
}

// gather collects a fan-out's results.
type gather struct {
	c        *Client
	method   string
	newReply func() any
	each     bool // CallEach: results are fixed, one per name asked

	mu      sync.Mutex
	results []Result
	byName  map[string][]int // CallEach: where each name's results go
	state   map[string]int   // of each name: one of the name* states
	pending sync.WaitGroup   // calls of single names
}

// What a fan-out knows of a name.
const (
	nameOpen  = iota // no result yet
	nameAlone        // being called alone
	nameDone         // has its result
)

// set records a worker's outcome: into its place for CallEach, appended
// for CallAll.
func (g *gather) set(name, master string, body []byte, err error) {
	var reply any
	if g.newReply != nil {
		reply = g.newReply()
	}
	if err == nil {
		if derr := codec.DecodeRaw(g.c.codec, body, reply); derr != nil {
			err = fmt.Errorf("cluster: decoding the reply of %s: %w", g.method, derr)
		}
	}
	r := Result{Worker: name, Master: master, Reply: reply, Err: err}
	g.mu.Lock()
	defer g.mu.Unlock()
	g.state[name] = nameDone
	if !g.each {
		g.results = append(g.results, r)
		return
	}
	for _, i := range g.byName[name] {
		g.results[i] = r
	}
}

// take reports whether name is open, and if so marks it with state s.
func (g *gather) take(name string, s int) bool {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.state[name] != nameOpen {
		return false
	}
	g.state[name] = s
	return true
}

// failNames records err for the names that have no result and are not
// being called alone.
func (g *gather) failNames(master string, names []string, err error) {
	for _, name := range names {
		if g.take(name, nameDone) {
			g.set(name, master, nil, err)
		}
	}
}

// failRest gives every CallEach name still without a result err, or, if
// err is nil, says no master answered for it.
func (g *gather) failRest(err error) {
	if !g.each {
		return
	}
	for name := range g.byName {
		e := err
		if e == nil {
			e = fmt.Errorf("%w: %q", ErrNoWorker, name)
		}
		g.failNames("", []string{name}, e)
	}
}

// callAlone calls one name as Call does, in a goroutine that wait waits
// for.
func (g *gather) callAlone(ctx context.Context, name string, args any) {
	g.mu.Lock()
	g.state[name] = nameAlone
	g.mu.Unlock()
	g.pending.Add(1)
	go func() {
		defer g.pending.Done()
		var body codec.Raw
		err := g.c.Call(ctx, name, g.method, args, &body)
		g.set(name, "", body, err)
	}()
}

func (g *gather) wait() { g.pending.Wait() }

// collect reads the masters' answers until each has sent its last one or
// ctx ends. The names of a master that is gone, or that has not answered
// by then, are settled last, so that a worker that moved and answered
// through its new master is not also reported missing. A master that
// dies after it took the request, as the roster sees it, fails the names
// it has not answered for with an error that Is peer.ErrClosed: their
// calls may have run, so they are not made again.
func (g *gather) collect(ctx context.Context, r *roster, plans []*fanPlan, replies chan *nats.Msg, inbox string, args any) {
	var gone []*fanPlan
	died := make(chan int, len(plans))
	defer func() {
		for _, p := range gone {
			g.masterGone(ctx, p, args)
		}
		g.expire(plans, ctx.Err())
	}()
	left := 0
	for i, p := range plans {
		if !p.done {
			left++
			stop := r.watchGone([]string{p.master}, func(string) { died <- i })
			defer stop()
		}
	}
	for left > 0 {
		var msg *nats.Msg
		select {
		case msg = <-replies:
		case i := <-died:
			if p := plans[i]; !p.done {
				p.done = true
				left--
				g.failNames(p.master, p.known, &relayError{fmt.Sprintf("cluster: calling %s: master %s died during the fan-out; the call may have run", g.method, p.master), peer.ErrClosed})
			}
			continue
		case <-ctx.Done():
			return
		}
		i, err := strconv.Atoi(strings.TrimPrefix(msg.Subject, inbox+"."))
		if err != nil || i < 0 || i >= len(plans) || plans[i].done {
			continue
		}
		p := plans[i]
		if len(msg.Data) == 0 && headerOf(msg, "Status") == "503" { // no responders: the master is gone
			p.done = true
			left--
			gone = append(gone, p)
			continue
		}
		var chunk []fanResult
		if err := msgpack.Unmarshal(msg.Data, &chunk); err != nil {
			p.done = true
			left--
			g.failNames(p.master, p.known, fmt.Errorf("cluster: a fan-out answer from master %s: %w", p.master, err))
			continue
		}
		for _, r := range chunk {
			g.result(ctx, p.master, r, args)
		}
		if headerOf(msg, hDone) != "" {
			p.done = true
			left--
			if g.each {
				g.failNames(p.master, p.names, fmt.Errorf("%w: master %s gave no result", ErrNoWorker, p.master))
			}
		}
	}
}

// result records one worker's result from a master. A CallEach name the
// master no longer holds is called alone: the worker may have moved, and
// the master did not run the call.
func (g *gather) result(ctx context.Context, master string, r fanResult, args any) {
	if r.Status == statusNoWorker && g.each {
		if g.take(r.Name, nameAlone) {
			g.callAlone(ctx, r.Name, args)
		}
		return
	}
	if r.Status == statusNoWorker {
		return // left between the snapshot and the call: not a worker of this fan-out
	}
	var err error
	if r.Status != "" {
		err = errorOf(failure{status: r.Status, text: r.Error, code: r.Code, data: r.Body})
	}
	g.set(r.Name, master, r.Body, err)
}

// masterGone settles the names of a master that NATS says is gone.
func (g *gather) masterGone(ctx context.Context, p *fanPlan, args any) {
	if g.each {
		for _, name := range p.names {
			if g.take(name, nameAlone) {
				g.callAlone(ctx, name, args)
			}
		}
		return
	}
	g.failNames(p.master, p.known, fmt.Errorf("%w: its master %s is gone", ErrNoWorker, p.master))
}

// expire gives the names of masters that have not answered err, if ctx
// ended.
func (g *gather) expire(plans []*fanPlan, err error) {
	if err == nil {
		return
	}
	for _, p := range plans {
		if !p.done {
			g.failNames(p.master, p.known, err)
		}
	}
}
