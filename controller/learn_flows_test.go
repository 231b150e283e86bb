package controller

import (
	"encoding/hex"
	"net/netip"
	"os/exec"
	"strings"
	"testing"

	"github.com/lorispack/loris/ofproto"
	"github.com/lorispack/loris/policy"
	"github.com/lorispack/loris/topology"
)

// TestLearningFlowsDecodeInOVS checks the encoding of the punt flow (meter
// instruction, output to the controller), the ARP responder (Nicira moves)
// and the punt meter with ovs-ofctl ofp-print, an independent decoder.
func TestLearningFlowsDecodeInOVS(t *testing.T) {
	if _, err := exec.LookPath("ovs-ofctl"); err != nil {
		t.Skip("ovs-ofctl not installed")
	}
	meta := uint64(100)
	mac := topology.MAC{0x02, 0, 0, 0, 0, 1}
	ip := netip.MustParseAddr("10.244.0.2")
	responder := policy.Flow{Table: policy.TableForwardLocalOrigin, Priority: policy.PriorityARPResponder,
		Match: policy.Match{EthType: 0x0806, Metadata: &meta, ArpOp: policy.ArpOpRequest, ArpTPA: ip},
		Instructions: policy.Instructions{Actions: []policy.Action{
			{Kind: policy.ActionMove, MoveSrc: policy.FieldEthSrc, MoveDst: policy.FieldEthDst},
			{Kind: policy.ActionSetEthSrc, MAC: mac},
			{Kind: policy.ActionSetArpOp, ArpOp: policy.ArpOpReply},
			{Kind: policy.ActionMove, MoveSrc: policy.FieldArpSHA, MoveDst: policy.FieldArpTHA},
			{Kind: policy.ActionMove, MoveSrc: policy.FieldArpSPA, MoveDst: policy.FieldArpTPA},
			{Kind: policy.ActionSetArpSHA, MAC: mac},
			{Kind: policy.ActionSetArpSPA, IP: ip},
			{Kind: policy.ActionOutput, Port: policy.PortInPort},
		}}}
	punt := policy.Flow{Table: policy.TableClassify, Priority: policy.PriorityUnknownSource,
		Match:        policy.Match{InPort: 7},
		Instructions: policy.Instructions{Meter: 7, Actions: []policy.Action{{Kind: policy.ActionOutput, Port: policy.PortController}}}}
	cases := []struct {
		msg  ofproto.Message
		want []string
	}{
		{flowMod(responder), []string{
			"arp_op=1", "arp_tpa=10.244.0.2",
			"move:NXM_OF_ETH_SRC[]->NXM_OF_ETH_DST[]", "set_field:02:00:00:00:00:01->eth_src",
			"move:NXM_NX_ARP_SHA[]->NXM_NX_ARP_THA[]", "move:NXM_OF_ARP_SPA[]->NXM_OF_ARP_TPA[]",
			"set_field:10.244.0.2->arp_spa", "IN_PORT",
		}},
		{flowMod(punt), []string{"in_port=7", "meter:7", "CONTROLLER:65535"}},
		{meterMod(policy.Meter{ID: 7, Rate: 100, Burst: 20}), []string{"meter=7", "pktps", "burst", "type=drop rate=100 burst_size=20"}},
	}
	for _, c := range cases {
		raw := ofproto.Append(nil, 1, c.msg)
		out, err := exec.Command("ovs-ofctl", "ofp-print", hex.EncodeToString(raw)).CombinedOutput()
		if err != nil {
			t.Fatalf("ofp-print: %v\n%s", err, out)
		}
		for _, w := range c.want {
			if !strings.Contains(string(out), w) {
				t.Errorf("ofp-print of %T lacks %q:\n%s", c.msg, w, out)
			}
		}
	}
}
