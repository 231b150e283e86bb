package policy

import (
	"net/netip"
	"testing"

	"github.com/lorispack/loris/topology"
)

func TestFlowString(t *testing.T) {
	mac := topology.MAC{2, 0, 0, 0, 0, 1}
	ten := uint8(10)
	f := Flow{Table: 0, Priority: 100, Cookie: Cookie(KindClassifyPort, 0x12345678),
		Match:        Match{InPort: 3, EthSrc: &mac},
		Instructions: Instructions{WriteMetadata: &Metadata{Value: 0x64, Mask: 0xffffffff}, GotoTable: &ten}}
	want := "cookie=0x4c53010012345678, table=0, priority=100,in_port=3,dl_src=02:00:00:00:00:01 actions=write_metadata:0x64/0xffffffff,goto_table:10"
	if got := f.String(); got != want {
		t.Errorf("flow:\n got %s\nwant %s", got, want)
	}

	meta, tun := uint64(5), uint64(7)
	all := Flow{Table: 10, Priority: 1, Cookie: 0,
		Match: Match{InPort: 1, TunID: &tun, Metadata: &meta, MetadataMask: 0xff, EthSrc: &mac, EthDst: &mac,
			EthType: 0x86dd, ArpSHA: &mac, ArpSPA: netip.MustParseAddr("10.0.0.1")}}
	want = "cookie=0x0, table=10, priority=1,dl_type=0x86dd,tun_id=0x7,metadata=0x5/0xff,in_port=1," +
		"dl_src=02:00:00:00:00:01,dl_dst=02:00:00:00:00:01,arp_spa=10.0.0.1,arp_sha=02:00:00:00:00:01 actions=drop"
	if got := all.String(); got != want {
		t.Errorf("every field:\n got %s\nwant %s", got, want)
	}

	g := Group{ID: 200, Buckets: []Bucket{
		{Actions: []Action{{Kind: ActionOutput, Port: 3}}},
		{Actions: []Action{{Kind: ActionSetTunID, TunID: 0x64}, {Kind: ActionSetTunDst, TunDst: netip.MustParseAddr("198.18.0.2")}, {Kind: ActionOutput, Port: 1}}},
	}}
	want = "group_id=200,type=all,bucket=actions=output:3,bucket=actions=set_field:0x64->tun_id,set_field:198.18.0.2->tun_dst,output:1"
	if got := g.String(); got != want {
		t.Errorf("group:\n got %s\nwant %s", got, want)
	}
}

func TestCookies(t *testing.T) {
	c := Cookie(KindForwardRemote, 0xdeadbeef)
	if c != 0x4c530500deadbeef || !IsLorisCookie(c) || CookieKindOf(c) != KindForwardRemote || c&CookieLowMask != 0xdeadbeef {
		t.Fatalf("cookie %#x", c)
	}
	if IsLorisCookie(0x1234) || IsLorisCookie(0x4c54<<48) {
		t.Fatal("foreign cookie taken for ours")
	}
	id := topology.AttachmentID("h1", "c1", "eth0")
	if got := AttachmentCookieID(id); got == 0 || got != AttachmentCookieID(id) {
		t.Fatalf("AttachmentCookieID(%s) = %#x", id, got)
	}
	if got := AttachmentCookieID("0123abcd00000000"); got != 0x0123abcd {
		t.Fatalf("AttachmentCookieID = %#x, want the first 8 hex digits", got)
	}
	if FloodAllGroupID(100) != 200 || FloodLocalGroupID(100) != 201 || FloodLocalGroupID(topology.MaxVNI) != 1<<25-1 {
		t.Fatal("group ids")
	}
}

func TestPortsIgnoresReservedNumbers(t *testing.T) {
	m := topology.New()
	m.AddHost(topology.Host{Name: "h1", DatapathID: 1, TunnelIP: netip.MustParseAddr("198.18.0.1")})
	m.Attach(topology.Attachment{Host: "h1", Container: "c1", IfName: "eth0", Port: "p1", IP: netip.MustParsePrefix("10.0.0.2/24")})
	m.Attach(topology.Attachment{Host: "h1", Container: "c2", IfName: "eth0", Port: "p2", IP: netip.MustParsePrefix("10.0.0.3/24")})
	m.Attach(topology.Attachment{Host: "h1", Container: "c3", IfName: "eth0", Port: "p3", IP: netip.MustParsePrefix("10.0.0.4/24")})
	// p1 claims OFPP_LOCAL, p2 port 0, p3 the tunnel's number: none may
	// become a container port.
	fs := Compile(m.Snapshot(), "h1", Ports{TunnelPort: 7, "p1": 0xfffffffe, "p2": 0, "p3": 7})
	for _, f := range fs.Flows {
		if CookieKindOf(f.Cookie) == KindClassifyPort || CookieKindOf(f.Cookie) == KindForwardLocal {
			t.Errorf("flow for a bogus port: %v", f)
		}
	}
}
