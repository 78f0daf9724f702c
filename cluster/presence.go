package cluster

import (
	"encoding/json"
	"time"

	"github.com/nats-io/nats.go"
)

// Presence: how clients learn who is connected to which master.
//
// Each master publishes on P.presence, in JSON (docs/cluster.md §6):
//   - a snapshot, its whole worker set with a version, soon after every
//     change (changes within coalesce of each other share one);
//   - a beat, its version alone, every heartbeat;
//   - a bye when it closes.
//
// A client keeps the latest snapshot of each master. A beat whose version
// it lacks makes it ask that master for its snapshot (P.snapshot.ID), so a
// lost snapshot costs one heartbeat. A master silent for three heartbeats
// is forgotten: one that dies leaves the view within 3 × 500 ms by
// default. So a connect or a disconnect shows within a few milliseconds,
// and a master's death within 1.5 s: in every case within 2 s.

// coalesce is how long a master waits after a change for more before it
// publishes its snapshot: a thousand workers connecting at once cost a few
// snapshots, not a thousand.
const coalesce = 10 * time.Millisecond

// The kinds of presence message.
const (
	presenceSnapshot = "snapshot"
	presenceBeat     = "beat"
	presenceBye      = "bye"
)

// presence is one presence message.
type presence struct {
	Kind    string         `json:"kind"`
	Master  string         `json:"master"`
	Epoch   string         `json:"epoch"`             // the master's instance
	Version uint64         `json:"version"`           // of its worker set
	Beat    int64          `json:"beat_ms"`           // its heartbeat
	Workers []presenceItem `json:"workers,omitempty"` // a snapshot's
}

// presenceItem is one worker in a snapshot.
type presenceItem struct {
	Name  string    `json:"name"`
	Codec string    `json:"codec"`
	Since time.Time `json:"since"`
}

// announce is the master's presence loop.
func (m *Master) announce() {
	defer m.wg.Done()
	beat := time.NewTicker(m.beat)
	defer beat.Stop()
	m.publish(m.presence(presenceSnapshot))
	for {
		select {
		case <-m.changed:
			select {
			case <-time.After(coalesce):
			case <-m.done:
			}
			m.publish(m.presence(presenceSnapshot))
		case <-beat.C:
			m.publish(m.presence(presenceBeat))
		case <-m.done:
			m.publish(m.presence(presenceBye))
			if err := m.nc.Flush(); err != nil && !m.nc.IsClosed() {
				m.log.Warn("cluster: flushing the bye", "error", err)
			}
			return
		}
	}
}

// presence makes a presence message of the given kind, under m.mu.
func (m *Master) presence(kind string) *presence {
	m.mu.Lock()
	defer m.mu.Unlock()
	p := &presence{Kind: kind, Master: m.id, Epoch: m.epoch, Version: m.version, Beat: m.beat.Milliseconds()}
	if kind == presenceSnapshot {
		p.Workers = make([]presenceItem, 0, len(m.workers))
		for _, e := range m.workers {
			p.Workers = append(p.Workers, presenceItem{Name: e.name, Codec: e.p.Codec().Name(), Since: e.since})
		}
	}
	return p
}

func (m *Master) publish(p *presence) {
	b, _ := json.Marshal(p) // strings, numbers and times
	if err := m.nc.Publish(m.prefix+subjPresence, b); err != nil && !m.nc.IsClosed() {
		m.log.Warn("cluster: presence not sent", "kind", p.Kind, "error", err)
	}
}

// respondSnapshot answers a client that asked for the master's snapshot.
func (m *Master) respondSnapshot(msg *nats.Msg) {
	if msg.Reply == "" {
		return
	}
	b, _ := json.Marshal(m.presence(presenceSnapshot))
	if err := msg.Respond(b); err != nil {
		m.log.Warn("cluster: snapshot not sent", "error", err)
	}
}
