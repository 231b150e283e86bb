package controller

import (
	"testing"
	"time"
)

func TestMsgBudgetRefillsAtRate(t *testing.T) {
	now := time.Unix(1000, 0)
	b := newMsgBudget(10, 5, func() time.Time { return now })
	for i := range 5 {
		if !b.take() {
			t.Fatalf("message %d of the burst refused", i)
		}
	}
	if b.take() {
		t.Fatal("message beyond the burst accepted")
	}
	now = now.Add(300 * time.Millisecond) // 3 messages' worth at 10/s
	for i := range 3 {
		if !b.take() {
			t.Fatalf("refilled message %d refused", i)
		}
	}
	if b.take() {
		t.Fatal("more than the refill accepted")
	}
	now = now.Add(time.Hour) // refill is capped at the burst
	n := 0
	for b.take() {
		n++
	}
	if n != 5 {
		t.Fatalf("after a long pause %d messages accepted, want the burst of 5", n)
	}
}
