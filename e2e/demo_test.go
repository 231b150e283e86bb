package e2e

import (
	"fmt"
	"os"
	"strings"
	"testing"

	"github.com/lorispack/loris/e2e/cluster"
)

// TestDemo is what `make demo` runs (LORIS_DEMO=1): it builds a 3-host
// cluster, drives it with lorisctl as a user would, and prints each command,
// its output and the resulting ping matrix.
func TestDemo(t *testing.T) {
	if os.Getenv("LORIS_DEMO") == "" {
		t.Skip("run with LORIS_DEMO=1 (make demo)")
	}
	requireE2E(t)
	say := func(format string, args ...any) { fmt.Printf(format+"\n", args...) }
	say("== building a simulated cluster: 3 hosts (network namespaces), each with its own Open vSwitch")
	l := newLab(t, 3, "vxlan")
	for _, h := range l.c.Hosts {
		say("   %s: tunnel IP %s, joined with: lorisctl host init %s --tunnel-ip %s --controller %s", h.Name, h.TunnelIP, h.Name, h.TunnelIP, l.ofAddr)
	}
	show := func(h *cluster.Host, args ...string) {
		say("\n$ lorisctl %s", strings.Join(args, " "))
		fmt.Print(l.lorisctl(h, args...))
	}
	h1 := l.c.Hosts[0]
	show(h1, "pod", "create", "frontend")
	show(h1, "pod", "create", "backend")
	say("\n== attaching containers (run on each host: lorisctl attach NAME --ip CIDR --pod POD --netns NS)")
	layout := []struct {
		host      int
		name, pod string
		ip        string
	}{
		{0, "web1", "frontend", "10.244.1.1/16"},
		{1, "web2", "frontend", "10.244.1.2/16"},
		{2, "web3", "frontend", "10.244.1.3/16"},
		{0, "db1", "backend", "10.244.2.1/16"},
		{2, "db2", "backend", "10.244.2.2/16"},
		{1, "misc", "", "10.244.3.1/16"},
	}
	var ctrs []*cluster.Container
	for _, s := range layout {
		ctrs = append(ctrs, l.attach(l.c.Hosts[s.host], s.name, s.pod, s.ip))
		pod := s.pod
		if pod == "" {
			pod = "default"
		}
		say("   %-5s on %s  pod %-8s  %s", s.name, l.c.Hosts[s.host].Name, pod, s.ip)
	}
	l.waitConverged()
	show(h1, "pod", "show", "frontend")
	show(h1, "switches")
	say("\n== ping matrix (row pings column; containers reach each other only inside their pod)")
	m := l.c.PingMatrix(ctrs, l.ips)
	fmt.Println(m.String())
	checkMatrix(t, l, ctrs)
	say("== cleaning up")
}
