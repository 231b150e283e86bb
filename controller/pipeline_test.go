package controller

import (
	"bytes"
	"sync"
	"testing"
	"time"

	"github.com/lorispack/loris/ofproto"
	"github.com/lorispack/loris/policy"
	"github.com/lorispack/loris/topology"
)

// refusingSwitch is a stateSwitch that rejects, once, the first flow-mod
// naming one MAC, as a switch out of table space would.
type refusingSwitch struct {
	*stateSwitch
	mac topology.MAC

	mu      sync.Mutex
	refused bool
	reads   int // flow table reads
}

func (sw *refusingSwitch) handle(c *ofproto.Conn, h ofproto.Header, m ofproto.Message) {
	sw.mu.Lock()
	switch m := m.(type) {
	case *ofproto.FlowMod:
		if !sw.refused && m.Command == ofproto.FlowModAdd {
			for _, f := range m.Match.Fields {
				if bytes.Equal(f.Value, sw.mac[:]) {
					sw.refused = true
					sw.mu.Unlock()
					sw.reply(h, &ofproto.ErrorMsg{ErrType: ofproto.ErrTypeFlowModFailed, Code: 1})
					return
				}
			}
		}
	case *ofproto.MultipartRequest:
		if _, ok := m.Body.(*ofproto.FlowStatsRequest); ok {
			sw.reads++
		}
	}
	sw.mu.Unlock()
	sw.stateSwitch.handle(c, h, m)
}

// A learned MAC's round goes pipelined; the switch refuses one of its
// flows. The session must not take the round as done: it re-reads the
// switch and converges to exactly the desired state.
func TestPipelinedRoundRefusedRereadsTheSwitch(t *testing.T) {
	c, a, _ := learnFixture(t, nil)
	addr := serveOpenFlowForTest(t, c)
	mac := topology.MAC{0x02, 0xaa, 0xbb, 0, 0, 2}
	sw := &refusingSwitch{mac: mac, stateSwitch: newStateSwitch(t, 1,
		[]ofproto.Port{{PortNo: 1, Name: policy.TunnelPort}, {PortNo: 7, Name: a.Port}})}
	sw.connect(t, addr, sw.handle)
	settled := func() bool {
		for _, s := range c.Status().Switches {
			if s.Host == "h1" && s.Reconciles > 0 && !s.Pending {
				return true
			}
		}
		return false
	}
	metricsWaitFor(t, "h1 reconciled", 10*time.Second, settled)
	sw.mu.Lock()
	readsBefore := sw.reads
	sw.mu.Unlock()

	if _, _, err := c.learnMACs(nil, []*learnRequest{{att: a, mac: mac}}); err != nil {
		t.Fatal(err)
	}
	want := func() []string {
		return sw.differences(desiredState(policy.Compile(c.Snapshot(), "h1", sw.portMap())))
	}
	metricsWaitFor(t, "h1 holds exactly its desired state again", 10*time.Second, func() bool {
		return settled() && len(want()) == 0
	}, func() string { return "differences: " + joinLines(want()) })
	sw.mu.Lock()
	refused, reads := sw.refused, sw.reads
	sw.mu.Unlock()
	if !refused {
		t.Fatal("the switch never saw the learned MAC's flow")
	}
	if reads == readsBefore {
		t.Fatal("after a refused round the session did not re-read the switch")
	}
}

func joinLines(ls []string) string {
	var b bytes.Buffer
	for _, l := range ls {
		b.WriteString("\n  " + l)
	}
	return b.String()
}
