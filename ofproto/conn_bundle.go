package ofproto

import (
	"context"
	"errors"
	"fmt"
)

// acceptBundleAdds waits for the barrier that follows a bundle's open and
// adds, collecting errors for the adds (by index) and for the open.
func acceptBundleAdds(w *waiter, h Header, m Message) bool {
	if h.XID == w.xids[0] {
		if err := replyError(h, m); err != nil {
			w.err = fmt.Errorf("ofproto: bundle open failed: %w", err)
		}
		return false
	}
	return acceptBatch(w, h, m)
}

// bundleChunk is how many of a bundle's messages are queued at once.
const bundleChunk = 512

// ApplyBundle applies ms as one atomic, ordered bundle (the ONF bundle
// extension OVS accepts on OpenFlow 1.3). On success every message is in
// effect; on a *BatchError (the messages the switch rejected, by index) or
// any other error, none is: unlike Apply, a failure leaves the switch as it
// was (except when the connection or ctx ends between commit and its
// answer, when the outcome is unknown). When ctx ends before the adds
// are confirmed, the open bundle is discarded without waiting (if the
// write queue has room for the discard).
//
// The switch validates each message when it is added but reports nothing
// for a valid one, and commits whatever was added without complaint, so a
// rejected add would silently drop out of the bundle. Hence two round
// trips: open, adds and a barrier, queued in chunks (other messages of the
// connection may go between them; they are not part of the bundle); then
// commit if no add was rejected, discard otherwise.
//
// The bundle id is taken from the connection's xid counter, so concurrent
// bundles on one connection do not collide.
func (c *Conn) ApplyBundle(ctx context.Context, ms []Message) error {
	xids := make([]uint32, len(ms)+2)
	for i := range xids {
		xids[i] = c.nextXID()
	}
	id := xids[0]
	const flags = BundleAtomic | BundleOrdered
	w := newWaiter(acceptBundleAdds, xids...)
	w.barrier = xids[len(xids)-1]
	w.index = make(map[uint32]int, len(ms))
	all := make([]Message, 0, len(xids))
	all = append(all, &BundleControl{BundleID: id, CtrlType: BundleOpen, Flags: flags})
	for i, m := range ms {
		x := xids[i+1]
		w.index[x] = i
		// The inner message carries the xid of the BUNDLE_ADD around it, as
		// the bundle extension requires.
		all = append(all, &BundleAdd{BundleID: id, Flags: flags, Message: m, XID: x})
	}
	all = append(all, &BarrierRequest{})
	if err := c.register(w); err != nil {
		return err
	}
	// Queued a chunk at a time, so that the writer sends the first adds
	// while the next are encoded, and the switch parses them meanwhile:
	// 100,000 flows take a good part of a second to encode.
	for at := 0; at < len(all); at += bundleChunk {
		end := min(at+bundleChunk, len(all))
		if _, err := c.out.enqueue(xids[at:end], all[at:end]); err != nil {
			c.abandon(w)
			if at > 0 { // the bundle is open: nothing of it may stay
				c.bundleControl(ctx, id, BundleDiscard, BundleDiscardReply, flags)
			}
			return c.sendErr(err)
		}
	}
	if err := c.wait(ctx, w); err != nil {
		// ctx ended with the bundle open: the switch would hold it until
		// its own expiry. There is no time left to wait, neither for an
		// answer nor for room in the queue: the discard goes out alone if
		// it fits (its reply reaches the handler), and a queue still full
		// of the bundle's adds leaves the bundle to the switch's expiry.
		if c.Err() == nil {
			_, _ = c.TrySend(&BundleControl{BundleID: id, CtrlType: BundleDiscard, Flags: flags})
		}
		return err
	}
	if w.err != nil || len(w.failures) > 0 {
		// The bundle dies with the connection anyway; a failed discard
		// changes nothing for the caller.
		c.bundleControl(ctx, id, BundleDiscard, BundleDiscardReply, flags)
		if w.err != nil {
			return w.err
		}
		return &BatchError{Failures: w.failures}
	}
	if err := c.bundleControl(ctx, id, BundleCommit, BundleCommitReply, flags); err != nil {
		return fmt.Errorf("ofproto: bundle commit failed: %w", err)
	}
	return nil
}

// bundleControl sends one bundle operation and checks its reply.
func (c *Conn) bundleControl(ctx context.Context, id uint32, op, reply BundleCtrlType, flags uint16) error {
	h, m, err := c.Request(ctx, &BundleControl{BundleID: id, CtrlType: op, Flags: flags})
	if err != nil {
		return err
	}
	if bc, ok := m.(*BundleControl); !ok || bc.CtrlType != reply || bc.BundleID != id {
		return errors.New("ofproto: bundle " + op.String() + " answered with " + h.Type.String())
	}
	return nil
}
