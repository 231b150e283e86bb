package e2e

import (
	"context"
	"fmt"
	"slices"
	"testing"
	"time"
)

// BenchmarkAttachToPing (issue 6, item 2): a container on h2 is attached
// with `lorisctl attach` (veth, OVS port, API call) and pings a member of
// its pod on h1; one sample is the time from starting lorisctl until the
// first echo reply. Right after the attach, the container's ARP retransmit
// interval is set to 10 ms (Linux waits 1 s by default before asking again,
// which would measure the kernel rather than loris). Each sample is then
// detached, untimed.
func BenchmarkAttachToPing(b *testing.B) {
	requireBenchE2E(b)
	l := newLab(b, 2, "vxlan")
	h1, h2 := l.c.Hosts[0], l.c.Hosts[1]
	anchor := l.attach(h1, "anchor", "", "10.244.0.1/24")
	l.waitSettled(time.Minute)

	var total, api []time.Duration
	i := 0
	for b.Loop() {
		b.StopTimer()
		name := fmt.Sprintf("s%d", i)
		i++
		ctr := l.c.AddContainer(h2, name)
		b.StartTimer()
		start := time.Now()
		l.lorisctl(h2, "attach", name, "--ip", fmt.Sprintf("10.244.0.%d/24", 10+i%200), "--netns", ctr.NS, "--ovsdb", h2.DB)
		attached := time.Since(start)
		// eth1 exists only now; the neighbour defaults of a namespace
		// other than the first are not settable.
		if out, err := ctr.Run(context.Background(), "sysctl", "-qw", "net.ipv4.neigh.eth1.retrans_time_ms=10"); err != nil {
			b.Fatalf("sysctl in %s: %v\n%s", name, err, out)
		}
		// One ping process sending every 2 ms until the first reply: no
		// fork per probe.
		ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
		out, err := ctr.Run(ctx, "ping", "-n", "-q", "-c", "1", "-i", "0.002", "-w", "10", l.ips[anchor].String())
		cancel()
		took := time.Since(start)
		b.StopTimer()
		if err != nil {
			b.Fatalf("%s never reached the anchor: %v\n%s\ncontroller log:\n%s", name, err, out, l.ctl.LogTail(20))
		}
		total = append(total, took)
		api = append(api, attached)
		l.lorisctl(h2, "detach", name, "--netns", ctr.NS, "--ovsdb", h2.DB)
		l.waitSettled(time.Minute)
		b.StartTimer()
	}
	b.StopTimer()
	reportQuantiles(b, "attach-to-ping", total)
	reportQuantiles(b, "lorisctl-attach", api)
}

// reportQuantiles reports p50/p99/max of samples in milliseconds.
func reportQuantiles(b *testing.B, name string, samples []time.Duration) {
	if len(samples) == 0 {
		return
	}
	s := slices.Clone(samples)
	slices.Sort(s)
	q := func(f float64) float64 { return float64(s[int(f*float64(len(s)-1))]) / float64(time.Millisecond) }
	b.ReportMetric(q(0.5), name+"-p50-ms")
	b.ReportMetric(q(0.99), name+"-p99-ms")
	b.ReportMetric(q(1), name+"-max-ms")
}
