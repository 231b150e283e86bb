package topology

import (
	"fmt"
	"net/netip"
	"testing"
)

func benchModel(b *testing.B, hosts, attachments int) *Model {
	b.Helper()
	m := New()
	for i := range hosts {
		if _, _, err := m.AddHost(Host{Name: fmt.Sprintf("h%d", i), DatapathID: DatapathID(i + 1),
			TunnelIP: netip.AddrFrom4([4]byte{198, 18, byte(i >> 8), byte(i)})}); err != nil {
			b.Fatal(err)
		}
	}
	for i := range attachments {
		if _, err := m.Attach(Attachment{Host: fmt.Sprintf("h%d", i%hosts), Container: fmt.Sprintf("c%d", i), IfName: "eth0",
			IP: netip.PrefixFrom(netip.AddrFrom4([4]byte{10, byte(i >> 16), byte(i >> 8), byte(i)}), 32)}); err != nil {
			b.Fatal(err)
		}
	}
	return m
}

func BenchmarkState100k(b *testing.B) {
	m := benchModel(b, 1000, 100_000)
	b.ReportAllocs()
	for b.Loop() {
		m.State()
	}
}

func BenchmarkSnapshot100k(b *testing.B) {
	m := benchModel(b, 1000, 100_000)
	b.ReportAllocs()
	for b.Loop() {
		m.Snapshot()
	}
}
