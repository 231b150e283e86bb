package ofproto

import (
	"context"
	"errors"
	"testing"
)

// applyWithPeer runs Apply(ms) against a raw peer that lets answer decide
// what to send back for the batch it reads (batch = ms plus the barrier).
func applyWithPeer(t *testing.T, ms []Message, answer func(p *rawPeer, xids []uint32)) error {
	c, p, _ := servedRaw(t, ConnOptions{}, nil)
	res := make(chan error, 1)
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), testWait)
		defer cancel()
		res <- c.Apply(ctx, ms)
	}()
	var xids []uint32
	for range len(ms) + 1 {
		h, _ := p.read()
		xids = append(xids, h.XID)
	}
	answer(p, xids)
	err := waitErr(t, res)
	if n := pendingCount(c); n != 0 {
		t.Errorf("%d pending entries after Apply", n)
	}
	return err
}

func threeMods() []Message {
	return []Message{&EchoReply{Data: []byte("a")}, &EchoReply{Data: []byte("b")}, &EchoReply{Data: []byte("c")}}
}

func TestApplyReportsFailingIndex(t *testing.T) {
	err := applyWithPeer(t, threeMods(), func(p *rawPeer, xids []uint32) {
		p.send(xids[1], &ErrorMsg{ErrType: ErrTypeFlowModFailed, Code: 5})
		p.send(xids[3], &BarrierReply{})
	})
	var be *BatchError
	if !errors.As(err, &be) {
		t.Fatalf("Apply = %v, want *BatchError", err)
	}
	if len(be.Failures) != 1 || be.Failures[0].Index != 1 {
		t.Fatalf("failures %+v, want one at index 1", be.Failures)
	}
	var em *ErrorMsg
	if !errors.As(be.Failures[0].Err, &em) || em.ErrType != ErrTypeFlowModFailed || em.Code != 5 {
		t.Fatalf("failure error %v, want FLOW_MOD_FAILED code 5", be.Failures[0].Err)
	}
	t.Log(err)
}

func TestApplySuccess(t *testing.T) {
	err := applyWithPeer(t, threeMods(), func(p *rawPeer, xids []uint32) {
		if len(xids) != 4 || p == nil {
			t.Fatalf("batch of %d messages", len(xids))
		}
		p.send(xids[3], &BarrierReply{})
	})
	if err != nil {
		t.Fatalf("Apply = %v", err)
	}
}

func TestApplyBatchArrivesInOrderWithBarrierLast(t *testing.T) {
	c, p, _ := servedRaw(t, ConnOptions{}, nil)
	go c.Apply(context.Background(), threeMods())
	var types []Type
	var data []string
	for range 4 {
		h, b := p.read()
		types = append(types, h.Type)
		data = append(data, string(b[HeaderLen:]))
	}
	if types[3] != TypeBarrierRequest || data[0] != "a" || data[1] != "b" || data[2] != "c" {
		t.Fatalf("batch arrived as %v %q", types, data)
	}
}

func TestApplyBarrierError(t *testing.T) {
	err := applyWithPeer(t, threeMods(), func(p *rawPeer, xids []uint32) {
		p.send(xids[3], &ErrorMsg{ErrType: ErrTypeBadRequest, Code: 1})
	})
	var be *BatchError
	if err == nil || errors.As(err, &be) {
		t.Fatalf("Apply = %v, want a plain barrier failure", err)
	}
}

func TestApplyEmptyIsBarrier(t *testing.T) {
	err := applyWithPeer(t, nil, func(p *rawPeer, xids []uint32) {
		p.send(xids[0], &BarrierReply{})
	})
	if err != nil {
		t.Fatalf("Apply(nil) = %v", err)
	}
}

// Two batches in flight: both are on the wire, each behind its own
// barrier, before either is answered, and each learns its own outcome
// (the first's rejected message does not leak into the second).
func TestApplyAsyncPipelines(t *testing.T) {
	c, p, _ := servedRaw(t, ConnOptions{}, nil)
	first, err := c.ApplyAsync(threeMods())
	if err != nil {
		t.Fatal(err)
	}
	second, err := c.ApplyAsync([]Message{&EchoReply{Data: []byte("d")}})
	if err != nil {
		t.Fatal(err)
	}
	var xids []uint32
	var types []Type
	for range 6 {
		h, _ := p.read()
		xids = append(xids, h.XID)
		types = append(types, h.Type)
	}
	if types[3] != TypeBarrierRequest || types[5] != TypeBarrierRequest {
		t.Fatalf("wire order %v, want 3 messages, barrier, 1 message, barrier", types)
	}
	p.send(xids[0], &ErrorMsg{ErrType: ErrTypeFlowModFailed, Code: 1})
	p.send(xids[3], &BarrierReply{})
	p.send(xids[5], &BarrierReply{})
	ctx, cancel := context.WithTimeout(context.Background(), testWait)
	defer cancel()
	var be *BatchError
	if err := first.Wait(ctx); !errors.As(err, &be) || len(be.Failures) != 1 || be.Failures[0].Index != 0 {
		t.Fatalf("first batch: %v, want its message 0 rejected", err)
	}
	if err := second.Wait(ctx); err != nil {
		t.Fatalf("second batch: %v", err)
	}
	if n := pendingCount(c); n != 0 {
		t.Errorf("%d pending entries after both waits", n)
	}
}
