package ofproto

import (
	"bytes"
	"context"
	"encoding/binary"
	"io"
	"net"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// proxiedMsg is one message that crossed the proxy between ovs-ofctl and
// a real Open vSwitch bridge.
type proxiedMsg struct {
	fromSwitch bool
	raw        []byte
	h          Header
	m          Message
	err        error
}

// ofctlProxy sits between ovs-ofctl and a bridge's management socket and
// decodes every message in both directions, so that Open vSwitch itself
// produces the messages our decoder reads: ovs-ofctl encodes requests
// (flow mods, bundles, groups, meters), the switch encodes replies.
type ofctlProxy struct {
	mu   sync.Mutex
	msgs []proxiedMsg
}

func (p *ofctlProxy) record(fromSwitch bool, raw []byte) {
	h, m, err := Decode(raw)
	p.mu.Lock()
	p.msgs = append(p.msgs, proxiedMsg{fromSwitch: fromSwitch, raw: raw, h: h, m: m, err: err})
	p.mu.Unlock()
}

// pump copies framed messages from src to dst, recording each.
func (p *ofctlProxy) pump(dst io.Writer, src io.Reader, fromSwitch bool) {
	hdr := make([]byte, HeaderLen)
	for {
		if _, err := io.ReadFull(src, hdr); err != nil {
			return
		}
		n := int(binary.BigEndian.Uint16(hdr[2:]))
		if n < HeaderLen {
			return
		}
		msg := make([]byte, n)
		copy(msg, hdr)
		if _, err := io.ReadFull(src, msg[HeaderLen:]); err != nil {
			return
		}
		p.record(fromSwitch, msg)
		if _, err := dst.Write(msg); err != nil {
			return
		}
	}
}

// session relays one ovs-ofctl connection to the bridge.
func (p *ofctlProxy) session(c net.Conn, mgmt string) {
	defer c.Close()
	sw, err := net.Dial("unix", mgmt)
	if err != nil {
		p.mu.Lock()
		p.msgs = append(p.msgs, proxiedMsg{err: err})
		p.mu.Unlock()
		return
	}
	defer sw.Close()
	deadline := time.Now().Add(20 * time.Second)
	_ = c.SetDeadline(deadline)
	_ = sw.SetDeadline(deadline)
	back := make(chan struct{})
	go func() { p.pump(c, sw, true); c.Close(); close(back) }()
	p.pump(sw, c, false)
	sw.Close()
	<-back
}

// ofctlThroughProxy runs "ovs-ofctl -O OpenFlow13 CMD <proxy> ARGS..." and
// returns every message exchanged.
func ofctlThroughProxy(t *testing.T, s *ovsSwitch, cmd string, args ...string) []proxiedMsg {
	var opts []string
	for strings.HasPrefix(cmd, "--") {
		opts, cmd, args = append(opts, cmd), args[0], args[1:]
	}
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	p := &ofctlProxy{}
	// ovs-ofctl may open several connections (show does), so accept until
	// the listener closes and wait for every session.
	var sessions sync.WaitGroup
	done := make(chan struct{})
	go func() {
		defer close(done)
		for {
			c, err := ln.Accept()
			if err != nil {
				sessions.Wait()
				return
			}
			sessions.Add(1)
			go func() {
				defer sessions.Done()
				p.session(c, s.path(s.bridge+".mgmt"))
			}()
		}
	}()
	target := "tcp:127.0.0.1:" + strconv.Itoa(ln.Addr().(*net.TCPAddr).Port)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	full := append(append([]string{"-O", "OpenFlow13", "--timeout=10"}, opts...), cmd, target)
	full = append(full, args...)
	out, err := exec.CommandContext(ctx, "ovs-ofctl", full...).CombinedOutput()
	ln.Close()
	<-done
	if err != nil {
		t.Fatalf("ovs-ofctl %s: %v\n%s\nexchanged: %+v", strings.Join(full, " "), err, out, p.msgs)
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.msgs
}

// checkProxied fails on any message we could not decode, and on any whose
// re-encoding differs from the bytes Open vSwitch produced.
func checkProxied(t *testing.T, msgs []proxiedMsg) {
	t.Helper()
	for _, pm := range msgs {
		if pm.err != nil {
			t.Errorf("cannot decode %s from %s: %v\n%x", pm.h.Type, side(pm.fromSwitch), pm.err, pm.raw)
			continue
		}
		if _, ok := pm.m.(*Hello); ok {
			continue // elements other than the version bitmap are not kept
		}
		if again := Append(nil, pm.h.XID, pm.m); !bytes.Equal(again, pm.raw) {
			t.Errorf("%s from %s changes when re-encoded\nOVS: %x\nour: %x", pm.h.Type, side(pm.fromSwitch), pm.raw, again)
		}
	}
}

func side(fromSwitch bool) string {
	if fromSwitch {
		return "ovs-vswitchd"
	}
	return "ovs-ofctl"
}

// sent returns the decoded messages of type T that went one way.
func proxiedOf[T Message](msgs []proxiedMsg, fromSwitch bool) []T {
	var out []T
	for _, pm := range msgs {
		if m, ok := pm.m.(T); ok && pm.fromSwitch == fromSwitch {
			out = append(out, m)
		}
	}
	return out
}

// TestOVSEncodingsDecode has Open vSwitch encode flow mods, bundles,
// groups, meters and every reply the controller reads, and checks that we
// decode all of them to what was asked for and re-encode them byte for byte.
func TestOVSEncodingsDecode(t *testing.T) {
	s := startOVS(t)

	t.Run("flow_mod", func(t *testing.T) {
		msgs := ofctlThroughProxy(t, s, "add-flow",
			"table=1,priority=100,in_port=1,dl_dst=02:00:00:00:00:01,tun_id=0x64,metadata=0x5/0xff,"+
				"actions=set_field:198.18.0.2->tun_dst,set_field:0x7->reg1,output:10,write_metadata:0x1/0xff,goto_table:2")
		checkProxied(t, msgs)
		fms := proxiedOf[*FlowMod](msgs, false)
		if len(fms) != 1 {
			t.Fatalf("%d FLOW_MODs", len(fms))
		}
		fm := fms[0]
		want := Match{Fields: []OXM{InPort(1), EthDst(mac("02:00:00:00:00:01")), TunnelID(100), MetadataMasked(5, 0xff)}}
		if !fm.Match.Equal(want) {
			t.Errorf("OVS match %s, want %s", fm.Match, want)
		}
		if got, want := InstructionsString(fm.Instructions), "actions=set_field:198.18.0.2->tun_dst,set_field:0x7->reg1,output:10,write_metadata:0x1/0xff,goto_table:2"; got != want {
			t.Errorf("instructions %s, want %s", got, want)
		}
		if fm.TableID != 1 || fm.Priority != 100 || fm.Command != FlowModAdd || fm.BufferID != BufferNone {
			t.Errorf("flow mod %s", fm)
		}
	})

	t.Run("bundle", func(t *testing.T) {
		msgs := ofctlThroughProxy(t, s, "--bundle", "add-flow", "priority=5,in_port=1,actions=output:2")
		checkProxied(t, msgs)
		var seq []string
		for _, pm := range msgs {
			switch m := pm.m.(type) {
			case *BundleControl:
				seq = append(seq, m.CtrlType.String())
			case *BundleAdd:
				seq = append(seq, "ADD")
				if m.XID != pm.h.XID {
					t.Errorf("bundle add inner xid %#x, outer %#x", m.XID, pm.h.XID)
				}
				if fm, ok := m.Message.(*FlowMod); !ok || !fm.Match.Equal(Match{Fields: []OXM{InPort(1)}}) {
					t.Errorf("bundled message %#v", m.Message)
				}
			}
		}
		want := []string{"OPEN_REQUEST", "OPEN_REPLY", "ADD", "COMMIT_REQUEST", "COMMIT_REPLY"}
		if strings.Join(seq, " ") != strings.Join(want, " ") {
			t.Errorf("bundle sequence %v, want %v", seq, want)
		}
	})

	t.Run("group_and_meter", func(t *testing.T) {
		msgs := ofctlThroughProxy(t, s, "add-group", "group_id=7,type=all,bucket=output:1,bucket=set_field:198.18.0.3->tun_dst,output:2")
		checkProxied(t, msgs)
		gms := proxiedOf[*GroupMod](msgs, false)
		if len(gms) != 1 {
			t.Fatalf("%d GROUP_MODs", len(gms))
		}
		if got, want := gms[0].String(), "group_id=7,type=all,bucket=actions=output:1,bucket=actions=set_field:198.18.0.3->tun_dst,output:2"; got != want {
			t.Errorf("group %q, want %q", got, want)
		}
		msgs = ofctlThroughProxy(t, s, "add-meter", "meter=3,kbps,burst,band=type=drop,rate=1000,burst_size=100")
		checkProxied(t, msgs)
		mms := proxiedOf[*MeterMod](msgs, false)
		if len(mms) != 1 || mms[0].MeterID != 3 || len(mms[0].Bands) != 1 || mms[0].Bands[0].Rate != 1000 {
			t.Fatalf("meter mods %#v", mms)
		}
	})

	t.Run("replies", func(t *testing.T) {
		for _, cmd := range [][]string{
			{"show"}, {"dump-flows"}, {"dump-aggregate"}, {"dump-tables"}, {"dump-ports"},
			{"dump-ports-desc"}, {"dump-groups"}, {"dump-group-stats"}, {"dump-meters"},
			{"meter-stats"}, {"get-frags"}, {"dump-desc"},
		} {
			msgs := ofctlThroughProxy(t, s, cmd[0], cmd[1:]...)
			checkProxied(t, msgs)
			if cmd[0] == "dump-flows" {
				checkDumpedFlows(t, msgs)
			}
			if len(proxiedOf[*MultipartReply](msgs, true))+len(proxiedOf[*FeaturesReply](msgs, true))+len(proxiedOf[*GetConfigReply](msgs, true)) == 0 {
				t.Errorf("%s: no reply decoded", cmd[0])
			}
		}
	})
}

// checkDumpedFlows finds the flows the earlier subtests installed in the
// switch's FLOW_STATS reply.
func checkDumpedFlows(t *testing.T, msgs []proxiedMsg) {
	t.Helper()
	var flows []FlowStats
	for _, r := range proxiedOf[*MultipartReply](msgs, true) {
		if fs, ok := r.Body.(*FlowStatsReply); ok {
			flows = append(flows, fs.Flows...)
		}
	}
	want := map[string]Match{
		"table 1 priority 100": {Fields: []OXM{InPort(1), EthDst(mac("02:00:00:00:00:01")), TunnelID(100), MetadataMasked(5, 0xff)}},
		"table 0 priority 5":   {Fields: []OXM{InPort(1)}},
	}
	for _, f := range flows {
		key := "table " + strconv.Itoa(int(f.TableID)) + " priority " + strconv.Itoa(int(f.Priority))
		if m, ok := want[key]; ok && f.Match.Equal(m) {
			delete(want, key)
		}
	}
	for key, m := range want {
		t.Errorf("dump-flows reply lacks %s %s; got %d flows", key, m, len(flows))
	}
}
