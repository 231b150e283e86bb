package e2e

import (
	"context"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/lorispack/loris/e2e/cluster"
)

var pingSummary = regexp.MustCompile(`(\d+) packets transmitted, (\d+) received`)

// TestControllerKill9 kills the controller with SIGKILL under a ping stream:
// the data plane keeps forwarding, the restarted controller restores its
// state from the database and reconciles without deleting or re-adding a
// single flow, and a host whose switch restarted converges again.
func TestControllerKill9(t *testing.T) {
	requireE2E(t)
	l := newLab(t, 3, "vxlan")
	lay := buildPods(t, l)
	r1, r2, r3 := lay.byName["r1"], lay.byName["r2"], lay.byName["r3"]
	if err := r1.Ping(l.ips[r2], 2, 2*time.Second); err != nil {
		t.Fatalf("r1 -> r2 before the kill: %v", err)
	}
	before := map[*cluster.Host]map[string]float64{}
	for _, h := range l.c.Hosts {
		before[h] = flowAges(t, h)
	}

	// A ping stream of 60 packets over ~6 s, the controller dead in the middle.
	streamDone := make(chan string, 1)
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		out, _ := r1.Run(ctx, "ping", "-c", "60", "-i", "0.1", "-W", "1", l.ips[r2].String())
		streamDone <- out
	}()
	// Kill once the stream is visibly flowing: r2 has received 5 more frames.
	rx0 := rxCount(t, r2)
	if err := cluster.WaitFor(context.Background(), func() (bool, error) { return rxCount(t, r2) >= rx0+5, nil }, 10*time.Second); err != nil {
		t.Fatalf("ping stream did not start: %v", err)
	}
	l.ctl.Kill9()
	deadline := time.Now().Add(2 * time.Second)
	for time.Now().Before(deadline) {
		if err := r3.Ping(l.ips[r1], 1, time.Second); err != nil {
			t.Errorf("r3 -> r1 failed while the controller was down: %v", err)
			break
		}
	}
	l.startController()
	st := l.waitConverged()
	out := <-streamDone
	m := pingSummary.FindStringSubmatch(out)
	if m == nil {
		t.Fatalf("no ping summary:\n%s", out)
	}
	sent, _ := strconv.Atoi(m[1])
	got, _ := strconv.Atoi(m[2])
	t.Logf("ping stream across the controller kill: %d sent, %d received", sent, got)
	if got != sent {
		t.Errorf("lost %d of %d packets while the controller was killed and restarted", sent-got, sent)
	}
	for _, s := range st.Switches {
		t.Logf("after restart %s: flow_adds=%d flow_deletes=%d group_mods=%d", s.Host, s.FlowAdds, s.FlowDeletes, s.GroupMods)
		if s.FlowDeletes != 0 || s.FlowAdds != 0 || s.GroupMods != 0 {
			t.Errorf("%s: restart with unchanged state sent flow_adds=%d flow_deletes=%d group_mods=%d, want all 0",
				s.Host, s.FlowAdds, s.FlowDeletes, s.GroupMods)
		}
	}
	for _, h := range l.c.Hosts {
		checkUntouched(t, h, before[h], flowAges(t, h), nil)
	}

	// A host whose ovs-vswitchd restarts comes back empty (userspace flows
	// are not persisted) and must converge when it reconnects.
	h3 := l.c.Hosts[2]
	h3.StopVswitchd()
	h3.StartVswitchd()
	l.waitConverged()
	err := cluster.WaitFor(context.Background(), func() (bool, error) {
		return r1.Ping(l.ips[r3], 1, time.Second) == nil, nil
	}, 20*time.Second)
	if err != nil {
		flows, _ := h3.DumpFlows("br-loris")
		t.Errorf("r1 -> r3 after h3's switch restarted: %v\nflows on h3:\n%s", err, strings.Join(flows, "\n"))
	}
	checkMatrix(t, l, lay.ctrs)
}
