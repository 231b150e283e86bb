package e2e

import (
	"context"
	"fmt"
	"net/netip"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/lorispack/loris/e2e/cluster"
)

// podLayout is the scenario: 3 hosts, 3 pods, one spanning all
// hosts, plus the default pod.
type podLayout struct {
	ctrs   []*cluster.Container
	byName map[string]*cluster.Container
}

func buildPods(t *testing.T, l *lab) podLayout {
	h := l.c.Hosts
	l.lorisctl(h[0], "pod", "create", "red")
	l.lorisctl(h[0], "pod", "create", "blue")
	l.lorisctl(h[0], "pod", "create", "green", "--vni", "4242")
	spec := []struct {
		host      int
		name, pod string
		ip        string
	}{
		{0, "r1", "red", "10.244.1.1/16"},
		{1, "r2", "red", "10.244.1.2/16"},
		{2, "r3", "red", "10.244.1.3/16"},
		{0, "b1", "blue", "10.244.2.1/16"},
		{1, "b2", "blue", "10.244.2.2/16"},
		{0, "b3", "blue", "10.244.2.3/16"},
		{1, "g1", "green", "10.244.3.1/16"},
		{2, "g2", "green", "10.244.3.2/16"},
		{2, "d1", "", "10.244.4.1/16"},
		{0, "d2", "", "10.244.4.2/16"},
	}
	lay := podLayout{byName: map[string]*cluster.Container{}}
	for _, s := range spec {
		c := l.attach(h[s.host], s.name, s.pod, s.ip)
		lay.ctrs = append(lay.ctrs, c)
		lay.byName[s.name] = c
	}
	l.waitConverged()
	return lay
}

// checkMatrix pings every ordered pair and asserts: same pod ⇔ reachable.
func checkMatrix(t *testing.T, l *lab, ctrs []*cluster.Container) {
	t.Helper()
	m := l.c.PingMatrix(ctrs, l.ips)
	t.Logf("ping matrix (row pings column):\n%s", m.String())
	for _, a := range ctrs {
		for _, b := range ctrs {
			if a == b {
				continue
			}
			want := l.pods[a] == l.pods[b]
			if got := m.Get(a, b); got != want {
				t.Errorf("%s (%s) -> %s (%s): reachable=%v, want %v", a.Name, l.pods[a], b.Name, l.pods[b], got, want)
			}
		}
	}
}

// checkNoCrossPodARP asserts that no container learned the MAC of a
// container in another pod: ARP never crossed the pod boundary.
func checkNoCrossPodARP(t *testing.T, l *lab, ctrs []*cluster.Container) {
	t.Helper()
	for _, a := range ctrs {
		out, err := a.Run(context.Background(), "ip", "-4", "neigh", "show")
		if err != nil {
			t.Fatalf("ip neigh in %s: %v", a.Name, err)
		}
		for _, b := range ctrs {
			if l.pods[a] == l.pods[b] {
				continue
			}
			for _, line := range strings.Split(out, "\n") {
				f := strings.Fields(line)
				if len(f) > 0 && f[0] == l.ips[b].String() && strings.Contains(line, "lladdr") {
					t.Errorf("%s learned the MAC of %s in another pod: %s", a.Name, b.Name, line)
				}
			}
		}
	}
}

var rxPackets = regexp.MustCompile(`RX:.*\n\s*(\d+)\s+(\d+)`)

// rxCount reads the RX packet counter of a container's eth1.
func rxCount(t *testing.T, c *cluster.Container) uint64 {
	t.Helper()
	out, err := c.Run(context.Background(), "ip", "-s", "link", "show", "eth1")
	if err != nil {
		t.Fatalf("ip -s link in %s: %v\n%s", c.Name, err, out)
	}
	m := rxPackets.FindStringSubmatch(out)
	if m == nil {
		t.Fatalf("no RX counters in %s:\n%s", c.Name, out)
	}
	n, _ := strconv.ParseUint(m[2], 10, 64)
	return n
}

// checkBroadcastScope makes src broadcast ARP requests for an address no one
// has and asserts, with a packet socket in every container, that they reach
// every other member of its pod and nobody else.
func checkBroadcastScope(t *testing.T, l *lab, src *cluster.Container, ctrs []*cluster.Container) {
	t.Helper()
	target := netip.MustParseAddr("10.244.200.200")
	sniffers := map[*cluster.Container]*sniffer{}
	for _, c := range ctrs {
		if c == src {
			continue
		}
		s, err := sniffARP(c.NS, "eth1", target)
		if err != nil {
			t.Fatalf("sniffer in %s: %v", c.Name, err)
		}
		sniffers[c] = s
	}
	// ping sends 3 ARP broadcasts (one a second) for the unused address.
	src.Run(context.Background(), "ping", "-c", "1", "-W", "3", target.String())
	for _, c := range ctrs {
		if c == src {
			continue
		}
		got := sniffers[c].stop()
		same := l.pods[c] == l.pods[src]
		if same && got == 0 {
			t.Errorf("broadcast from %s (%s) did not reach %s in the same pod", src.Name, l.pods[src], c.Name)
		}
		if !same && got != 0 {
			t.Errorf("broadcast from %s (%s) leaked: %s in pod %s received %d of its ARP requests", src.Name, l.pods[src], c.Name, l.pods[c], got)
		}
	}
}

func TestPodsVXLAN(t *testing.T) {
	requireE2E(t)
	testPods(t, "vxlan")
}

func TestPodsGRE(t *testing.T) {
	requireE2E(t)
	testPods(t, "gre")
}

func testPods(t *testing.T, tunnel string) {
	l := newLab(t, 3, tunnel)
	lay := buildPods(t, l)
	checkMatrix(t, l, lay.ctrs)
	checkNoCrossPodARP(t, l, lay.ctrs)
	checkBroadcastScope(t, l, lay.byName["r1"], lay.ctrs)
	checkBroadcastScope(t, l, lay.byName["b2"], lay.ctrs)
	// Full-size frames cross the tunnel: lorisctl set a tunnel-safe MTU.
	r1, r3 := lay.byName["r1"], lay.byName["r3"]
	mtu, err := r1.Run(context.Background(), "cat", "/sys/class/net/eth1/mtu")
	if err != nil {
		t.Fatal(err)
	}
	size := strconv.Itoa(mustAtoi(t, strings.TrimSpace(mtu)) - 28) // minus IPv4 and ICMP headers
	if out, err := r1.Run(context.Background(), "ping", "-c", "2", "-W", "2", "-M", "do", "-s", size, l.ips[r3].String()); err != nil {
		t.Errorf("full-MTU ping (%s) r1 -> r3 over %s: %v\n%s", size, tunnel, err, out)
	}
	if t.Failed() {
		for _, h := range l.c.Hosts {
			flows, _ := h.DumpFlows("br-loris")
			t.Logf("flows on %s:\n%s", h.Name, strings.Join(flows, "\n"))
		}
	}
}

// flowAges returns every flow on a host's bridge with its age in seconds,
// keyed by the flow without counters.
var durationField = regexp.MustCompile(`duration=([0-9.]+)s`)

func flowAges(t *testing.T, h *cluster.Host) map[string]float64 {
	t.Helper()
	out, err := h.Ofctl("br-loris", "-O", "OpenFlow13", "dump-flows")
	if err != nil {
		t.Fatalf("dump-flows on %s: %v", h.Name, err)
	}
	ages := map[string]float64{}
	for _, line := range strings.Split(out, "\n") {
		m := durationField.FindStringSubmatch(line)
		if m == nil {
			continue
		}
		age, _ := strconv.ParseFloat(m[1], 64)
		ages[normalizeFlow(line)] = age
	}
	return ages
}

var counterFields = regexp.MustCompile(`(duration|n_packets|n_bytes|idle_age|hard_age)=[^,]*, ?`)

func normalizeFlow(line string) string {
	return strings.TrimSpace(counterFields.ReplaceAllString(line, ""))
}

// checkUntouched asserts that every flow in before is still installed and
// older than it was: it was neither deleted nor re-added.
func checkUntouched(t *testing.T, h *cluster.Host, before, after map[string]float64, allowRemoved func(string) bool) {
	t.Helper()
	for f, age := range before {
		now, ok := after[f]
		if !ok {
			if allowRemoved == nil || !allowRemoved(f) {
				t.Errorf("%s: flow removed: %s", h.Name, f)
			}
			continue
		}
		if now < age {
			t.Errorf("%s: flow re-installed (age %.3fs, was %.3fs): %s", h.Name, now, age, f)
		}
	}
}

func TestRuntimeAttachDetach(t *testing.T) {
	requireE2E(t)
	l := newLab(t, 3, "vxlan")
	lay := buildPods(t, l)
	before := map[*cluster.Host]map[string]float64{}
	for _, h := range l.c.Hosts {
		before[h] = flowAges(t, h)
	}
	// A new blue member on h3, where blue had no one.
	n1 := l.attach(l.c.Hosts[2], "n1", "blue", "10.244.2.9/16")
	l.waitConverged()
	for _, h := range l.c.Hosts {
		checkUntouched(t, h, before[h], flowAges(t, h), nil)
	}
	checkMatrix(t, l, []*cluster.Container{lay.byName["b1"], lay.byName["b2"], n1, lay.byName["r3"], lay.byName["g2"]})

	// Detach b2: its flows go, nothing else does.
	for _, h := range l.c.Hosts {
		before[h] = flowAges(t, h)
	}
	b2 := lay.byName["b2"]
	mac := containerMAC(t, b2)
	l.lorisctl(b2.Host, "detach", b2.Name, "--netns", b2.NS, "--ovsdb", b2.Host.DB)
	l.waitConverged()
	// b2 was blue's only member on its host, so all blue flows leave that
	// host; elsewhere only the flows naming b2's MAC may go.
	vni := fmt.Sprintf("0x%x", l.podVNI("blue"))
	b2Port := ofportOfMAC(t, before[b2.Host], mac) // its punt flow names only the port (macs_test.go)
	for _, h := range l.c.Hosts {
		checkUntouched(t, h, before[h], flowAges(t, h), func(f string) bool {
			if strings.Contains(f, mac) {
				return true
			}
			return h == b2.Host && (strings.Contains(f, "metadata="+vni+",") || strings.Contains(f, "tun_id="+vni+",") ||
				strings.Contains(f, "in_port="+b2Port+" "))
		})
	}
	if err := lay.byName["b1"].Ping(l.ips[b2], 1, time.Second); err == nil {
		t.Errorf("b1 still reaches detached b2")
	}
	if err := lay.byName["b1"].Ping(l.ips[n1], 3, 2*time.Second); err != nil {
		t.Errorf("b1 lost n1 after detaching b2: %v", err)
	}
}

func containerMAC(t *testing.T, c *cluster.Container) string {
	t.Helper()
	out, err := c.Run(context.Background(), "cat", "/sys/class/net/eth1/address")
	if err != nil {
		t.Fatalf("MAC of %s: %v", c.Name, err)
	}
	return strings.TrimSpace(out)
}

// TestPodsGeneve checks the third tunnel type on a smaller layout: two pods
// across two hosts.
func TestPodsGeneve(t *testing.T) {
	requireE2E(t)
	l := newLab(t, 2, "geneve")
	h := l.c.Hosts
	l.lorisctl(h[0], "pod", "create", "red")
	ctrs := []*cluster.Container{
		l.attach(h[0], "r1", "red", "10.244.1.1/16"),
		l.attach(h[1], "r2", "red", "10.244.1.2/16"),
		l.attach(h[0], "d1", "", "10.244.4.1/16"),
		l.attach(h[1], "d2", "", "10.244.4.2/16"),
	}
	l.waitConverged()
	checkMatrix(t, l, ctrs)
	checkBroadcastScope(t, l, ctrs[0], ctrs)
}

func mustAtoi(t *testing.T, s string) int {
	t.Helper()
	n, err := strconv.Atoi(s)
	if err != nil {
		t.Fatalf("not a number: %q", s)
	}
	return n
}
