package peer

import (
	"context"
	"fmt"
	"time"

	"github.com/duplexrpc/duplex/codec"
)

// touch records that a frame arrived, for the idle timeout and the first
// frame's deadline.
func (p *Peer) touch() {
	if p.opts.IdleTimeout > 0 {
		p.lastRead.Store(time.Now().UnixNano())
	}
}

// firstFrame records that a whole frame arrived: the first frame's
// deadline is met. The reader calls it with the frame's header just read
// into p.rh: a request the codec rejected (bytes that were no message of
// its wire) meets the deadline, but is not a good frame for diagnose.
func (p *Peer) firstFrame() {
	if !p.gotFrame.Load() {
		p.gotFrame.Store(true)
	}
	if !p.first.good.Load() && (p.rh.Kind != codec.Request || p.rh.Error == "") {
		p.first.good.Store(true)
	}
}

// startTimers arms the idle check and the heartbeat. They are timers, not
// goroutines: an idle peer costs no goroutine for them.
func (p *Peer) startTimers() {
	p.timersMu.Lock()
	defer p.timersMu.Unlock()
	if d := p.opts.FirstFrameTimeout; d > 0 {
		p.timers = append(p.timers, time.AfterFunc(d, func() {
			if !p.gotFrame.Load() {
				p.log.Warn("peer: closing a connection that sent no frame", "within", d)
				p.fail(fmt.Errorf("%w: none within %v", ErrNoFirstFrame, d))
			}
		}))
	}
	if p.opts.IdleTimeout > 0 {
		var check func()
		var t *time.Timer
		check = func() {
			silent := time.Since(time.Unix(0, p.lastRead.Load()))
			if silent >= p.opts.IdleTimeout {
				p.log.Warn("peer: closing idle connection", "silent", silent)
				p.fail(ErrIdle)
				return
			}
			p.timersMu.Lock()
			t.Reset(p.opts.IdleTimeout - silent)
			p.timersMu.Unlock()
		}
		t = time.AfterFunc(p.opts.IdleTimeout, check)
		p.timers = append(p.timers, t)
	}
	if p.opts.Heartbeat > 0 {
		var t *time.Timer
		t = time.AfterFunc(p.opts.Heartbeat, func() {
			if err := p.Notify(context.Background(), HeartbeatMethod, 0); err != nil {
				return
			}
			p.timersMu.Lock()
			t.Reset(p.opts.Heartbeat)
			p.timersMu.Unlock()
		})
		p.timers = append(p.timers, t)
	}
}

func (p *Peer) stopTimers() {
	p.timersMu.Lock()
	defer p.timersMu.Unlock()
	for _, t := range p.timers {
		t.Stop()
	}
	p.timers = nil
}
