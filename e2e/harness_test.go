package e2e

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/netip"
	"os/exec"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/lorispack/loris/e2e/cluster"
)

// TestHarnessCluster builds a 3-host cluster inside a subtest, checks that
// every host's OVS answers and the underlay connects hosts and controller,
// and after the subtest's cleanup checks that nothing of it is left.
func TestHarnessCluster(t *testing.T) {
	cluster.Require(t)
	var c *cluster.Cluster
	t.Run("up", func(t *testing.T) {
		start := time.Now()
		c = cluster.New(t, cluster.Options{Hosts: 3})
		t.Logf("3-host cluster built in %v", time.Since(start).Round(time.Millisecond))
		if len(c.Hosts) != 3 {
			t.Fatalf("got %d hosts, want 3", len(c.Hosts))
		}
		for _, h := range c.Hosts {
			out, err := h.Vsctl("show")
			if err != nil {
				t.Fatalf("%s: ovs-vsctl show: %v", h.Name, err)
			}
			if !strings.Contains(out, `Bridge br-phy`) || !strings.Contains(out, `Port eth0`) {
				t.Errorf("%s: ovs-vsctl show lacks br-phy with eth0:\n%s", h.Name, out)
			}
			if _, err := h.Vsctl("br-exists", "br-loris"); err == nil {
				t.Errorf("%s: br-loris exists on a fresh host", h.Name)
			}
		}
		checkUnderlay(t, c)
		checkTCPToController(t, c)
	})
	if c == nil {
		t.Fatal("cluster was not built")
	}
	if left := c.Leftovers(); len(left) > 0 {
		t.Errorf("after teardown these remain: %v", left)
	}
}

// checkUnderlay: every host reaches every other host's tunnel IP and the
// controller IP, and the root namespace reaches every host.
func checkUnderlay(t *testing.T, c *cluster.Cluster) {
	t.Helper()
	for _, h := range c.Hosts {
		targets := []netip.Addr{c.ControllerIP}
		for _, o := range c.Hosts {
			if o != h {
				targets = append(targets, o.TunnelIP)
			}
		}
		for _, ip := range targets {
			if err := h.Ping(ip, 1, 3*time.Second); err != nil {
				t.Errorf("underlay: %v", err)
			}
		}
		ctx, cancel := context.WithTimeout(context.Background(), 8*time.Second)
		out, err := exec.CommandContext(ctx, "ping", "-n", "-q", "-c", "1", "-w", "3", h.TunnelIP.String()).CombinedOutput()
		cancel()
		if err != nil {
			t.Errorf("root namespace -> %s %s: %v\n%s", h.Name, h.TunnelIP, err, out)
		}
	}
}

// checkTCPToController sends 3 MB over TCP from every host to a listener at
// ControllerIP in the root namespace: the OpenFlow connections take this
// path, and bad checksum offload shows up only with TCP, not ping.
func checkTCPToController(t *testing.T, c *cluster.Cluster) {
	t.Helper()
	const size = 3_000_000
	l, err := net.Listen("tcp", netip.AddrPortFrom(c.ControllerIP, 0).String())
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	for _, h := range c.Hosts {
		received := make(chan int64, 1)
		go func() {
			conn, err := l.Accept()
			if err != nil {
				received <- -1
				return
			}
			defer conn.Close()
			conn.SetDeadline(time.Now().Add(15 * time.Second))
			n, _ := io.Copy(io.Discard, conn)
			received <- n
		}()
		ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
		out, err := h.Run(ctx, "bash", "-c", fmt.Sprintf("head -c %d /dev/zero > /dev/tcp/%s", size, strings.ReplaceAll(l.Addr().String(), ":", "/")))
		cancel()
		if err != nil {
			t.Errorf("%s: TCP to controller: %v %s", h.Name, err, out)
			l.Close() // unblocks Accept
			<-received
			return
		}
		if n := <-received; n != size {
			t.Errorf("%s: controller received %d bytes over TCP, want %d", h.Name, n, size)
		}
	}
}

// TestHarnessHostOps covers what the controller tests lean on besides the
// underlay: processes in root and host namespaces, flow dumps, and a
// vswitchd restart that keeps the database and restores the tunnel IP.
func TestHarnessHostOps(t *testing.T) {
	c := cluster.New(t, cluster.Options{Hosts: 2})
	h1, h2 := c.Hosts[0], c.Hosts[1]

	root := c.StartProcess("echo-root", []string{"sh", "-c", "echo started; exec sleep 60"}, []string{"MARK=root"})
	inHost := h1.StartProcess("netns-name", []string{"sh", "-c", "ip netns identify $$; echo rundir=$OVS_RUNDIR; exec sleep 60"}, nil)
	err := cluster.WaitFor(context.Background(), func() (bool, error) {
		return strings.Contains(root.LogTail(5), "started") && strings.Contains(inHost.LogTail(5), "rundir="), nil
	}, 5*time.Second)
	if err != nil {
		t.Fatalf("processes produced no output: %v", err)
	}
	if got := inHost.LogTail(5); !strings.Contains(got, h1.NS) || !strings.Contains(got, "rundir="+h1.Dir) {
		t.Errorf("host process ran outside %s or without its env: %q", h1.NS, got)
	}
	if err := root.Kill9(); err != nil {
		t.Errorf("Kill9: %v", err)
	}
	if !root.Exited() || root.Wait(time.Second) == nil {
		t.Errorf("killed process: exited=%v, want a non-nil exit error", root.Exited())
	}
	if err := inHost.Stop(); err != nil {
		t.Errorf("Stop: %v", err)
	}

	if _, err := h1.Vsctl("add-br", "br-t", "--", "set", "bridge", "br-t", "datapath_type=netdev", "fail_mode=secure", "protocols=OpenFlow13"); err != nil {
		t.Fatal(err)
	}
	if _, err := h1.Ofctl("br-t", "add-flow", "table=0,priority=7,ip,nw_dst=10.244.0.9,actions=drop"); err != nil {
		t.Fatal(err)
	}
	flows, err := h1.DumpFlows("br-t")
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"cookie=0x0, table=0, priority=7,ip,nw_dst=10.244.0.9 actions=drop"}
	if !slices.Equal(flows, want) {
		t.Errorf("DumpFlows = %q, want %q", flows, want)
	}

	pid, err := h1.VswitchdPid()
	if err != nil {
		t.Fatal(err)
	}
	if err := h1.StopVswitchd(); err != nil {
		t.Fatalf("StopVswitchd: %v", err)
	}
	if err := h2.Ping(h1.TunnelIP, 1, time.Second); err == nil {
		t.Errorf("h1's tunnel IP answers while its vswitchd is stopped")
	}
	if err := h1.StartVswitchd(); err != nil {
		t.Fatalf("StartVswitchd: %v", err)
	}
	if pid2, err := h1.VswitchdPid(); err != nil || pid2 == pid {
		t.Errorf("after restart: pid %d (before %d), err %v", pid2, pid, err)
	}
	if out, err := h1.Vsctl("list-br"); err != nil || !strings.Contains(out, "br-t") {
		t.Errorf("bridge br-t did not survive the restart: %q %v", out, err)
	}
	if flows, err := h1.DumpFlows("br-t"); err != nil || len(flows) != 0 {
		t.Errorf("flows after restart = %q (%v), want none: OVS does not persist flows", flows, err)
	}
	if err := h2.Ping(h1.TunnelIP, 1, 5*time.Second); err != nil {
		t.Errorf("underlay after vswitchd restart: %v", err)
	}

	// A crash leaves a stale pid file behind; the restart must cope.
	if err := h2.KillVswitchd(); err != nil {
		t.Fatalf("KillVswitchd: %v", err)
	}
	if _, err := h2.VswitchdPid(); err == nil {
		t.Errorf("VswitchdPid after SIGKILL: want an error")
	}
	if err := h2.StartVswitchd(); err != nil {
		t.Fatalf("StartVswitchd after a crash: %v", err)
	}
	if err := h1.Ping(h2.TunnelIP, 1, 5*time.Second); err != nil {
		t.Errorf("underlay after vswitchd crash and restart: %v", err)
	}
}
