package e2e

import (
	"context"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/netip"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/lorispack/loris/controller"
	"github.com/lorispack/loris/e2e/cluster"
)

// macs reads GET /v1/macs.
func (l *lab) macs(t *testing.T, pod string) controller.MACReport {
	t.Helper()
	path := "/v1/macs"
	if pod != "" {
		path += "?pod=" + pod
	}
	resp, err := l.apiGet(path, 5*time.Second)
	if err != nil {
		t.Fatalf("GET %s: %v", path, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: HTTP %d", path, resp.StatusCode)
	}
	var rep controller.MACReport
	if err := json.NewDecoder(resp.Body).Decode(&rep); err != nil {
		t.Fatal(err)
	}
	return rep
}

func (l *lab) events(t *testing.T) []controller.Event {
	t.Helper()
	resp, err := l.apiGet("/v1/events", 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var evs []controller.Event
	if err := json.NewDecoder(resp.Body).Decode(&evs); err != nil {
		t.Fatal(err)
	}
	return evs
}

func hasEvent(evs []controller.Event, kind, mac, host string) bool {
	for _, e := range evs {
		if e.Kind == kind && e.MAC == mac && (host == "" || e.Host == host) {
			return true
		}
	}
	return false
}

func setMAC(t *testing.T, c *cluster.Container, mac string) {
	t.Helper()
	if out, err := c.Run(context.Background(), "ip", "link", "set", "eth1", "address", mac); err != nil {
		t.Fatalf("set MAC of %s: %v\n%s", c.Name, err, out)
	}
	// Forget neighbours learned with the old MAC on both sides.
	c.Run(context.Background(), "ip", "neigh", "flush", "dev", "eth1")
}

// pingEventually retries a ping: the first frames from a new MAC wait for
// the controller to learn it.
func pingEventually(t *testing.T, l *lab, from, to *cluster.Container) error {
	t.Helper()
	return cluster.WaitFor(context.Background(), func() (bool, error) {
		return from.Ping(l.ips[to], 1, time.Second) == nil, nil
	}, 20*time.Second)
}

// TestMACConflicts is issue 4's proof on real OVS: a MAC is unique within
// a pod, across static (attach) and learned bindings; other pods may reuse
// it; a container taking another member's MAC is blocked and reported
// while the victim keeps working; detaching frees the MAC.
func TestMACConflicts(t *testing.T) {
	requireE2E(t)
	l := newLab(t, 2, "vxlan")
	h := l.c.Hosts
	l.lorisctl(h[0], "pod", "create", "blue")
	l.lorisctl(h[0], "pod", "create", "red")
	const macX = "02:00:00:00:aa:01"
	attachMAC := func(host *cluster.Host, name, pod, ip, mac string) (*cluster.Container, error) {
		ctr := l.c.AddContainer(host, name)
		ctr.Run(context.Background(), "sysctl", "-qw", "net.ipv6.conf.all.disable_ipv6=1")
		out, err := l.tryLorisctl(host, "attach", name, "--ip", ip, "--netns", ctr.NS, "--ovsdb", host.DB, "--pod", pod, "--mac", mac)
		if err != nil {
			return ctr, fmt.Errorf("%v: %s", err, out)
		}
		l.ips[ctr] = netip.MustParsePrefix(ip).Addr()
		l.pods[ctr] = pod
		return ctr, nil
	}
	a1, err := attachMAC(h[0], "a1", "blue", "10.244.5.1/16", macX)
	if err != nil {
		t.Fatal(err)
	}
	b1 := l.attach(h[1], "b1", "blue", "10.244.5.2/16")
	c1 := l.attach(h[1], "c1", "blue", "10.244.5.3/16")
	p1, err := attachMAC(h[1], "p1", "red", "10.244.6.1/16", macX) // same MAC, other pod
	if err != nil {
		t.Fatalf("same MAC in another pod refused: %v", err)
	}
	p2 := l.attach(h[0], "p2", "red", "10.244.6.2/16")
	l.waitConverged()
	checkMatrix(t, l, []*cluster.Container{a1, b1, c1, p1, p2})

	// 1. The same MAC in the same pod on the other host is refused at
	// attach, and reported.
	if _, err := attachMAC(h[1], "a2", "blue", "10.244.5.4/16", macX); err == nil || !strings.Contains(err.Error(), "MAC") {
		t.Fatalf("second attach with %s in blue: err %v, want a MAC conflict", macX, err)
	}
	if evs := l.events(t); !hasEvent(evs, controller.EventConflict, macX, h[1].Name) {
		t.Errorf("no conflict event for the refused attach: %+v", evs)
	}

	// 2. A container changing its MAC to a free one: learned, and keeps
	// talking (its first frame is re-injected, not lost).
	const macY = "02:00:00:00:bb:01"
	setMAC(t, c1, macY)
	// Peers still cache c1's old MAC; Linux sends no gratuitous ARP on a
	// MAC change by default, so forget it as an announcement would.
	a1.Run(context.Background(), "ip", "neigh", "flush", "dev", "eth1")
	if err := pingEventually(t, l, c1, a1); err != nil {
		t.Fatalf("c1 with learned MAC %s cannot reach a1: %v\n%s", macY, err, l.ctl.LogTail(30))
	}
	found := false
	for _, b := range l.macs(t, "blue").Bindings {
		if b.MAC.String() == macY && b.Learned && b.Host == h[1].Name {
			found = true
		}
	}
	if !found {
		t.Errorf("lorisctl macs does not show %s learned on %s:\n%s", macY, h[1].Name, l.lorisctl(h[0], "macs", "--pod", "blue"))
	}

	// 3. b1 takes a1's MAC: refused (drop flow on h1 only), reported, and
	// a1 keeps working with c1.
	origB1 := containerMAC(t, b1)
	setMAC(t, b1, macX)
	b1.Ping(l.ips[a1], 2, 2*time.Second) // makes frames from macX on b1's port; must fail
	err = cluster.WaitFor(context.Background(), func() (bool, error) {
		for _, cf := range l.macs(t, "blue").Conflicts {
			if cf.MAC.String() == macX && cf.Host == h[1].Name {
				return true, nil
			}
		}
		return false, nil
	}, 15*time.Second)
	if err != nil {
		t.Fatalf("b1 spoofing %s was not reported as a conflict:\n%s", macX, l.lorisctl(h[0], "macs"))
	}
	macsOut := l.lorisctl(h[0], "macs", "--pod", "blue")
	t.Logf("lorisctl macs --pod blue:\n%s", macsOut)
	if !strings.Contains(macsOut, "Conflicts") || !strings.Contains(macsOut, macX) {
		t.Errorf("lorisctl macs lacks the conflict:\n%s", macsOut)
	}
	eventsOut := l.lorisctl(h[0], "events")
	t.Logf("lorisctl events:\n%s", eventsOut)
	if !strings.Contains(eventsOut, "conflict") || !strings.Contains(eventsOut, "learn") {
		t.Errorf("lorisctl events lacks learn/conflict:\n%s", eventsOut)
	}
	l.waitConverged()
	if err := b1.Ping(l.ips[a1], 2, 2*time.Second); err == nil {
		t.Errorf("b1 with a1's MAC still reaches a1")
	}
	if err := pingEventually(t, l, c1, a1); err != nil {
		t.Errorf("victim a1 unreachable from c1 while b1 spoofs its MAC: %v", err)
	}
	if err := a1.Ping(l.ips[p2], 1, time.Second); err == nil {
		t.Errorf("a1 reaches red p2")
	}
	if err := p1.Ping(l.ips[p2], 2, 2*time.Second); err != nil {
		t.Errorf("red p1 with %s lost p2: %v", macX, err)
	}
	drops := 0
	for i, host := range h {
		flows, _ := host.DumpFlows("br-loris")
		for _, f := range flows {
			if strings.Contains(f, "priority=20") && strings.Contains(f, "dl_src="+macX) {
				drops++
				if i != 1 {
					t.Errorf("refused-MAC drop flow on %s, want only on %s: %s", host.Name, h[1].Name, f)
				}
			}
		}
	}
	if drops != 1 {
		t.Errorf("%d drop flows for (b1's port, %s), want 1", drops, macX)
	}

	// 4. b1 goes back to its own MAC; detaching a1 frees macX for a2.
	setMAC(t, b1, origB1)
	c1.Run(context.Background(), "ip", "neigh", "flush", "dev", "eth1")
	l.lorisctl(a1.Host, "detach", a1.Name, "--netns", a1.NS, "--ovsdb", a1.Host.DB)
	l.waitConverged()
	a2, err := attachMAC(h[1], "a2b", "blue", "10.244.5.4/16", macX)
	if err != nil {
		t.Fatalf("attach with %s after a1 left: %v", macX, err)
	}
	l.waitConverged()
	if err := pingEventually(t, l, a2, c1); err != nil {
		t.Errorf("a2 with %s cannot reach c1: %v", macX, err)
	}
	if err := pingEventually(t, l, b1, a2); err != nil {
		t.Errorf("b1 (own MAC again) cannot reach a2: %v", err)
	}

	// 5. Bindings are stored: a killed and restarted controller still has
	// c1's learned MAC and changes no flow.
	l.waitConverged()
	beforeKill := map[*cluster.Host]map[string]float64{}
	for _, host := range h {
		beforeKill[host] = flowAges(t, host)
	}
	l.ctl.Kill9()
	l.startController()
	st := l.waitConverged()
	for _, host := range h {
		checkUntouched(t, host, beforeKill[host], flowAges(t, host), nil)
	}
	for _, s := range st.Switches {
		if s.FlowAdds != 0 || s.FlowDeletes != 0 || s.GroupMods != 0 {
			t.Errorf("restart changed %s: flow_adds=%d flow_deletes=%d group_mods=%d", s.Host, s.FlowAdds, s.FlowDeletes, s.GroupMods)
		}
	}
	// Meters and the ARP responder's Nicira actions read back equal too:
	// the restarted controller logs no reconciliation that sent anything.
	if tail := l.ctl.LogTail(200); strings.Contains(tail, "msg=reconciled") {
		t.Errorf("restart with unchanged state changed a switch:\n%s", tail)
	}
	var c1Port string
	for _, b := range l.macs(t, "blue").Bindings {
		if b.MAC.String() == macY && b.Learned {
			c1Port = b.Port
		}
	}
	if c1Port == "" {
		t.Fatalf("learned %s lost across the restart:\n%s", macY, l.lorisctl(h[0], "macs"))
	}
	if err := pingEventually(t, l, c1, a2); err != nil {
		t.Errorf("c1 (learned %s) cannot reach a2 after the restart: %v", macY, err)
	}

	// 6. c1's port leaves the bridge: its learned MAC is released (event),
	// its static MAC stays with the attachment, and the MAC can move to b1.
	if out, err := h[1].Vsctl("del-port", "br-loris", c1Port); err != nil {
		t.Fatalf("del-port %s: %v\n%s", c1Port, err, out)
	}
	err = cluster.WaitFor(context.Background(), func() (bool, error) {
		return hasEvent(l.events(t), controller.EventRelease, macY, h[1].Name), nil
	}, 15*time.Second)
	if err != nil {
		t.Fatalf("no release event for %s after its port left: %v", macY, err)
	}
	setMAC(t, b1, macY)
	a2.Run(context.Background(), "ip", "neigh", "flush", "dev", "eth1")
	if err := pingEventually(t, l, b1, a2); err != nil {
		t.Errorf("b1 cannot use %s after c1's port left: %v", macY, err)
	}
	moved := false
	for _, b := range l.macs(t, "blue").Bindings {
		moved = moved || (b.MAC.String() == macY && b.Learned && b.Port != c1Port)
	}
	if !moved {
		t.Errorf("%s did not move to b1:\n%s", macY, l.lorisctl(h[0], "macs", "--pod", "blue"))
	}
}

// attachAndReach attaches name on h and returns how long until it pings
// peer.
func attachAndReach(t *testing.T, l *lab, h *cluster.Host, name, ip string, peer *cluster.Container) time.Duration {
	t.Helper()
	start := time.Now()
	n := l.attach(h, name, "", ip)
	if err := pingEventually(t, l, n, peer); err != nil {
		t.Fatalf("%s never reached %s: %v", name, peer.Name, err)
	}
	return time.Since(start)
}

// metricSum adds up the samples of a Prometheus metric from /metrics.
func (l *lab) metricSum(t *testing.T, name string) float64 {
	t.Helper()
	resp, err := l.apiGet("/metrics", 5*time.Second)
	if err != nil {
		t.Fatalf("GET /metrics: %v", err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	var sum float64
	for _, line := range strings.Split(string(b), "\n") {
		if !strings.HasPrefix(line, name+"{") && !strings.HasPrefix(line, name+" ") {
			continue
		}
		f := strings.Fields(line)
		v, err := strconv.ParseFloat(f[len(f)-1], 64)
		if err == nil {
			sum += v
		}
	}
	return sum
}

// floodMACs sends n broadcast frames from random unicast source MACs out
// of the container's eth1, about rate a second, and reports how long it
// took.
func floodMACs(t *testing.T, c *cluster.Container, n, rate int) <-chan time.Duration {
	t.Helper()
	fd, err := packetSocketIn(c.NS, "eth1")
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan time.Duration, 1)
	go func() {
		defer unix.Close(fd)
		start := time.Now()
		rng := rand.New(rand.NewPCG(1, 2))
		frame := make([]byte, 60)
		copy(frame, []byte{0xff, 0xff, 0xff, 0xff, 0xff, 0xff})
		binary.BigEndian.PutUint16(frame[12:], 0x88b5) // local experimental ethertype
		// Pace in steps of 1 ms so that the flood spans the measurements.
		perTick := max(1, rate/1000)
		tick := time.NewTicker(time.Millisecond)
		defer tick.Stop()
		for i := range n {
			binary.BigEndian.PutUint64(frame[4:12], rng.Uint64())
			frame[6] = 0x02 // unicast, locally administered
			unix.Write(fd, frame)
			if i%perTick == perTick-1 {
				<-tick.C
			}
		}
		done <- time.Since(start)
	}()
	return done
}

// TestMACFlood: a container sending 10,000 frames from random source MACs
// does not starve the controller. Its port's meter bounds the packet-ins,
// the per-switch queue bounds the work, and the port stops learning at its
// limit. Meanwhile new attachments converge about as fast as without the
// flood, both between the other switches and on the flooder's own switch.
func TestMACFlood(t *testing.T) {
	requireE2E(t)
	l := newLab(t, 3, "vxlan")
	h := l.c.Hosts
	f := l.attach(h[0], "f", "", "10.244.7.1/16")
	m := l.attach(h[1], "m", "", "10.244.7.2/16")
	l.waitConverged()
	idleOther := attachAndReach(t, l, h[2], "n0", "10.244.7.10/16", m)
	idleOwn := attachAndReach(t, l, h[0], "o0", "10.244.7.20/16", m)
	packetIns0 := l.metricSum(t, "loris_openflow_packet_ins_total")

	const frames = 10000
	done := floodMACs(t, f, frames, 2000)
	floodOther := attachAndReach(t, l, h[2], "n1", "10.244.7.11/16", m)
	floodOwn := attachAndReach(t, l, h[0], "o1", "10.244.7.21/16", m)
	apiStart := time.Now()
	if _, err := l.status(); err != nil {
		t.Fatalf("status during the flood: %v", err)
	}
	apiLatency := time.Since(apiStart)
	floodTook := <-done
	l.waitConverged()
	packetIns := l.metricSum(t, "loris_openflow_packet_ins_total") - packetIns0

	learned := 0
	for _, b := range l.macs(t, "default").Bindings {
		if b.Learned && b.Host == h[0].Name {
			learned++
		}
	}
	limit := false
	for _, e := range l.events(t) {
		limit = limit || e.Kind == controller.EventLimit
	}
	meters, err := h[0].Ofctl("br-loris", "meter-stats")
	if err != nil {
		meters = err.Error()
	}
	t.Logf("flood: %d frames with random source MACs in %s from %s", frames, floodTook, f.Name)
	t.Logf("packet-ins received by the controller during the flood: %.0f (meter: %d/s, burst %d)", packetIns, 100, 20)
	t.Logf("attach-to-ping, other switches (%s -> %s): %s idle, %s during the flood", h[2].Name, h[1].Name, idleOther, floodOther)
	t.Logf("attach-to-ping, flooder's switch (%s -> %s): %s idle, %s during the flood", h[0].Name, h[1].Name, idleOwn, floodOwn)
	t.Logf("API status during the flood answered in %s; MACs learned from the flood: %d (limit event: %v)", apiLatency, learned, limit)
	t.Logf("meter stats on %s:\n%s", h[0].Name, meters)
	var took []string
	for _, line := range strings.Split(l.ctl.LogTail(400), "\n") {
		if strings.Contains(line, "msg=reconciled") && strings.Contains(line, "host="+h[0].Name+" ") {
			if i := strings.Index(line, "took="); i >= 0 {
				took = append(took, line[i+len("took="):])
			}
		}
	}
	t.Logf("reconciliations of the flooder's switch %s (controller side, last %d): %s", h[0].Name, min(len(took), 8), strings.Join(took[max(0, len(took)-8):], " "))
	if learned > 16 {
		t.Errorf("learned %d MACs from one port, limit is 16", learned)
	}
	if !limit {
		t.Errorf("no limit event for the flooding port")
	}
	// The meter allows 100/s plus a burst of 20 per port: the flood must
	// not reach the controller at anything near its own rate.
	if maxIns := 100*floodTook.Seconds() + 20 + 200; packetIns > maxIns {
		t.Errorf("%.0f packet-ins in %s: the meter did not hold (want at most %.0f)", packetIns, floodTook, maxIns)
	}
	for what, d := range map[string][2]time.Duration{"other switches": {idleOther, floodOther}, "flooder's switch": {idleOwn, floodOwn}} {
		if d[1] > d[0]+5*time.Second {
			t.Errorf("controller starved (%s): attach took %s during the flood, %s idle", what, d[1], d[0])
		}
	}
	if err := f.Ping(l.ips[m], 2, 2*time.Second); err != nil {
		t.Errorf("flooding container lost its own connectivity: %v", err)
	}
}

var classifyFlow = regexp.MustCompile(`in_port=(\d+),dl_src=([0-9a-f:]{17})`)

// ofportOfMAC finds the OpenFlow port a MAC is bound to from a host's flows
// (the keys of flowAges).
func ofportOfMAC(t *testing.T, flows map[string]float64, mac string) string {
	t.Helper()
	for f := range flows {
		if m := classifyFlow.FindStringSubmatch(f); m != nil && m[2] == mac {
			return m[1]
		}
	}
	t.Fatalf("no classify flow for %s", mac)
	return ""
}

// arpRequest builds a broadcast ARP request from mac/ip for target.
func arpRequest(mac [6]byte, ip, target netip.Addr) []byte {
	f := make([]byte, 60)
	copy(f, []byte{0xff, 0xff, 0xff, 0xff, 0xff, 0xff})
	copy(f[6:], mac[:])
	binary.BigEndian.PutUint16(f[12:], 0x0806)
	binary.BigEndian.PutUint16(f[14:], 1)      // Ethernet
	binary.BigEndian.PutUint16(f[16:], 0x0800) // IPv4
	f[18], f[19] = 6, 4
	binary.BigEndian.PutUint16(f[20:], 1) // request
	copy(f[22:], mac[:])
	spa, tpa := ip.As4(), target.As4()
	copy(f[28:], spa[:])
	copy(f[38:], tpa[:])
	return f
}

// TestMACLearnReinjectsFirstFrame: the very first frame from a new MAC is
// not lost. One ARP request from an unseen MAC goes to the controller, which
// learns the MAC and re-injects the frame; the pod member on the other host
// receives exactly that one request.
func TestMACLearnReinjectsFirstFrame(t *testing.T) {
	requireE2E(t)
	l := newLab(t, 2, "vxlan")
	h := l.c.Hosts
	l.lorisctl(h[0], "pod", "create", "blue")
	src := l.attach(h[0], "s", "blue", "10.244.8.1/16")
	dst := l.attach(h[1], "d", "blue", "10.244.8.2/16")
	l.waitConverged()
	// Warm the underlay: OVS's userspace tunnel drops the first frame to
	// a remote endpoint whose underlay MAC it has not resolved yet, which
	// would look like a lost re-injection.
	if err := src.Ping(l.ips[dst], 1, 3*time.Second); err != nil {
		t.Fatalf("s -> d before the test: %v", err)
	}
	target := netip.MustParseAddr("10.244.8.99") // nobody's: the request floods
	sn, err := sniffARP(dst.NS, "eth1", target)
	if err != nil {
		t.Fatal(err)
	}
	fd, err := packetSocketIn(src.NS, "eth1")
	if err != nil {
		sn.stop()
		t.Fatal(err)
	}
	defer unix.Close(fd)
	newMAC := [6]byte{0x02, 0x00, 0x00, 0x00, 0xcc, 0x01}
	if _, err := unix.Write(fd, arpRequest(newMAC, l.ips[src], target)); err != nil {
		sn.stop()
		t.Fatal(err)
	}
	err = cluster.WaitFor(context.Background(), func() (bool, error) { return sn.count.Load() >= 1, nil }, 10*time.Second)
	// Give a duplicate (a re-injection loop) the time to show up.
	more := cluster.WaitFor(context.Background(), func() (bool, error) { return sn.count.Load() >= 2, nil }, 2*time.Second)
	got := sn.stop()
	if err != nil {
		t.Fatalf("the first frame from a new MAC never reached the other host: %v\n%s", err, l.ctl.LogTail(20))
	}
	if more == nil || got != 1 {
		t.Errorf("the re-injected frame arrived %d times, want once", got)
	}
	learned := false
	for _, b := range l.macs(t, "blue").Bindings {
		learned = learned || (b.MAC == newMAC && b.Learned && b.Host == h[0].Name)
	}
	if !learned {
		t.Errorf("%x not learned on %s", newMAC, h[0].Name)
	}
}
