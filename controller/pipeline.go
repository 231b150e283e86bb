package controller

import (
	"context"
	"errors"
	"time"

	"github.com/lorispack/loris/ofproto"
)

// Pipelined rounds. A round that only adds and deletes flows (a learned
// MAC, an attachment of an existing pod on a remote host) is sent behind
// its barrier and the reconcile loop goes on without waiting for the
// switch's answer: the barrier already makes the switch finish it before
// anything sent later, so only the confirmation is deferred. confirmLoop
// waits for the answers in order and moves doneGen, which is what
// learners and the status API read. Under a stream of changes a switch
// then gets each change one plan away, not one plan plus a round trip
// behind the previous one.
//
// Rounds with group or meter changes, bundles and whole-state rounds
// still run one at a time: they first wait for every round in flight
// (drainPipeline). If a pipelined round fails, the rounds sent after it
// were planned from a state the switch does not hold: confirmLoop stops
// confirming, and the reconcile loop's next round reads the switch and
// starts over from what it really holds.

// pipelineDepth bounds the rounds sent and not yet confirmed.
const pipelineDepth = 8

var errPipelineFailed = errors.New("a pipelined round failed")

type inflightRound struct {
	applied *ofproto.Applied
	gen     uint64
	sent    time.Time
	host    string
}

// pipelinable reports whether the round's plan may go without waiting.
func pipelinable(r roundPlan) bool {
	p := r.plan
	return !r.full && len(p.flows) > 0 && len(p.flows) < bundleMinMessages &&
		len(p.groupAdds)+len(p.groupDeletes)+len(p.meterAdds)+len(p.meterDeletes) == 0
}

// sendPipelined sends the round's flows and queues their confirmation;
// it blocks while pipelineDepth rounds are unconfirmed.
func (s *session) sendPipelined(ctx context.Context, p *plan, gen uint64, host string) error {
	applied, err := s.conn.ApplyAsync(p.flows)
	if err != nil {
		return err
	}
	s.inflightWG.Add(1)
	select {
	case s.inflight <- inflightRound{applied: applied, gen: gen, sent: time.Now(), host: host}:
		return nil
	case <-ctx.Done():
		s.inflightWG.Done()
		s.pipeFailed.Store(true) // sent, but nobody will confirm it
		return ctx.Err()
	}
}

// drainPipeline waits until every pipelined round is confirmed or given
// up, and reports whether one failed.
func (s *session) drainPipeline() error {
	s.inflightWG.Wait()
	if s.pipeFailed.Load() {
		return errPipelineFailed
	}
	return nil
}

// confirmLoop confirms pipelined rounds in the order they were sent,
// until the reconcile loop closes the queue.
func (s *session) confirmLoop(ctx context.Context) {
	for r := range s.inflight {
		if !s.pipeFailed.Load() {
			wctx, cancel := context.WithDeadline(ctx, r.sent.Add(s.c.cfg.ReconcileTimeout))
			err := r.applied.Wait(wctx)
			cancel()
			if err != nil {
				s.pipeFailed.Store(true)
				s.c.metrics.reconciled(r.host, time.Since(r.sent), err)
				s.mu.Lock()
				s.lastErr = err.Error()
				s.mu.Unlock()
				if !errors.Is(err, ofproto.ErrClosed) && ctx.Err() == nil {
					s.log.Warn("pipelined reconciliation failed; re-reading the switch", "err", err)
				}
				s.kick()
			} else {
				s.doneGen.Store(r.gen)
				s.learn.reconciled()
			}
		}
		s.inflightWG.Done()
	}
}

// recoverPipeline, at the start of a round, turns a failed pipelined
// round into an unknown switch state, once nothing is in flight any more.
func (s *session) recoverPipeline() {
	if !s.pipeFailed.Load() {
		return
	}
	s.inflightWG.Wait()
	s.pipeFailed.Store(false)
	s.forgetSwitchState()
}
