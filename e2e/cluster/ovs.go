package cluster

import (
	"context"
	"fmt"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// Files in a host directory.
const (
	vswitchdPidFile = "vswitchd.pid"
	ovsdbPidFile    = "ovsdb.pid"
	vswitchdControl = "vswitchd.ctl"
	ovsdbControl    = "ovsdb.ctl"
)

// boot starts the host's OVS and its underlay bridge.
func (h *Host) boot(ctx context.Context) error {
	if err := os.MkdirAll(h.Dir, 0o755); err != nil {
		return err
	}
	if err := steps(ctx, h.NS, nil,
		[]string{"sysctl", "-q", "-w", "net.ipv6.conf.all.disable_ipv6=1", "net.ipv6.conf.default.disable_ipv6=1"},
		[]string{"ip", "link", "set", "eth0", "up"},
	); err != nil {
		return err
	}
	if h.cluster.StaticRoutes {
		// eth0 is br-phy's port but also a kernel interface: by default
		// it too answers ARP for the tunnel IP (on br-phy), with its own
		// MAC, and a peer that caches that MAC sends tunnel packets this
		// host does not decapsulate.
		if err := steps(ctx, h.NS, nil, []string{"sysctl", "-q", "-w", "net.ipv4.conf.eth0.arp_ignore=1"}); err != nil {
			return err
		}
	}
	if _, err := runCommand(ctx, h.Env(), "ovsdb-tool", "create", filepath.Join(h.Dir, "conf.db"), vswitchSchemaPath()); err != nil {
		return err
	}
	if _, err := h.Run(ctx, "ovsdb-server", filepath.Join(h.Dir, "conf.db"),
		"--remote=punix:"+filepath.Join(h.Dir, "db.sock"),
		"--pidfile="+filepath.Join(h.Dir, ovsdbPidFile),
		"--unixctl="+filepath.Join(h.Dir, ovsdbControl),
		"--log-file="+filepath.Join(h.Dir, "ovsdb.log"),
		"--detach", "--no-chdir"); err != nil {
		return err
	}
	if _, err := h.Vsctl("--no-wait", "init"); err != nil {
		return err
	}
	if err := h.startVswitchd(ctx); err != nil {
		return err
	}
	if _, err := h.Vsctl(
		"add-br", UnderlayBridge, "--", "set", "bridge", UnderlayBridge, "datapath_type=netdev",
		"--", "add-port", UnderlayBridge, "eth0"); err != nil {
		return err
	}
	return h.configureTunnelIP(ctx)
}

func (h *Host) startVswitchd(ctx context.Context) error {
	args := []string{h.DB,
		"--pidfile=" + filepath.Join(h.Dir, vswitchdPidFile),
		"--unixctl=" + filepath.Join(h.Dir, vswitchdControl),
		"--log-file=" + filepath.Join(h.Dir, "vswitchd.log"),
		"--detach", "--no-chdir"}
	if h.cluster.StaticRoutes {
		args = append(args, "--disable-system-route")
	}
	_, err := h.Run(ctx, "ovs-vswitchd", args...)
	return err
}

// configureTunnelIP puts the tunnel IP on br-phy's internal interface. That
// interface is a tap device owned by ovs-vswitchd, so it and its address
// vanish whenever vswitchd exits and must be restored after a restart.
func (h *Host) configureTunnelIP(ctx context.Context) error {
	err := WaitFor(ctx, func() (bool, error) {
		_, err := h.Run(ctx, "ip", "link", "show", "dev", UnderlayBridge)
		return err == nil, err
	}, 10*time.Second)
	if err != nil {
		return fmt.Errorf("waiting for %s's internal interface: %w", UnderlayBridge, err)
	}
	if err := steps(ctx, h.NS, nil,
		[]string{"ip", "addr", "replace", netip.PrefixFrom(h.TunnelIP, 24).String(), "dev", UnderlayBridge},
		[]string{"ip", "link", "set", UnderlayBridge, "up"},
	); err != nil {
		return err
	}
	if !h.cluster.StaticRoutes {
		return nil
	}
	// vswitchd learns no routes from the kernel: give it the underlay's.
	// Static routes live in its memory only, so this follows every start.
	return h.AddUnderlayRoute(ctx)
}

// AddUnderlayRoute adds the underlay prefix to vswitchd's own routing
// table, via br-phy. vswitchd refuses the route ("Error while inserting
// route") until it has seen br-phy's address, and it reads addresses from a
// cache that its main loop refreshes only when it gets to the kernel's
// RTM_NEWADDR notification: a route added just after `ip addr` can race that
// notification, so the call is retried for a bounded time.
func (h *Host) AddUnderlayRoute(ctx context.Context) error {
	err := WaitFor(ctx, func() (bool, error) {
		_, err := runCommand(ctx, h.Env(), "ovs-appctl", "--target="+filepath.Join(h.Dir, vswitchdControl),
			"ovs/route/add", h.cluster.UnderlayPrefix().String(), UnderlayBridge)
		return err == nil, err
	}, 10*time.Second)
	if err != nil {
		return fmt.Errorf("host %s: adding the underlay route to vswitchd: %w", h.Name, err)
	}
	return nil
}

// StopVswitchd stops the host's ovs-vswitchd (SIGTERM, then SIGKILL after
// 5 s). OVSDB keeps bridges and ports; flows and br-phy's address are lost.
func (h *Host) StopVswitchd() error {
	return h.stopDaemon(vswitchdPidFile, 5*time.Second, false)
}

// KillVswitchd kills the host's ovs-vswitchd with SIGKILL, like a crash.
func (h *Host) KillVswitchd() error {
	return h.stopDaemon(vswitchdPidFile, 0, true)
}

// StartVswitchd starts ovs-vswitchd again on the same database and restores
// the tunnel IP.
func (h *Host) StartVswitchd() error {
	ctx := context.Background()
	if id, err := h.daemon(vswitchdPidFile); err == nil && id.alive() {
		return fmt.Errorf("host %s: ovs-vswitchd already runs (pid %d)", h.Name, id.Pid)
	}
	if err := h.startVswitchd(ctx); err != nil {
		return err
	}
	return h.configureTunnelIP(ctx)
}

// VswitchdPid returns the pid of the running ovs-vswitchd.
func (h *Host) VswitchdPid() (int, error) {
	id, err := h.daemon(vswitchdPidFile)
	if err != nil {
		return 0, err
	}
	if !id.alive() {
		return 0, fmt.Errorf("host %s: ovs-vswitchd (pid %d) is not running", h.Name, id.Pid)
	}
	return id.Pid, nil
}

// daemon identifies the OVS daemon named by a pid file of this host; it
// refuses a pid whose command line does not name the host directory, so a
// stale pid file never gets an unrelated process killed.
func (h *Host) daemon(pidFile string) (processIdentity, error) {
	pid, err := readPidFile(filepath.Join(h.Dir, pidFile))
	if err != nil {
		return processIdentity{}, err
	}
	if !strings.Contains(processCmdline(pid), h.Dir+"/") {
		return processIdentity{Pid: pid}, fmt.Errorf("pid %d from %s is not this host's daemon", pid, pidFile)
	}
	return identify(pid)
}

func (h *Host) stopDaemon(pidFile string, grace time.Duration, hard bool) error {
	id, err := h.daemon(pidFile)
	if err != nil {
		if os.IsNotExist(err) || !processRunning(id.Pid) {
			return nil // never started, or already gone
		}
		return err
	}
	if hard {
		return kill9(id)
	}
	return terminate(id, grace)
}
