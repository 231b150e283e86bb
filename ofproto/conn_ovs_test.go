package ofproto

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"
)

// ovsSwitch is a private ovsdb-server + ovs-vswitchd pair in a temp dir,
// with one bridge whose ports are OVS "dummy" devices: no kernel module,
// no tap devices, nothing visible outside the two processes.
type ovsSwitch struct {
	t      *testing.T
	dir    string
	bridge string
}

var ovsBridgeSeq atomic.Int32

// The bridge's fixed ports.
const (
	ovsPort1     = 1
	ovsPort2     = 2
	ovsPortVXLAN = 10
)

func startOVS(t *testing.T) *ovsSwitch {
	t.Helper()
	if os.Getenv("LORIS_E2E") == "skip" {
		t.Skip("LORIS_E2E=skip: not running tests against Open vSwitch")
	}
	if os.Geteuid() != 0 {
		t.Skip("needs root to run a private Open vSwitch")
	}
	for _, bin := range []string{"ovsdb-tool", "ovsdb-server", "ovs-vswitchd", "ovs-vsctl", "ovs-ofctl"} {
		if _, err := exec.LookPath(bin); err != nil {
			t.Skipf("Open vSwitch not installed (%s not found)", bin)
		}
	}
	schema := "/usr/share/openvswitch/vswitch.ovsschema"
	if _, err := os.Stat(schema); err != nil {
		t.Skipf("Open vSwitch schema missing: %v", err)
	}
	s := &ovsSwitch{
		t:      t,
		dir:    t.TempDir(),
		bridge: fmt.Sprintf("h2b%d-%d", os.Getpid()%100000, ovsBridgeSeq.Add(1)),
	}
	s.run("ovsdb-tool", "create", s.path("conf.db"), schema)
	s.run("ovsdb-server", "--remote=punix:"+s.path("db.sock"), "--pidfile="+s.path("ovsdb.pid"),
		"--detach", "--log-file="+s.path("ovsdb.log"), s.path("conf.db"))
	t.Cleanup(func() { s.kill("ovsdb.pid") })
	s.vsctl("--no-wait", "init")
	s.run("ovs-vswitchd", "unix:"+s.path("db.sock"), "--pidfile="+s.path("vswitchd.pid"),
		"--detach", "--log-file="+s.path("vswitchd.log"), "--enable-dummy=override")
	t.Cleanup(func() { s.kill("vswitchd.pid") })
	b := s.bridge
	s.vsctl("add-br", b, "--", "set", "bridge", b, "datapath_type=netdev", "fail_mode=secure",
		"protocols=OpenFlow13", "other-config:disable-in-band=true",
		"--", "add-port", b, b+"p1", "--", "set", "interface", b+"p1", "type=dummy", fmt.Sprintf("ofport_request=%d", ovsPort1),
		"--", "add-port", b, b+"p2", "--", "set", "interface", b+"p2", "type=dummy", fmt.Sprintf("ofport_request=%d", ovsPort2),
		"--", "add-port", b, b+"vx", "--", "set", "interface", b+"vx", "type=vxlan",
		"options:remote_ip=flow", "options:key=flow", fmt.Sprintf("ofport_request=%d", ovsPortVXLAN))
	return s
}

func (s *ovsSwitch) path(name string) string { return filepath.Join(s.dir, name) }

func (s *ovsSwitch) run(name string, args ...string) string {
	s.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Env = append(os.Environ(), "OVS_RUNDIR="+s.dir, "OVS_LOGDIR="+s.dir, "OVS_DBDIR="+s.dir)
	start := time.Now()
	out, err := cmd.CombinedOutput()
	if d := time.Since(start); d > 300*time.Millisecond {
		s.t.Logf("%s %s took %v", name, args[0], d.Round(time.Millisecond))
	}
	if err != nil {
		s.t.Fatalf("%s %s: %v\n%s", name, strings.Join(args, " "), err, out)
	}
	return string(out)
}

func (s *ovsSwitch) vsctl(args ...string) string {
	s.t.Helper()
	return s.run("ovs-vsctl", append([]string{"--db=unix:" + s.path("db.sock")}, args...)...)
}

func (s *ovsSwitch) ofctl(args ...string) string {
	s.t.Helper()
	args = append([]string{"-O", "OpenFlow13"}, args...)
	args = append(args, "unix:"+s.path(s.bridge+".mgmt"))
	// ovs-ofctl takes the switch before further arguments.
	return s.run("ovs-ofctl", args...)
}

// kill stops a daemon by its pid file and waits (bounded) until it is
// gone. SIGKILL, because a graceful OVS shutdown takes seconds and a test
// switch has nothing worth saving.
func (s *ovsSwitch) kill(pidfile string) {
	b, err := os.ReadFile(s.path(pidfile))
	if err != nil {
		return
	}
	pid, err := strconv.Atoi(strings.TrimSpace(string(b)))
	if err != nil || pid <= 1 {
		return
	}
	if syscall.Kill(pid, syscall.SIGKILL) != nil {
		return
	}
	for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(5 * time.Millisecond) {
		if !processRunning(pid) {
			return
		}
	}
	s.t.Errorf("%s (pid %d) still running after SIGKILL", pidfile, pid)
}

// processRunning is false once pid has exited, even while it waits as a
// zombie for its parent (init) to reap it.
func processRunning(pid int) bool {
	stat, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return false
	}
	// The state follows the parenthesised command name.
	i := strings.LastIndexByte(string(stat), ')')
	return i < 0 || i+2 >= len(stat) || stat[i+2] != 'Z'
}

// connect points the bridge at a listener of ours and returns the
// handshaken, served connection OVS opens to it.
func (s *ovsSwitch) connect(h Handler) *Conn {
	s.t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		s.t.Fatal(err)
	}
	defer ln.Close()
	s.vsctl("set-controller", s.bridge, "tcp:"+ln.Addr().String())
	ln.(*net.TCPListener).SetDeadline(time.Now().Add(15 * time.Second))
	nc, err := ln.Accept()
	if err != nil {
		s.t.Fatalf("OVS did not connect: %v", err)
	}
	c := NewConn(nc, ConnOptions{})
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := c.Handshake(ctx); err != nil {
		s.t.Fatalf("handshake with OVS: %v", err)
	}
	startServe(s.t, c, h)
	return c
}

// dumpFlows is ovs-ofctl dump-flows without the volatile fields, one flow
// per line, sorted.
func (s *ovsSwitch) dumpFlows() []string {
	s.t.Helper()
	volatile := regexp.MustCompile(`(duration|n_packets|n_bytes|idle_age|hard_age)=[^,]*, ?`)
	var flows []string
	for _, line := range strings.Split(s.ofctl("dump-flows"), "\n") {
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, "OFPST_FLOW") {
			continue
		}
		flows = append(flows, volatile.ReplaceAllString(line, ""))
	}
	slices.Sort(flows)
	return flows
}

func ovsMAC(s string) net.HardwareAddr {
	a, err := net.ParseMAC(s)
	if err != nil {
		panic(err)
	}
	return a
}

func ovsAddFlow(table uint8, priority uint16, cookie uint64, match []OXM, ins ...Instruction) *FlowMod {
	return &FlowMod{
		Cookie: cookie, TableID: table, Command: FlowModAdd, Priority: priority,
		BufferID: BufferNone, OutPort: PortAny, OutGroup: GroupAny,
		Match: Match{Fields: match}, Instructions: ins,
	}
}

// testFlows are the flow shapes loris uses: forwarding by port and MAC,
// tunnel ingress with metadata, tunnel egress with tun_dst, flooding
// through a group.
func testFlows() []*FlowMod {
	return []*FlowMod{
		ovsAddFlow(0, 100, 0x11, []OXM{InPort(ovsPort1), EthDst(ovsMAC("02:00:00:00:00:02"))},
			InstructionApplyActions{Actions: []Action{ActionOutput{Port: ovsPort2, MaxLen: 0xffff}}}),
		ovsAddFlow(0, 200, 0x12, []OXM{InPort(ovsPortVXLAN), TunnelID(100), MetadataMasked(0x500, 0xff00)},
			InstructionWriteMetadata{Metadata: 0x64, Mask: 0xffff},
			InstructionGotoTable{TableID: 1}),
		ovsAddFlow(1, 300, 0x13, []OXM{MetadataMasked(0x64, 0xffff), EthDst(ovsMAC("02:00:00:00:01:01"))},
			InstructionApplyActions{Actions: []Action{
				ActionSetField{Field: TunnelID(100)},
				ActionSetField{Field: TunIPv4Dst(netip.MustParseAddr("198.18.0.2"))},
				ActionOutput{Port: ovsPortVXLAN, MaxLen: 0xffff},
			}}),
		ovsAddFlow(1, 50, 0x14, []OXM{MetadataMasked(0x64, 0xffff), EthDst(ovsMAC("ff:ff:ff:ff:ff:ff"))},
			InstructionApplyActions{Actions: []Action{ActionGroup{GroupID: 7}}}),
	}
}

// The same flows as ovs-ofctl prints them.
var testFlowDump = []string{
	"cookie=0x11, table=0, priority=100,in_port=1,dl_dst=02:00:00:00:00:02 actions=output:2",
	"cookie=0x12, table=0, priority=200,tun_id=0x64,metadata=0x500/0xff00,in_port=10 actions=write_metadata:0x64/0xffff,goto_table:1",
	"cookie=0x13, table=1, priority=300,metadata=0x64/0xffff,dl_dst=02:00:00:00:01:01 actions=set_field:0x64->tun_id,set_field:198.18.0.2->tun_dst,output:10",
	"cookie=0x14, table=1, priority=50,metadata=0x64/0xffff,dl_dst=ff:ff:ff:ff:ff:ff actions=group:7",
}

func testGroup() *GroupMod {
	return &GroupMod{Command: GroupModAdd, GroupType: GroupTypeAll, GroupID: 7, Buckets: []Bucket{
		{WatchPort: PortAny, WatchGroup: GroupAny, Actions: []Action{ActionOutput{Port: ovsPort1, MaxLen: 0xffff}}},
		{WatchPort: PortAny, WatchGroup: GroupAny, Actions: []Action{ActionOutput{Port: ovsPort2, MaxLen: 0xffff}}},
	}}
}

func TestOVSConnProgramsFlows(t *testing.T) {
	sw := startOVS(t)
	async := newCollector()
	c := sw.connect(async)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()

	// FEATURES: the datapath id must be the one OVS reports.
	h, m, err := c.Request(ctx, &FeaturesRequest{})
	if err != nil {
		t.Fatalf("FEATURES: %v", err)
	}
	fr, ok := m.(*FeaturesReply)
	if !ok || h.Type != TypeFeaturesReply {
		t.Fatalf("FEATURES answered with %s %T", h.Type, m)
	}
	want := strings.Trim(strings.TrimSpace(sw.vsctl("get", "bridge", sw.bridge, "datapath_id")), `"`)
	if got := fmt.Sprintf("%016x", fr.DatapathID); got != want {
		t.Fatalf("datapath id %s, OVS says %s", got, want)
	}

	// PORT_DESC over multipart.
	body, err := c.MultipartMerged(ctx, &MultipartRequest{Body: &PortDescRequest{}})
	if err != nil {
		t.Fatalf("PORT_DESC: %v", err)
	}
	ports := map[uint32]string{}
	for _, p := range body.(*PortDescReply).Ports {
		ports[p.PortNo] = p.Name
	}
	wantPorts := map[uint32]string{ovsPort1: sw.bridge + "p1", ovsPort2: sw.bridge + "p2", ovsPortVXLAN: sw.bridge + "vx", PortLocal: sw.bridge}
	if fmt.Sprint(ports) != fmt.Sprint(wantPorts) {
		t.Fatalf("ports %v, want %v", ports, wantPorts)
	}

	// Group first, then the flows that use it, confirmed by Apply.
	msgs := []Message{testGroup()}
	for _, f := range testFlows() {
		msgs = append(msgs, f)
	}
	if err := c.Apply(ctx, msgs); err != nil {
		t.Fatalf("Apply: %v", err)
	}
	if got := sw.dumpFlows(); !slices.Equal(got, ovsSorted(testFlowDump)) {
		t.Fatalf("dump-flows:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(ovsSorted(testFlowDump), "\n"))
	}
	t.Logf("dump-flows:\n%s", strings.Join(sw.dumpFlows(), "\n"))
	groups := sw.ofctl("dump-groups")
	if !strings.Contains(groups, "group_id=7,type=all,bucket=actions=output:1,bucket=actions=output:2") {
		t.Fatalf("dump-groups:\n%s", groups)
	}

	// Read the flows back over our own connection.
	body, err = c.MultipartMerged(ctx, &MultipartRequest{Body: &FlowStatsRequest{TableID: TableAll, OutPort: PortAny, OutGroup: GroupAny}})
	if err != nil {
		t.Fatalf("FLOW stats: %v", err)
	}
	stats := body.(*FlowStatsReply).Flows
	if len(stats) != len(testFlows()) {
		t.Fatalf("%d flows read back, want %d", len(stats), len(testFlows()))
	}
	for _, sent := range testFlows() {
		i := slices.IndexFunc(stats, func(fs FlowStats) bool { return fs.Cookie == sent.Cookie })
		if i < 0 {
			t.Errorf("flow with cookie %#x not read back", sent.Cookie)
			continue
		}
		got := stats[i]
		if got.TableID != sent.TableID || got.Priority != sent.Priority || !got.Match.Equal(sent.Match) {
			t.Errorf("flow %#x read back as %s, sent %s", sent.Cookie, got.String(), sent.String())
		}
		if !reflect.DeepEqual(got.Instructions, sent.Instructions) {
			t.Errorf("flow %#x instructions read back as %#v, sent %#v", sent.Cookie, got.Instructions, sent.Instructions)
		}
	}
}

func ovsSorted(s []string) []string {
	c := slices.Clone(s)
	slices.Sort(c)
	return c
}

func TestOVSApplyReportsRejectedFlow(t *testing.T) {
	sw := startOVS(t)
	c := sw.connect(nil)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	good1 := ovsAddFlow(0, 10, 0x21, []OXM{InPort(ovsPort1)}, InstructionApplyActions{Actions: []Action{ActionOutput{Port: ovsPort2, MaxLen: 0xffff}}})
	// goto_table must go forward: OVS rejects this one.
	bad := ovsAddFlow(2, 10, 0x22, []OXM{InPort(ovsPort1)}, InstructionGotoTable{TableID: 1})
	good2 := ovsAddFlow(0, 10, 0x23, []OXM{InPort(ovsPort2)}, InstructionApplyActions{Actions: []Action{ActionOutput{Port: ovsPort1, MaxLen: 0xffff}}})
	err := c.Apply(ctx, []Message{good1, bad, good2})
	var be *BatchError
	if !errors.As(err, &be) {
		t.Fatalf("Apply = %v, want *BatchError", err)
	}
	if len(be.Failures) != 1 || be.Failures[0].Index != 1 {
		t.Fatalf("failures %+v, want index 1 only", be.Failures)
	}
	var em *ErrorMsg
	if !errors.As(be.Failures[0].Err, &em) || em.ErrType != ErrTypeBadInstruction {
		t.Fatalf("failure %v, want BAD_INSTRUCTION", be.Failures[0].Err)
	}
	t.Logf("OVS said: %v", err)
	flows := sw.dumpFlows()
	if len(flows) != 2 || !strings.Contains(flows[0], "cookie=0x21") || !strings.Contains(flows[1], "cookie=0x23") {
		t.Fatalf("flows after partial failure:\n%s", strings.Join(flows, "\n"))
	}
}

func TestOVSApplyBundle(t *testing.T) {
	sw := startOVS(t)
	c := sw.connect(nil)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	flow := func(cookie uint64, inPort, out uint32) *FlowMod {
		return ovsAddFlow(0, 10, cookie, []OXM{InPort(inPort)}, InstructionApplyActions{Actions: []Action{ActionOutput{Port: out, MaxLen: 0xffff}}})
	}
	if err := c.ApplyBundle(ctx, []Message{flow(0x31, ovsPort1, ovsPort2), flow(0x32, ovsPort2, ovsPort1)}); err != nil {
		t.Fatalf("ApplyBundle: %v", err)
	}
	want := []string{
		"cookie=0x31, table=0, priority=10,in_port=1 actions=output:2",
		"cookie=0x32, table=0, priority=10,in_port=2 actions=output:1",
	}
	if got := sw.dumpFlows(); !slices.Equal(got, want) {
		t.Fatalf("after bundle:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}

	// A bundle with one bad message changes nothing.
	bad := ovsAddFlow(3, 10, 0x34, nil, InstructionGotoTable{TableID: 1})
	err := c.ApplyBundle(ctx, []Message{flow(0x33, ovsPortVXLAN, ovsPort1), bad, flow(0x35, PortLocal, ovsPort1)})
	var be *BatchError
	if !errors.As(err, &be) || len(be.Failures) != 1 || be.Failures[0].Index != 1 {
		t.Fatalf("ApplyBundle with a bad flow = %v, want a *BatchError naming index 1", err)
	}
	t.Logf("OVS said: %v", err)
	if got := sw.dumpFlows(); !slices.Equal(got, want) {
		t.Fatalf("a failed bundle changed the flows:\n%s", strings.Join(got, "\n"))
	}
}

func TestOVSPortStatusReachesHandler(t *testing.T) {
	sw := startOVS(t)
	added := make(chan Port, 8)
	mux := NewServeMux()
	mux.HandleFunc(TypePortStatus, func(c *Conn, h Header, m Message) {
		if ps := m.(*PortStatus); ps.Reason == PortReasonAdd {
			added <- ps.Port // Port holds no slices into the read buffer
		}
	})
	sw.connect(mux)
	name := sw.bridge + "p3"
	sw.vsctl("add-port", sw.bridge, name, "--", "set", "interface", name, "type=dummy", "ofport_request=3")
	select {
	case p := <-added:
		if p.Name != name || p.PortNo != 3 {
			t.Fatalf("PORT_STATUS ADD for %s/%d, want %s/3", p.Name, p.PortNo, name)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("no PORT_STATUS for the added port")
	}
}

// TestOVSApplyLargeBatch programs many flows in one Apply: they must all
// land, in few write syscalls.
func TestOVSApplyLargeBatch(t *testing.T) {
	sw := startOVS(t)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	sw.vsctl("set-controller", sw.bridge, "tcp:"+ln.Addr().String())
	ln.(*net.TCPListener).SetDeadline(time.Now().Add(15 * time.Second))
	nc, err := ln.Accept()
	if err != nil {
		t.Fatal(err)
	}
	cc := &countingConn{Conn: nc}
	c := NewConn(cc, ConnOptions{})
	startServe(t, c, nil)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	if err := c.Barrier(ctx); err != nil { // Serve did the handshake
		t.Fatal(err)
	}
	const n = 2000
	ms := make([]Message, n)
	for i := range ms {
		ms[i] = ovsAddFlow(0, 100, uint64(i+1), []OXM{InPort(ovsPort1), EthDst(net.HardwareAddr{2, 0, 0, 0, byte(i >> 8), byte(i)})},
			InstructionApplyActions{Actions: []Action{ActionOutput{Port: ovsPort2, MaxLen: 0xffff}}})
	}
	before := cc.writes.Load()
	start := time.Now()
	if err := c.Apply(ctx, ms); err != nil {
		t.Fatalf("Apply: %v", err)
	}
	elapsed := time.Since(start)
	writes := cc.writes.Load() - before
	bytes := len(Append(nil, 0, ms[0])) * n
	t.Logf("%d flows (%d bytes) applied in %v with %d write syscalls", n, bytes, elapsed.Round(time.Millisecond), writes)
	if max := int64(bytes/(64<<10) + 3); writes > max {
		t.Errorf("%d write syscalls, want at most %d", writes, max)
	}
	if got := len(sw.dumpFlows()); got != n {
		t.Fatalf("switch holds %d flows, want %d", got, n)
	}
}
