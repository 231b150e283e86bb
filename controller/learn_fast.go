package controller

import (
	"errors"

	"github.com/lorispack/loris/ofproto"
	"github.com/lorispack/loris/topology"
)

// The fast path of MAC learning. A frame from a MAC already bound to its
// port, punted again only because it raced the flows being installed (or
// by a switch that keeps punting), needs no model change: once the switch
// has applied the round that installs the binding's flows, re-injecting
// it is all there is to do. The read loop does that itself, without the
// two goroutine hand-offs of the learner and reinjectLoop (and, for the
// last frame read, without the writer's: ofproto's SendNow), when nothing
// is queued ahead of the frame (so that frames keep their order)
// and everything the learner's record rests on is still as it was: the
// host's attachments, the switch's ports, and the binding in the current
// snapshot. Anything else takes the learner's way.

// learnedPair is what the learner records of a bound (port, MAC) pair:
// the attachment, and the switch round that installs its flows.
type learnedPair struct {
	gen uint64
	att string
	// held: a snapshot seen to hold the binding (the read loop's check).
	held *topology.Snapshot
}

// reinjectNow re-injects data at once if the fast path applies, and
// reports whether it did. It runs on the read loop.
func (l *learner) reinjectNow(port uint32, data []byte) bool {
	if l.slow.Load() > 0 || l.s.conn == nil {
		return false
	}
	mac, ok := sourceMAC(data)
	if !ok {
		return false
	}
	k := portMAC{port, mac}
	s := l.s
	s.mu.Lock()
	host, portsGen := s.host, s.portsGen
	s.mu.Unlock()
	snap := s.c.Snapshot()
	l.fastMu.Lock()
	e, ok := l.learnedAt.get(k)
	ok = ok && host != "" && host == l.indexedHost && portsGen == l.indexedPorts &&
		snap.AttachmentsVersion() == l.indexedAttachments && s.doneGen.Load() >= e.gen
	if ok && e.held != snap {
		// Looked up once per snapshot: in the steady state it stays.
		if ok = snap.Holds(e.att, mac); ok {
			e.held = snap
			l.learnedAt.put(k, e)
		}
	}
	l.fastMu.Unlock()
	if !ok {
		return false
	}
	// Both sends encode data before they return (the read buffer it
	// aliases may be reused afterwards) and never wait for a switch that
	// does not read: then the learner's queue takes the frame, or drops
	// it. The last frame read goes out at once; within a burst the writer
	// coalesces.
	send := s.conn.TrySend
	if s.conn.ReadBuffered() == 0 {
		send = s.conn.SendNow
	}
	l.fastOut = reinjectMessage(port, data)
	_, err := send(&l.fastOut)
	l.fastOut.Data = nil // encoded: the read buffer is not ours to keep
	if err != nil {
		return !errors.Is(err, ofproto.ErrQueueFull) // else closing: nothing to learn from it either
	}
	l.fastSent.Add(1)
	return true
}
