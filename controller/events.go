package controller

import (
	"fmt"
	"sync"
	"time"
)

// Event kinds.
const (
	EventLearn            = "learn"             // a MAC was bound to a port
	EventRelease          = "release"           // a learned MAC was released (port gone)
	EventConflict         = "conflict"          // a MAC held by another member was refused
	EventLimit            = "limit"             // a port reached its learned/conflict limit
	EventSwitchConnect    = "switch-connect"    // a switch connected
	EventSwitchDisconnect = "switch-disconnect" // a switch disconnected
)

// Event is one thing the controller wants operators to see. Fields that do
// not apply to the kind are empty.
type Event struct {
	Seq          uint64    `json:"seq"`
	Time         time.Time `json:"time"`
	Kind         string    `json:"kind"`
	Pod          string    `json:"pod,omitempty"`
	MAC          string    `json:"mac,omitempty"`
	Host         string    `json:"host,omitempty"`
	Port         string    `json:"port,omitempty"`
	AttachmentID string    `json:"attachment_id,omitempty"`
	HolderID     string    `json:"holder_id,omitempty"`
	HolderHost   string    `json:"holder_host,omitempty"`
	DatapathID   string    `json:"datapath_id,omitempty"`
	Message      string    `json:"message"`
}

// eventRingSize is how many recent events the controller keeps.
const eventRingSize = 1024

// subscriberBuffer bounds what a slow follower may lag behind; beyond it
// the follower misses events (and is told how many) rather than slowing
// the publisher.
const subscriberBuffer = 256

// eventLog is an in-memory ring of recent events with live subscribers.
// Publishing never blocks.
type eventLog struct {
	mu   sync.Mutex
	ring []Event // oldest first once full; see at
	at   int     // next write position once len(ring) == cap
	seq  uint64
	subs map[*eventSub]struct{}
	now  func() time.Time
}

type eventSub struct {
	ch      chan Event
	dropped uint64 // guarded by eventLog.mu
}

func newEventLog(size int) *eventLog {
	return &eventLog{ring: make([]Event, 0, size), subs: map[*eventSub]struct{}{}, now: time.Now}
}

// publish stamps e with the next sequence number and time and records it.
// Conflicts are also counted in loris_mac_conflicts_total (Metrics.
// MACConflict, called where they happen). TODO(metrics owner): count every
// kind as loris_events_total{kind}; Metrics has no such counter yet.
func (l *eventLog) publish(e Event) Event {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.seq++
	e.Seq = l.seq
	e.Time = l.now().UTC()
	if len(l.ring) < cap(l.ring) {
		l.ring = append(l.ring, e)
	} else {
		l.ring[l.at] = e
		l.at = (l.at + 1) % len(l.ring)
	}
	for s := range l.subs {
		select {
		case s.ch <- e:
		default:
			s.dropped++
		}
	}
	return e
}

// recent returns the kept events with Seq > after, oldest first.
func (l *eventLog) recent(after uint64) []Event {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.recentLocked(after)
}

func (l *eventLog) recentLocked(after uint64) []Event {
	out := make([]Event, 0, len(l.ring))
	for i := range len(l.ring) {
		e := l.ring[(l.at+i)%len(l.ring)]
		if e.Seq > after {
			out = append(out, e)
		}
	}
	return out
}

// subscribe returns the kept events after `after` and a subscription to
// everything published from then on, with no gap or overlap between them.
func (l *eventLog) subscribe(after uint64) ([]Event, *eventSub) {
	l.mu.Lock()
	defer l.mu.Unlock()
	s := &eventSub{ch: make(chan Event, subscriberBuffer)}
	l.subs[s] = struct{}{}
	return l.recentLocked(after), s
}

func (l *eventLog) unsubscribe(s *eventSub) {
	l.mu.Lock()
	defer l.mu.Unlock()
	delete(l.subs, s)
}

// takeDropped returns and resets how many events s missed.
func (l *eventLog) takeDropped(s *eventSub) uint64 {
	l.mu.Lock()
	defer l.mu.Unlock()
	n := s.dropped
	s.dropped = 0
	return n
}

// switchEvent records a switch connecting or disconnecting.
func (c *Controller) switchEvent(kind string, s *session, reason string) {
	host := s.hostName()
	if host == "" {
		if h, ok := hostByDPID(c.Snapshot(), s.dpid); ok {
			host = h.Name
		}
	}
	msg := fmt.Sprintf("switch %s (%s) connected from %s", s.dpid, host, s.remote)
	if kind == EventSwitchDisconnect {
		msg = fmt.Sprintf("switch %s (%s) disconnected: %s", s.dpid, host, reason)
	}
	c.events.publish(Event{Kind: kind, Host: host, DatapathID: s.dpid.String(), Message: msg})
}
