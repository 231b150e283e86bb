package topology

import (
	"errors"
	"fmt"
	"net/netip"
	"reflect"
	"strings"
	"testing"
	"time"
)

func mustAddr(s string) netip.Addr { return netip.MustParseAddr(s) }

var testTime = time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)

func newTestModel(t *testing.T) *Model {
	t.Helper()
	m := New()
	m.SetClock(func() time.Time { return testTime })
	return m
}

func host(name string, n int) Host {
	return Host{Name: name, DatapathID: DatapathID(0x1000 + n), TunnelIP: netip.AddrFrom4([4]byte{198, 18, 0, byte(n)})}
}

func attachment(hostName, container, ip string) Attachment {
	return Attachment{Host: hostName, Container: container, IfName: "eth0", Port: "p-" + container, IP: netip.MustParsePrefix(ip)}
}

// mustNotChange runs op, which must fail with want, and checks that the
// model is unchanged afterwards.
func mustNotChange(t *testing.T, m *Model, want error, op func() error) {
	t.Helper()
	before := m.State()
	err := op()
	if !errors.Is(err, want) {
		t.Fatalf("got error %v, want %v", err, want)
	}
	if after := m.State(); !reflect.DeepEqual(before, after) {
		t.Fatalf("failed operation (%v) changed the model", err)
	}
}

func TestNewHasDefaultPod(t *testing.T) {
	m := New()
	p, ok := m.Pod(DefaultPod)
	if !ok || p.VNI != 1 {
		t.Fatalf("default pod: %+v, %v", p, ok)
	}
	mustNotChange(t, m, ErrInvalid, func() error { _, err := m.DeletePod(DefaultPod, true); return err })
}

func TestAddHost(t *testing.T) {
	m := newTestModel(t)
	h, created, err := m.AddHost(host("h1", 1))
	if err != nil || !created || h.Tunnel != TunnelVXLAN {
		t.Fatalf("first add: %+v, %v, %v (want created, default tunnel vxlan)", h, created, err)
	}
	if _, created, err := m.AddHost(host("h1", 1)); err != nil || created {
		t.Fatalf("identical re-add: created=%v err=%v, want idempotent", created, err)
	}
	moved := host("h1", 1)
	moved.TunnelIP = mustAddr("198.18.1.1")
	moved.Tunnel = TunnelGeneve
	if got, created, err := m.AddHost(moved); err != nil || created || got != moved {
		t.Fatalf("tunnel change: %+v, %v, %v; want an update", got, created, err)
	}
	if got, _ := m.Host("h1"); got != moved {
		t.Fatalf("stored host %+v, want %+v", got, moved)
	}
	// The old tunnel IP is free again.
	if _, _, err := m.AddHost(Host{Name: "h9", DatapathID: 9, TunnelIP: mustAddr("198.18.0.1")}); err != nil {
		t.Fatalf("reusing a released tunnel IP: %v", err)
	}

	newDPID := moved
	newDPID.DatapathID = 0x77
	mustNotChange(t, m, ErrConflict, func() error { _, _, err := m.AddHost(newDPID); return err })
	sameDPID := host("h2", 2)
	sameDPID.DatapathID = moved.DatapathID
	mustNotChange(t, m, ErrConflict, func() error { _, _, err := m.AddHost(sameDPID); return err })
	sameIP := host("h2", 2)
	sameIP.TunnelIP = moved.TunnelIP
	mustNotChange(t, m, ErrConflict, func() error { _, _, err := m.AddHost(sameIP); return err })

	for _, bad := range []Host{
		{Name: "H1", DatapathID: 5, TunnelIP: mustAddr("198.18.0.5")},
		{Name: "-h", DatapathID: 5, TunnelIP: mustAddr("198.18.0.5")},
		{Name: strings.Repeat("a", 64), DatapathID: 5, TunnelIP: mustAddr("198.18.0.5")},
		{Name: "h5", DatapathID: 0, TunnelIP: mustAddr("198.18.0.5")},
		{Name: "h5", DatapathID: 5},
		{Name: "h5", DatapathID: 5, TunnelIP: mustAddr("0.0.0.0")},
		{Name: "h5", DatapathID: 5, TunnelIP: mustAddr("224.0.0.1")},
		{Name: "h5", DatapathID: 5, TunnelIP: mustAddr("2001:db8::1")},
		{Name: "h5", DatapathID: 5, TunnelIP: mustAddr("198.18.0.5"), Tunnel: "ipip"},
	} {
		mustNotChange(t, m, ErrInvalid, func() error { _, _, err := m.AddHost(bad); return err })
	}
	if _, _, err := m.AddHost(Host{Name: strings.Repeat("a", 63), DatapathID: 5, TunnelIP: mustAddr("198.18.0.5")}); err != nil {
		t.Fatalf("63-character name: %v", err)
	}
}

func TestRemoveHost(t *testing.T) {
	m := newTestModel(t)
	m.AddHost(host("h1", 1))
	m.AddHost(host("h2", 2))
	a1, err := m.Attach(attachment("h1", "c1", "10.244.0.2/24"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := m.Attach(attachment("h2", "c2", "10.244.0.3/24")); err != nil {
		t.Fatal(err)
	}
	mustNotChange(t, m, ErrNotFound, func() error { _, err := m.RemoveHost("nope", true); return err })
	mustNotChange(t, m, ErrConflict, func() error { _, err := m.RemoveHost("h1", false); return err })
	gone, err := m.RemoveHost("h1", true)
	if err != nil || len(gone) != 1 || gone[0] != a1 {
		t.Fatalf("forced remove: %+v, %v", gone, err)
	}
	if _, ok := m.Host("h1"); ok {
		t.Fatal("host still there")
	}
	if _, ok := m.Attachment(a1.ID); ok {
		t.Fatal("its attachment is still there")
	}
	// Everything the host held is released: its name, dpid, IP, ports, MACs.
	if _, _, err := m.AddHost(host("h1", 1)); err != nil {
		t.Fatal(err)
	}
	again := attachment("h1", "c1", "10.244.0.2/24")
	again.MAC = a1.MAC
	if _, err := m.Attach(again); err != nil {
		t.Fatalf("re-attaching after forced removal: %v", err)
	}
	if _, err := m.RemoveHost("h2", false); !errors.Is(err, ErrConflict) {
		t.Fatalf("h2 has an attachment: %v", err)
	}
}

func TestAddPod(t *testing.T) {
	m := newTestModel(t)
	for i, want := range []uint32{2, 3, 4} {
		p, err := m.AddPod(fmt.Sprintf("p%d", i), 0)
		if err != nil || p.VNI != want {
			t.Fatalf("auto VNI: %+v, %v; want %d", p, err, want)
		}
	}
	if _, err := m.AddPod("p9", 9); err != nil {
		t.Fatal(err)
	}
	if _, err := m.DeletePod("p1", false); err != nil {
		t.Fatal(err)
	}
	if p, _ := m.AddPod("next", 0); p.VNI != 3 {
		t.Fatalf("auto VNI after delete: %d, want the freed 3", p.VNI)
	}
	if p, err := m.AddPod("max", MaxVNI); err != nil || p.VNI != 1<<24-1 {
		t.Fatalf("max VNI: %+v, %v", p, err)
	}
	mustNotChange(t, m, ErrConflict, func() error { _, err := m.AddPod("p0", 0); return err })
	mustNotChange(t, m, ErrConflict, func() error { _, err := m.AddPod("other", 9); return err })
	mustNotChange(t, m, ErrConflict, func() error { _, err := m.AddPod("other", DefaultPodVNI); return err })
	mustNotChange(t, m, ErrInvalid, func() error { _, err := m.AddPod("toobig", MaxVNI+1); return err })
	mustNotChange(t, m, ErrInvalid, func() error { _, err := m.AddPod("Blue", 0); return err })
	mustNotChange(t, m, ErrNotFound, func() error { _, err := m.DeletePod("nope", false); return err })
}

func TestDeletePodWithMembers(t *testing.T) {
	m := newTestModel(t)
	m.AddHost(host("h1", 1))
	m.AddPod("blue", 0)
	a := attachment("h1", "c1", "10.244.0.2/24")
	a.Pod = "blue"
	a, err := m.Attach(a)
	if err != nil {
		t.Fatal(err)
	}
	mustNotChange(t, m, ErrConflict, func() error { _, err := m.DeletePod("blue", false); return err })
	gone, err := m.DeletePod("blue", true)
	if err != nil || len(gone) != 1 || gone[0] != a {
		t.Fatalf("forced delete: %+v, %v", gone, err)
	}
	if len(m.State().Attachments) != 0 {
		t.Fatal("member survived its pod")
	}
}

func TestAttach(t *testing.T) {
	m := newTestModel(t)
	m.AddHost(host("h1", 1))
	m.AddHost(host("h2", 2))
	m.AddPod("blue", 0)

	a, err := m.Attach(Attachment{Host: "h1", Container: "Web:1", IfName: "eth0", Port: "vethA", IP: netip.MustParsePrefix("10.244.0.2/24")})
	if err != nil {
		t.Fatal(err)
	}
	if a.Pod != DefaultPod || a.ID != AttachmentID("h1", "Web:1", "eth0") || len(a.ID) != 16 || !a.Created.Equal(testTime) {
		t.Fatalf("defaults not applied: %+v", a)
	}
	if a.MAC[0] != 0x02 || a.MAC.ValidateUnicast() != nil {
		t.Fatalf("generated MAC %s is not 02:xx locally administered unicast", a.MAC)
	}
	if found, ok := m.FindAttachment("h1", "Web:1", "eth0"); !ok || found != a {
		t.Fatalf("FindAttachment: %+v, %v", found, ok)
	}

	noPort, err := m.Attach(Attachment{Host: "h1", Container: "c2", IfName: "eth0", IP: netip.MustParsePrefix("10.244.0.3/24")})
	if err != nil || noPort.Port != DefaultPortName(noPort.ID) || len(noPort.Port) != 15 {
		t.Fatalf("default port: %+v, %v", noPort, err)
	}
	created := time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC)
	kept, err := m.Attach(Attachment{Host: "h1", Container: "c3", IfName: "eth0", Port: "p3", IP: netip.MustParsePrefix("10.244.0.4/24"), Created: created})
	if err != nil || !kept.Created.Equal(created) {
		t.Fatalf("explicit Created: %+v, %v", kept, err)
	}

	// Same IP and MAC in another pod are fine: pods are separate L2 domains.
	other := Attachment{Host: "h2", Container: "c9", IfName: "eth0", Port: "p9", Pod: "blue", MAC: a.MAC, IP: a.IP}
	if _, err := m.Attach(other); err != nil {
		t.Fatalf("same MAC/IP in another pod: %v", err)
	}

	conflicts := map[string]Attachment{
		"same interface": {Host: "h1", Container: "Web:1", IfName: "eth0", Port: "px", IP: netip.MustParsePrefix("10.244.0.50/24")},
		"same port":      {Host: "h1", Container: "c4", IfName: "eth0", Port: "vethA", IP: netip.MustParsePrefix("10.244.0.50/24")},
		"same IP":        {Host: "h2", Container: "c4", IfName: "eth0", Port: "px", IP: netip.MustParsePrefix("10.244.0.2/16")},
		"same MAC":       {Host: "h2", Container: "c4", IfName: "eth0", Port: "px", MAC: a.MAC, IP: netip.MustParsePrefix("10.244.0.50/24")},
	}
	for name, c := range conflicts {
		t.Run(name, func(t *testing.T) {
			mustNotChange(t, m, ErrConflict, func() error { _, err := m.Attach(c); return err })
		})
	}
	_, err = m.Attach(conflicts["same MAC"])
	if want := fmt.Sprintf("MAC %s already used by h1/Web:1 in pod default", a.MAC); err == nil || !strings.Contains(err.Error(), want) {
		t.Fatalf("MAC conflict message %q should contain %q", err, want)
	}

	ok := Attachment{Host: "h2", Container: "c5", IfName: "eth0", Port: "p5", IP: netip.MustParsePrefix("10.244.0.60/24")}
	invalid := map[string]func(*Attachment){
		"bad host name":     func(a *Attachment) { a.Host = "H2" },
		"bad container":     func(a *Attachment) { a.Container = "c 5" },
		"empty container":   func(a *Attachment) { a.Container = "" },
		"long ifname":       func(a *Attachment) { a.IfName = "eth0123456789012" },
		"empty ifname":      func(a *Attachment) { a.IfName = "" },
		"bad port":          func(a *Attachment) { a.Port = "p/5" },
		"reserved port":     func(a *Attachment) { a.Port = "loris-tun" },
		"bad pod name":      func(a *Attachment) { a.Pod = "Blue" },
		"multicast MAC":     func(a *Attachment) { a.MAC = MAC{1, 0, 0x5e, 0, 0, 1} },
		"no IP":             func(a *Attachment) { a.IP = netip.Prefix{} },
		"network address":   func(a *Attachment) { a.IP = netip.MustParsePrefix("10.244.0.0/24") },
		"broadcast address": func(a *Attachment) { a.IP = netip.MustParsePrefix("10.244.0.255/24") },
		"loopback":          func(a *Attachment) { a.IP = netip.MustParsePrefix("127.0.0.1/8") },
		"mapped v4":         func(a *Attachment) { a.IP = netip.MustParsePrefix("::ffff:10.244.0.9/120") },
		"wrong id":          func(a *Attachment) { a.ID = "0123456789abcdef" },
	}
	for name, mutate := range invalid {
		t.Run(name, func(t *testing.T) {
			bad := ok
			mutate(&bad)
			mustNotChange(t, m, ErrInvalid, func() error { _, err := m.Attach(bad); return err })
		})
	}
	missing := ok
	missing.Host = "h3"
	mustNotChange(t, m, ErrNotFound, func() error { _, err := m.Attach(missing); return err })
	missing = ok
	missing.Pod = "red"
	mustNotChange(t, m, ErrNotFound, func() error { _, err := m.Attach(missing); return err })

	for _, good := range []string{"10.244.0.0/31", "10.244.0.1/32", "2001:db8::/64", "fd00::5/64"} {
		g := ok
		g.Container = "g" + strings.NewReplacer("/", "-", ":", "-").Replace(good)
		g.Port = ""
		g.IP = netip.MustParsePrefix(good)
		if _, err := m.Attach(g); err != nil {
			t.Errorf("IP %s: %v", good, err)
		}
	}

	if _, err := m.Detach(a.ID); err != nil {
		t.Fatal(err)
	}
	mustNotChange(t, m, ErrNotFound, func() error { _, err := m.Detach(a.ID); return err })
	// Its port, IP and MAC are free again.
	if _, err := m.Attach(Attachment{Host: "h1", Container: "c7", IfName: "eth0", Port: "vethA", MAC: a.MAC, IP: a.IP}); err != nil {
		t.Fatalf("reusing a detached attachment's port, MAC and IP: %v", err)
	}
}

func TestGeneratedMACIsDeterministicAndUnique(t *testing.T) {
	build := func() *Model {
		m := newTestModel(t)
		m.AddHost(host("h1", 1))
		return m
	}
	m1, m2 := build(), build()
	a := attachment("h1", "c1", "10.244.0.2/24")
	x1, _ := m1.Attach(a)
	x2, _ := m2.Attach(a)
	if x1.MAC != x2.MAC {
		t.Fatalf("same names gave %s and %s", x1.MAC, x2.MAC)
	}
	// Occupy the MAC the next attachment would get; it must bump.
	b := attachment("h1", "c2", "10.244.0.3/24")
	want, _ := m2.Attach(b)
	m1.Detach(x1.ID)
	squat := attachment("h1", "squatter", "10.244.0.9/24")
	squat.MAC = want.MAC
	if _, err := m1.Attach(squat); err != nil {
		t.Fatal(err)
	}
	got, err := m1.Attach(b)
	if err != nil {
		t.Fatal(err)
	}
	if got.MAC == want.MAC || got.MAC[0] != 0x02 {
		t.Fatalf("collision not avoided: %s", got.MAC)
	}

	m := build()
	seen := map[MAC]bool{}
	for i := range 2000 {
		a, err := m.Attach(Attachment{Host: "h1", Container: fmt.Sprintf("c%d", i), IfName: "eth0",
			IP: netip.PrefixFrom(netip.AddrFrom4([4]byte{10, 244, byte(i >> 8), byte(i)}), 32)})
		if err != nil {
			t.Fatal(err)
		}
		if seen[a.MAC] {
			t.Fatalf("MAC %s generated twice", a.MAC)
		}
		seen[a.MAC] = true
	}
}

func TestStateRoundTrip(t *testing.T) {
	m := newTestModel(t)
	m.AddHost(host("h1", 1))
	m.AddHost(Host{Name: "h2", DatapathID: 2, TunnelIP: mustAddr("198.18.0.2"), Tunnel: TunnelGRE})
	m.AddPod("blue", 0)
	m.AddPod("red", 100)
	for i, pod := range []string{"blue", "red", "", "blue"} {
		a := attachment([]string{"h1", "h2"}[i%2], fmt.Sprintf("c%d", i), fmt.Sprintf("10.244.0.%d/24", i+2))
		a.Pod = pod
		if _, err := m.Attach(a); err != nil {
			t.Fatal(err)
		}
	}
	s := m.State()
	back, err := FromState(s)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(back.State(), s) {
		t.Fatalf("FromState(State()) differs:\n%+v\n%+v", back.State(), s)
	}

	// The default pod is restored when absent.
	noDefault := m.State()
	noDefault.Pods = noDefault.Pods[:0]
	noDefault.Attachments = nil
	if back, err := FromState(noDefault); err != nil {
		t.Fatal(err)
	} else if p, ok := back.Pod(DefaultPod); !ok || p.VNI != 1 {
		t.Fatal("default pod not restored")
	}

	bad := map[string]func(*State){
		"default pod VNI":  func(s *State) { s.Pods[podIndex(s, DefaultPod)].VNI = 7 },
		"pod without VNI":  func(s *State) { s.Pods[podIndex(s, "red")].VNI = 0 },
		"duplicate host":   func(s *State) { s.Hosts = append(s.Hosts, s.Hosts[0]) },
		"attachment MAC":   func(s *State) { s.Attachments[0].MAC = MAC{} },
		"attachment pod":   func(s *State) { s.Attachments[0].Pod = "" },
		"attachment id":    func(s *State) { s.Attachments[0].ID = "ffffffffffffffff" },
		"dangling host":    func(s *State) { s.Attachments[0].Host = "h7" },
		"duplicate VNI":    func(s *State) { s.Pods[podIndex(s, "red")].VNI = s.Pods[podIndex(s, "blue")].VNI },
		"bad tunnel":       func(s *State) { s.Hosts[0].Tunnel = "ipip" },
		"duplicate member": func(s *State) { s.Attachments = append(s.Attachments, s.Attachments[0]) },
	}
	for name, mutate := range bad {
		s := m.State()
		mutate(&s)
		if _, err := FromState(s); err == nil {
			t.Errorf("%s: FromState accepted it", name)
		}
	}
}

func TestSnapshot(t *testing.T) {
	m := newTestModel(t)
	m.AddHost(host("h1", 1))
	m.AddHost(host("h2", 2))
	m.AddHost(host("h3", 3))
	m.AddPod("blue", 0)
	var blue []Attachment
	for i, h := range []string{"h2", "h1", "h2"} {
		a := attachment(h, fmt.Sprintf("c%d", i), fmt.Sprintf("10.244.0.%d/24", i+2))
		a.Pod = "blue"
		a, err := m.Attach(a)
		if err != nil {
			t.Fatal(err)
		}
		blue = append(blue, a)
	}
	snap := m.Snapshot()
	m.Detach(blue[0].ID)
	m.RemoveHost("h3", false)

	if len(snap.Hosts) != 3 || len(snap.AttachmentList()) != 3 {
		t.Fatal("snapshot changed with the model")
	}
	if got := snap.HostsWithPod("blue"); !reflect.DeepEqual(got, []string{"h1", "h2"}) {
		t.Fatalf("HostsWithPod(blue) = %v", got)
	}
	if got := snap.HostsWithPod(DefaultPod); len(got) != 0 {
		t.Fatalf("HostsWithPod(default) = %v", got)
	}
	members := snap.Members("blue")
	if len(members) != 3 || members[0].ID > members[1].ID || members[1].ID > members[2].ID {
		t.Fatalf("Members not 3 sorted by id: %+v", members)
	}
	if on := snap.AttachmentsOn("h2"); len(on) != 2 || on[0].Host != "h2" || on[1].Host != "h2" {
		t.Fatalf("AttachmentsOn(h2) = %+v", on)
	}
	if on := snap.AttachmentsOnWhere("h2", func(a *Attachment) bool { return a.Container == "c2" }); len(on) != 1 || on[0].ID != blue[2].ID {
		t.Fatalf("AttachmentsOnWhere(h2, c2) = %+v", on)
	}
	var tried []string
	if !snap.AnyAttachmentOn("h2", func(a *Attachment) bool { tried = append(tried, a.ID); return true }) || len(tried) != 1 {
		t.Fatalf("AnyAttachmentOn(h2, any) tried %v, want true after the first", tried)
	}
	tried = nil
	if snap.AnyAttachmentOn("h2", func(a *Attachment) bool { tried = append(tried, a.ID); return a.Container == "c9" }) || len(tried) != 2 {
		t.Fatalf("AnyAttachmentOn(h2, c9) tried %v, want false after both", tried)
	}
	if snap.AnyAttachmentOn("h3", func(*Attachment) bool { return true }) {
		t.Fatal("AnyAttachmentOn(h3): h3 has no attachment")
	}
	if got, ok := snap.Attachment(blue[0].ID); !ok || got.ID != blue[0].ID {
		t.Fatalf("Attachment(%s) = %+v, %v (detached after the snapshot)", blue[0].ID, got, ok)
	}
	if _, ok := snap.Attachment("nope"); ok {
		t.Fatal("Attachment(nope) found something")
	}
	members[0].Host = "mutated"
	if snap.Members("blue")[0].Host == "mutated" {
		t.Fatal("Members returned the snapshot's own storage")
	}
	if p, ok := snap.PodByVNI(2); !ok || p.Name != "blue" {
		t.Fatalf("PodByVNI(2) = %+v, %v", p, ok)
	}
	if _, ok := snap.PodByVNI(99); ok {
		t.Fatal("PodByVNI(99) found something")
	}
	if h, ok := snap.Host("h3"); !ok || h.Name != "h3" {
		t.Fatal("Host(h3) missing from snapshot")
	}
	if h, ok := snap.HostByDatapathID(host("h2", 2).DatapathID); !ok || h.Name != "h2" {
		t.Fatalf("HostByDatapathID = %+v, %v", h, ok)
	}
	if _, ok := snap.HostByDatapathID(0xdead); ok {
		t.Fatal("HostByDatapathID(0xdead) found a host")
	}
	if _, ok := snap.Pod("red"); ok {
		t.Fatal("Pod(red) found")
	}
}

func podIndex(s *State, name string) int {
	for i, p := range s.Pods {
		if p.Name == name {
			return i
		}
	}
	panic("no pod " + name)
}
