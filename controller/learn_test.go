package controller

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/netip"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/lorispack/loris/ofproto"
	"github.com/lorispack/loris/policy"
	"github.com/lorispack/loris/store"
	"github.com/lorispack/loris/topology"
)

// learnFixture: hosts h1, h2; pod blue with a (h1) and b (h2).
func learnFixture(t *testing.T, st store.Store) (*Controller, topology.Attachment, topology.Attachment) {
	t.Helper()
	c, _ := newTestAPI(t, st)
	return c, addLearnFixture(t, c, "a", "h1"), addLearnFixture(t, c, "b", "h2")
}

func addLearnFixture(t *testing.T, c *Controller, name, host string) topology.Attachment {
	t.Helper()
	n := map[string]int{"h1": 1, "h2": 2}[host]
	if _, _, err := c.AddHost(topology.Host{Name: host, DatapathID: topology.DatapathID(n),
		TunnelIP: netip.AddrFrom4([4]byte{198, 18, 0, byte(n)})}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.AddPod("blue", 0); err != nil && !strings.Contains(err.Error(), "exists") {
		t.Fatal(err)
	}
	a, err := c.Attach(topology.Attachment{Host: host, Container: name, IfName: "eth0", Port: "p-" + name, Pod: "blue",
		IP: netip.MustParsePrefix("10.244.0." + map[string]string{"a": "1", "b": "2"}[name] + "/24")})
	if err != nil {
		t.Fatal(err)
	}
	return a
}

func kinds(evs []Event) string {
	var ks []string
	for _, e := range evs {
		ks = append(ks, e.Kind)
	}
	return strings.Join(ks, ",")
}

func TestLearnMACsPersistsReportsAndReleases(t *testing.T) {
	st := store.NewMemory()
	c, a, b := learnFixture(t, st)
	macX := topology.MAC{0x02, 0xaa, 0, 0, 0, 1}
	reqs := []*learnRequest{{att: a, mac: macX}, {att: b, mac: macX}, {att: b, mac: a.MAC}}
	out, _, err := c.learnMACs(nil, reqs)
	if err != nil {
		t.Fatal(err)
	}
	if out[0].Result != topology.LearnBound || out[1].Result != topology.LearnRefused || out[2].Result != topology.LearnRefused {
		t.Fatalf("outcomes %+v", out)
	}
	if got := kinds(c.Events(0)); got != "learn,conflict,conflict" {
		t.Fatalf("events %s", got)
	}
	rep, err := c.MACs("blue")
	if err != nil || len(rep.Bindings) != 3 || len(rep.Conflicts) != 2 {
		t.Fatalf("MACs: %+v %v", rep, err)
	}
	// Learned state is stored right after the switches were told.
	if err := c.flushDeferred(); err != nil {
		t.Fatal(err)
	}
	// A repeat changes nothing: no event, no store write.
	before, _ := st.Load()
	if len(before.Learned) != 1 || len(before.Conflicts) != 2 {
		t.Fatalf("stored after learning: %+v %+v", before.Learned, before.Conflicts)
	}
	if _, _, err := c.learnMACs(nil, reqs); err != nil {
		t.Fatal(err)
	}
	c.flushDeferred()
	if after, _ := st.Load(); len(after.Learned) != len(before.Learned) || len(c.Events(0)) != 3 {
		t.Fatalf("repeat changed things: %d events", len(c.Events(0)))
	}
	// A controller restarted on the same store has the bindings.
	c2, err := New(Config{Store: st, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		t.Fatal(err)
	}
	if rep2, _ := c2.MACs(""); len(rep2.Bindings) != 3 || len(rep2.Conflicts) != 2 {
		t.Fatalf("after restart: %+v", rep2)
	}
	// a's port vanishes: macX is released, b's conflict over it cleared.
	id, err := c.releasePort("h1", a.Port)
	if err != nil || id != a.ID {
		t.Fatalf("releasePort: %q %v", id, err)
	}
	rep, _ = c.MACs("blue")
	if len(rep.Bindings) != 2 || len(rep.Conflicts) != 1 {
		t.Fatalf("after release: %+v", rep)
	}
	if got := kinds(c.Events(3)); got != "release" {
		t.Fatalf("release events: %s", got)
	}
	saved, _ := st.Load()
	if len(saved.Learned) != 0 || len(saved.Conflicts) != 1 {
		t.Fatalf("store after release: %+v %+v", saved.Learned, saved.Conflicts)
	}
	if out, _, _ := c.learnMACs(nil, []*learnRequest{{att: b, mac: macX}}); out[0].Result != topology.LearnBound {
		t.Fatalf("b could not take the released MAC: %+v", out)
	}
	if _, err := c.MACs("nope"); err == nil {
		t.Fatal("unknown pod accepted")
	}
}

func TestAttachRefusedForMACIsAnEvent(t *testing.T) {
	c, a, _ := learnFixture(t, nil)
	_, err := c.Attach(topology.Attachment{Host: "h2", Container: "dup", IfName: "eth0", Pod: "blue", MAC: a.MAC,
		IP: netip.MustParsePrefix("10.244.0.9/24")})
	if err == nil {
		t.Fatal("duplicate MAC attached")
	}
	evs := c.Events(0)
	if len(evs) != 1 || evs[0].Kind != EventConflict || evs[0].MAC != a.MAC.String() || evs[0].HolderID != a.ID {
		t.Fatalf("events %+v", evs)
	}
}

func TestEventsAPIFollow(t *testing.T) {
	c, srv := newTestAPI(t, nil)
	c.events.publish(Event{Kind: EventLearn, Message: "one"})
	code, body := call(t, srv, "GET", "/v1/events", "")
	if code != 200 || !strings.Contains(body, `"one"`) {
		t.Fatalf("%d %s", code, body)
	}
	if code, _ := call(t, srv, "GET", "/v1/events?after=x", ""); code != 400 {
		t.Fatalf("bad after: %d", code)
	}
	if code, body := call(t, srv, "GET", "/v1/macs", ""); code != 200 || !strings.Contains(body, `"bindings"`) {
		t.Fatalf("macs: %d %s", code, body)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, "GET", srv.URL+"/v1/events?follow=true", nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	sc := bufio.NewScanner(resp.Body)
	read := func() Event {
		t.Helper()
		if !sc.Scan() {
			t.Fatalf("stream ended: %v", sc.Err())
		}
		var e Event
		if err := json.Unmarshal(sc.Bytes(), &e); err != nil {
			t.Fatalf("%q: %v", sc.Text(), err)
		}
		return e
	}
	if e := read(); e.Message != "one" {
		t.Fatalf("backlog %+v", e)
	}
	c.events.publish(Event{Kind: EventConflict, Message: "two"})
	if e := read(); e.Message != "two" || e.Seq != 2 {
		t.Fatalf("live %+v", e)
	}
}

// The read loop side of the learner: only punt-flow packet-ins are queued,
// copied (the read buffer is reused), and a full queue drops instead of
// blocking.
func TestLearnerQueuesOnlyPuntsWithoutBlocking(t *testing.T) {
	l := newLearner(&session{})
	frame := []byte("\xff\xff\xff\xff\xff\xff\x02\x11\x22\x33\x44\x55\x08\x06")
	punt := func(cookie uint64) *ofproto.PacketIn {
		return &ofproto.PacketIn{Cookie: cookie, Match: ofproto.Match{Fields: []ofproto.OXM{ofproto.InPort(7)}}, Data: frame}
	}
	l.packetIn(punt(policy.Cookie(policy.KindMiss, 0)))
	l.packetIn(punt(0x1234))
	if len(l.queue) != 0 {
		t.Fatalf("queued %d packet-ins that no punt flow sent", len(l.queue))
	}
	l.packetIn(punt(policy.Cookie(policy.KindUnknownSource, 1)))
	frame[6] = 0xee
	it := <-l.queue
	if it.port != 7 || it.data[6] != 0x02 {
		t.Fatalf("queued %+v (port 7, copied data wanted)", it)
	}
	for range learnQueueLen + 5 {
		l.packetIn(punt(policy.Cookie(policy.KindUnknownSource, 1)))
	}
	if len(l.queue) != learnQueueLen || l.dropped.Load() != 5 {
		t.Fatalf("queue %d dropped %d, want %d and 5", len(l.queue), l.dropped.Load(), learnQueueLen)
	}
}

// Frames from MACs the snapshot already binds to their port skip the
// model: markKnown marks them, and learnMACs answers them as already
// bound without a model update; anything else still goes to the model.
func TestKnownMACsSkipTheModel(t *testing.T) {
	c, a, b := learnFixture(t, nil)
	macX := topology.MAC{0x02, 0xaa, 0, 0, 0, 7}
	if out, _, err := c.learnMACs(nil, []*learnRequest{{att: a, mac: macX}}); err != nil || out[0].Result != topology.LearnBound {
		t.Fatalf("learn: %+v %v", out, err)
	}
	snap := c.Snapshot()
	l := newLearner(&session{})
	reqs := l.markKnown(snap, []*learnRequest{{att: a, port: 7, mac: macX}, {att: a, port: 7, mac: a.MAC}, {att: b, port: 9, mac: macX}})
	if !reqs[0].known || !reqs[1].known || reqs[2].known {
		t.Fatalf("known = %v %v %v, want true true false (b does not hold macX)", reqs[0].known, reqs[1].known, reqs[2].known)
	}
	out, _, err := c.learnMACs(nil, reqs[:2])
	if err != nil || out[0].Result != topology.LearnAlreadyBound || out[1].Result != topology.LearnAlreadyBound {
		t.Fatalf("known requests: %+v %v", out, err)
	}
	if c.Snapshot() != snap {
		t.Fatal("known requests changed the model")
	}
	out, _, err = c.learnMACs(nil, reqs[2:])
	if err != nil || out[0].Result != topology.LearnRefused {
		t.Fatalf("b's frame from a's learned MAC: %+v %v, want refused", out, err)
	}
	// The learner's memory of them gives the same answers, and forgets
	// them when the snapshot changes.
	fresh := func() []*learnRequest {
		return []*learnRequest{{att: a, port: 7, mac: macX}, {att: b, port: 9, mac: macX}, {att: b, port: 7, mac: macX}}
	}
	for range 2 {
		r := l.markKnown(c.Snapshot(), fresh())
		if !r[0].known || r[1].known || r[2].known {
			t.Fatalf("markKnown = %v %v %v, want true false false (port 7 is a's)", r[0].known, r[1].known, r[2].known)
		}
	}
	if _, err := c.releasePort("h1", a.Port); err != nil {
		t.Fatal(err)
	}
	if r := l.markKnown(c.Snapshot(), fresh()); r[0].known {
		t.Fatal("markKnown kept a released MAC as bound after the snapshot changed")
	}
}

// A batch's frames become one request per (port, source MAC), in order of
// first appearance, with up to 4 frames each; port numbers whose packed
// map keys collide (they differ above bit 16) stay apart; frames from
// unknown ports, short frames and multicast sources are dropped; the
// buffers are reused by the next batch without mixing the two.
func TestLearnRequestsGroupByPortAndMAC(t *testing.T) {
	macX, macY := topology.MAC{0x02, 0xaa, 0, 0, 0, 1}, topology.MAC{0x02, 0xaa, 0, 0, 0, 2}
	a := topology.Attachment{ID: "a", Port: "pa"}
	b := topology.Attachment{ID: "b", Port: "pb"}
	const pa, pb = 1, 1 + 1<<16
	if (portMAC{pa, macX}).key() != (portMAC{pb, macX}).key() { // the packed port keeps 16 bits
		t.Fatal("the test needs two ports whose keys collide")
	}
	frame := func(src topology.MAC, n byte) []byte {
		return append(arpBroadcastHeader(src), n)
	}
	multicast := topology.MAC{0x01, 0, 0x5e, 0, 0, 1}
	l := &learner{reqIndex: map[uint64]int{}}
	byPortNo := map[uint32]topology.Attachment{pa: a, pb: b}
	batch := []learnItem{
		{pa, frame(macX, 1)}, {pb, frame(macX, 2)}, {pa, frame(macX, 3)}, {9, frame(macX, 4)},
		{pa, frame(multicast, 5)}, {pa, []byte{1, 2, 3}}, {pb, frame(macY, 6)},
		{pa, frame(macX, 7)}, {pa, frame(macX, 8)}, {pa, frame(macX, 9)},
	}
	got := describeRequests(l.requests(batch, byPortNo))
	want := []string{"a port 1 " + macX.String() + " frames [1 3 7 8]", "b port 65537 " + macX.String() + " frames [2]",
		"b port 65537 " + macY.String() + " frames [6]"}
	if !slices.Equal(got, want) {
		t.Fatalf("requests\n got %q\nwant %q", got, want)
	}
	got = describeRequests(l.requests([]learnItem{{pb, frame(macY, 10)}}, byPortNo))
	if want := []string{"b port 65537 " + macY.String() + " frames [10]"}; !slices.Equal(got, want) {
		t.Fatalf("next batch's requests\n got %q\nwant %q", got, want)
	}
}

func describeRequests(reqs []*learnRequest) []string {
	var out []string
	for _, r := range reqs {
		var tags []byte
		for _, f := range r.frames {
			tags = append(tags, f[len(f)-1])
		}
		out = append(out, fmt.Sprintf("%s port %d %s frames %v", r.att.ID, r.port, r.mac, tags))
	}
	return out
}
