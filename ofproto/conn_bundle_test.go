package ofproto

import (
	"context"
	"errors"
	"testing"
)

// bundlePeer reads one ApplyBundle's first batch from a raw peer, checking
// its layout, and returns the bundle id and the adds' xids.
func bundlePeer(t *testing.T, p *rawPeer, n int) (id uint32, adds []uint32, barrier uint32) {
	t.Helper()
	decode := func(b []byte) Message {
		_, m, err := Decode(b)
		if err != nil {
			t.Fatalf("decode %x: %v", b, err)
		}
		return m
	}
	_, b := p.read()
	open, ok := decode(b).(*BundleControl)
	if !ok || open.CtrlType != BundleOpen || open.Flags != BundleAtomic|BundleOrdered {
		t.Fatalf("first message %x is not an atomic ordered bundle open", b)
	}
	for range n {
		h, b := p.read()
		add, ok := decode(b).(*BundleAdd)
		if !ok || add.BundleID != open.BundleID {
			t.Fatalf("message %x is not an add to bundle %d", b, open.BundleID)
		}
		if add.XID != h.XID {
			t.Fatalf("inner xid %d differs from the BUNDLE_ADD xid %d", add.XID, h.XID)
		}
		adds = append(adds, h.XID)
	}
	h, _ := p.read()
	if h.Type != TypeBarrierRequest {
		t.Fatalf("adds followed by %s, want BARRIER_REQUEST", h.Type)
	}
	return open.BundleID, adds, h.XID
}

// answerBundleOp reads the bundle operation that follows the barrier and
// answers it.
func answerBundleOp(t *testing.T, p *rawPeer, id uint32, want, reply BundleCtrlType) {
	t.Helper()
	h, b := p.read()
	_, m, err := Decode(b)
	bc, ok := m.(*BundleControl)
	if err != nil || !ok || bc.CtrlType != want || bc.BundleID != id {
		t.Fatalf("got %x, want %s of bundle %d", b, want, id)
	}
	p.send(h.XID, &BundleControl{BundleID: id, CtrlType: reply, Flags: bc.Flags})
}

// applyBundleAsync runs ApplyBundle(ms) with a bounded ctx in the
// background, for the test to play the switch; its error comes on the
// channel.
func applyBundleAsync(c *Conn, ms []Message) <-chan error {
	res := make(chan error, 1)
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), testWait)
		defer cancel()
		res <- c.ApplyBundle(ctx, ms)
	}()
	return res
}

func TestApplyBundleCommits(t *testing.T) {
	c, p, _ := servedRaw(t, ConnOptions{}, nil)
	res := applyBundleAsync(c, threeMods())
	id, _, barrier := bundlePeer(t, p, 3)
	p.send(barrier, &BarrierReply{})
	answerBundleOp(t, p, id, BundleCommit, BundleCommitReply)
	if err := waitErr(t, res); err != nil {
		t.Fatalf("ApplyBundle = %v", err)
	}
}

func TestApplyBundleDiscardsOnRejectedAdd(t *testing.T) {
	c, p, _ := servedRaw(t, ConnOptions{}, nil)
	res := applyBundleAsync(c, threeMods())
	id, adds, barrier := bundlePeer(t, p, 3)
	p.send(adds[2], &ErrorMsg{ErrType: ErrTypeBadMatch, Code: 1})
	p.send(barrier, &BarrierReply{})
	answerBundleOp(t, p, id, BundleDiscard, BundleDiscardReply)
	var be *BatchError
	if err := waitErr(t, res); !errors.As(err, &be) || len(be.Failures) != 1 || be.Failures[0].Index != 2 {
		t.Fatalf("ApplyBundle = %v, want a *BatchError naming index 2", err)
	}
	if n := pendingCount(c); n != 0 {
		t.Fatalf("%d pending entries left", n)
	}
}

func TestApplyBundleCommitFailure(t *testing.T) {
	c, p, _ := servedRaw(t, ConnOptions{}, nil)
	res := applyBundleAsync(c, threeMods())
	_, _, barrier := bundlePeer(t, p, 3)
	p.send(barrier, &BarrierReply{})
	h, _ := p.read()
	p.send(h.XID, &ErrorMsg{ErrType: ErrTypeExperimenter, Code: 1, Data: []byte{0x4f, 0x4e, 0x46, 0x00}})
	var em *ErrorMsg
	if err := waitErr(t, res); !errors.As(err, &em) {
		t.Fatalf("ApplyBundle = %v, want the commit's ErrorMsg", err)
	}
}

// echoes returns n small messages to bundle.
func echoes(n int) []Message {
	ms := make([]Message, n)
	for i := range ms {
		ms[i] = &EchoReply{Data: []byte{byte(i)}}
	}
	return ms
}

// A bundle larger than a chunk goes out whole and in order.
func TestApplyBundleManyChunks(t *testing.T) {
	c, p, _ := servedRaw(t, ConnOptions{}, nil)
	const n = 3*bundleChunk + 7
	res := applyBundleAsync(c, echoes(n))
	id, adds, barrier := bundlePeer(t, p, n)
	for i := 1; i < len(adds); i++ {
		if adds[i] <= adds[i-1] {
			t.Fatalf("add %d has xid %d after %d: out of order", i, adds[i], adds[i-1])
		}
	}
	p.send(barrier, &BarrierReply{})
	answerBundleOp(t, p, id, BundleCommit, BundleCommitReply)
	if err := waitErr(t, res); err != nil {
		t.Fatalf("ApplyBundle = %v", err)
	}
}

// A message too long to send, in a chunk after the first, fails the
// bundle: the part already sent is discarded, so nothing of it is ever
// committed.
func TestApplyBundleTooLongDiscardsSentPart(t *testing.T) {
	c, p, _ := servedRaw(t, ConnOptions{}, nil)
	ms := echoes(bundleChunk + 10)
	ms[len(ms)-1] = &EchoReply{Data: make([]byte, MaxMessageLen)}
	res := applyBundleAsync(c, ms)
	// The first chunk: the open and bundleChunk-1 adds.
	_, b := p.read()
	_, m, err := Decode(b)
	open, ok := m.(*BundleControl)
	if err != nil || !ok || open.CtrlType != BundleOpen {
		t.Fatalf("first message %x is not a bundle open", b)
	}
	for range bundleChunk - 1 {
		_, b := p.read()
		if _, m, err := Decode(b); err != nil {
			t.Fatalf("decode %x: %v", b, err)
		} else if _, ok := m.(*BundleAdd); !ok {
			t.Fatalf("got %x, want a BUNDLE_ADD", b)
		}
	}
	answerBundleOp(t, p, open.BundleID, BundleDiscard, BundleDiscardReply)
	if err := waitErr(t, res); !errors.Is(err, ErrMessageTooLong) {
		t.Fatalf("ApplyBundle = %v, want ErrMessageTooLong", err)
	}
	if n := pendingCount(c); n != 0 {
		t.Fatalf("%d pending entries left", n)
	}
}

// A ctx that ends while the adds wait for their barrier leaves no bundle
// open on the switch: a discard follows, sent without waiting for it.
func TestApplyBundleCancelledDiscards(t *testing.T) {
	c, p, _ := servedRaw(t, ConnOptions{}, nil)
	res := make(chan error, 1)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go func() { res <- c.ApplyBundle(ctx, threeMods()) }()
	id, _, _ := bundlePeer(t, p, 3)
	cancel()
	if err := waitErr(t, res); !errors.Is(err, context.Canceled) {
		t.Fatalf("ApplyBundle = %v, want context.Canceled", err)
	}
	_, b := p.read()
	_, m, err := Decode(b)
	if bc, ok := m.(*BundleControl); err != nil || !ok || bc.CtrlType != BundleDiscard || bc.BundleID != id {
		t.Fatalf("after the cancel the switch got %x, want a discard of bundle %d", b, id)
	}
	if n := pendingCount(c); n != 0 {
		t.Fatalf("%d pending entries left", n)
	}
}
