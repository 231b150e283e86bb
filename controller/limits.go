package controller

import (
	"context"
	"errors"
	"io"
	"time"

	"github.com/lorispack/loris/ofproto"
)

// Defaults for how many asynchronous messages (PACKET_IN, PORT_STATUS,
// errors...) one switch may send. A real switch under a broadcast storm is
// metered by its flows well below this; only a broken or hostile peer gets
// near it.
const (
	defaultSwitchMsgRate  = 5000  // messages per second, sustained
	defaultSwitchMsgBurst = 20000 // messages accepted at once
)

// msgBudget is a token bucket over a switch's asynchronous messages. It is
// used only from the connection's read loop, so it needs no lock.
type msgBudget struct {
	rate, burst float64
	tokens      float64
	last        time.Time
	now         func() time.Time
}

func newMsgBudget(rate, burst int, now func() time.Time) *msgBudget {
	if now == nil {
		now = time.Now
	}
	return &msgBudget{rate: float64(rate), burst: float64(burst), tokens: float64(burst), last: now(), now: now}
}

// take spends one message and reports whether the budget allowed it.
func (b *msgBudget) take() bool {
	t := b.now()
	b.tokens += t.Sub(b.last).Seconds() * b.rate
	b.last = t
	if b.tokens > b.burst {
		b.tokens = b.burst
	}
	if b.tokens < 1 {
		return false
	}
	b.tokens--
	return true
}

// admit charges one asynchronous message to the session; a switch over its
// budget is disconnected (it reconnects and is reconciled afresh, so a real
// switch loses nothing but time).
func (s *session) admit() bool {
	if s.budget.take() {
		return true
	}
	if s.flooding.CompareAndSwap(false, true) {
		// s.log is set by the session goroutine; this runs on the read loop.
		s.c.log.With("switch", s.remote).Warn("switch disconnected: message flood", "limit_per_s", s.budget.rate, "burst", s.budget.burst)
		s.conn.Close()
	}
	return false
}

// isOrderlyClose tells a disconnect worth a warning (garbage, a dead peer,
// a flood) from an ordinary one (we closed, the switch hung up cleanly).
func isOrderlyClose(err error) bool {
	return err == nil || errors.Is(err, ofproto.ErrClosed) || errors.Is(err, io.EOF) || errors.Is(err, context.Canceled)
}
