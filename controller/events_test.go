package controller

import (
	"fmt"
	"testing"
	"time"
)

func TestEventLogRingAndSubscribe(t *testing.T) {
	l := newEventLog(4)
	for i := range 6 {
		l.publish(Event{Kind: EventLearn, Message: fmt.Sprint(i)})
	}
	got := l.recent(0)
	if len(got) != 4 || got[0].Seq != 3 || got[3].Seq != 6 {
		t.Fatalf("ring kept %+v, want seq 3..6", got)
	}
	if got := l.recent(5); len(got) != 1 || got[0].Seq != 6 {
		t.Fatalf("recent(5) = %+v", got)
	}
	backlog, sub := l.subscribe(4)
	if len(backlog) != 2 || backlog[0].Seq != 5 {
		t.Fatalf("backlog %+v", backlog)
	}
	l.publish(Event{Kind: EventConflict})
	select {
	case e := <-sub.ch:
		if e.Seq != 7 || e.Kind != EventConflict {
			t.Fatalf("live event %+v", e)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("no live event")
	}
	// A subscriber that does not read loses events instead of blocking
	// the publisher, and learns how many.
	for range subscriberBuffer + 10 {
		l.publish(Event{Kind: EventLearn})
	}
	if n := l.takeDropped(sub); n != 10 {
		t.Fatalf("dropped %d, want 10", n)
	}
	l.unsubscribe(sub)
	l.publish(Event{Kind: EventLearn})
	if len(sub.ch) != subscriberBuffer {
		t.Fatalf("unsubscribed follower still receives")
	}
}
