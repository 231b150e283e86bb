package cluster

import (
	"context"
	"fmt"
	"net/netip"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
)

// Host is one simulated container host: a network namespace with its own
// ovsdb-server and ovs-vswitchd.
type Host struct {
	Name string // "h1".."hN"
	NS   string // network namespace
	Dir  string // OVS run, db and log directory
	DB   string // "unix:DIR/db.sock"
	// TunnelIP is 198.18.X.N on the host's br-phy: the source and
	// destination of its tunnels.
	TunnelIP netip.Addr

	cluster *Cluster
}

// UnderlayBridge is the OVS bridge on every host that owns the underlay
// port and carries the tunnel IP.
const UnderlayBridge = "br-phy"

// Env is the environment that points OVS tools at this host's daemons.
func (h *Host) Env() []string {
	return []string{
		"OVS_RUNDIR=" + h.Dir,
		"OVS_DBDIR=" + h.Dir,
		"OVS_LOGDIR=" + h.Dir,
		"OVS_SYSCONFDIR=" + h.Dir,
	}
}

// Run runs a command in the host's namespace with Env, returning combined
// output; the error includes the command and its output.
func (h *Host) Run(ctx context.Context, name string, args ...string) (string, error) {
	return runInNS(ctx, h.NS, h.Env(), name, args...)
}

// Vsctl runs ovs-vsctl against this host's database. It waits for
// ovs-vswitchd to apply changes (at most 20 s) unless args include
// --no-wait, which is needed while vswitchd is stopped.
func (h *Host) Vsctl(args ...string) (string, error) {
	return runCommand(context.Background(), h.Env(), "ovs-vsctl", append([]string{"--db=" + h.DB, "--timeout=20"}, args...)...)
}

// BridgeTarget is the OpenFlow management socket of one of the host's
// bridges, as ovs-ofctl takes it.
func (h *Host) BridgeTarget(bridge string) string {
	return "unix:" + filepath.Join(h.Dir, bridge+".mgmt")
}

// ofctlOptionsWithValue are ovs-ofctl options whose value may come as the
// next argument; any other option must use the --name=value form.
var ofctlOptionsWithValue = map[string]bool{"-O": true, "--protocols": true, "-F": true, "--flow-format": true, "-P": true, "--packet-in-format": true, "-t": true, "--timeout": true}

// Ofctl runs ovs-ofctl on a bridge of this host: Ofctl("br-loris",
// "add-flow", "priority=1,actions=drop") becomes
// ovs-ofctl -O OpenFlow13 add-flow unix:DIR/br-loris.mgmt priority=1,actions=drop.
// Options may precede the command; -O OpenFlow13 is added unless a
// protocol option is given.
func (h *Host) Ofctl(bridge string, args ...string) (string, error) {
	full, err := ofctlArgs(h.BridgeTarget(bridge), args)
	if err != nil {
		return "", fmt.Errorf("ofctl on %s/%s: %w", h.Name, bridge, err)
	}
	return runCommand(context.Background(), h.Env(), "ovs-ofctl", full...)
}

// ofctlArgs puts target right after the command, which follows any options.
func ofctlArgs(target string, args []string) ([]string, error) {
	i := 0
	hasProtocol := false
	for i < len(args) && strings.HasPrefix(args[i], "-") {
		if strings.HasPrefix(args[i], "-O") || strings.HasPrefix(args[i], "--protocols") {
			hasProtocol = true
		}
		if ofctlOptionsWithValue[args[i]] {
			i++
		}
		i++
	}
	if i >= len(args) {
		return nil, fmt.Errorf("no command in %q", args)
	}
	var full []string
	if !hasProtocol {
		full = append(full, "-O", "OpenFlow13")
	}
	full = append(full, args[:i+1]...)
	full = append(full, target)
	return append(full, args[i+1:]...), nil
}

// Appctl runs ovs-appctl against this host's ovs-vswitchd, for example
// Appctl("ofproto/trace", "br-loris", "in_port=1").
func (h *Host) Appctl(args ...string) (string, error) {
	return runCommand(context.Background(), h.Env(), "ovs-appctl", append([]string{"--target=" + filepath.Join(h.Dir, vswitchdControl), "--timeout=20"}, args...)...)
}

// flowStatField matches the parts of a dumped flow that change while it
// sits in the table.
var flowStatField = regexp.MustCompile(`\b(duration|n_packets|n_bytes|idle_age|hard_age)=[^,\s]*,?\s*`)

// DumpFlows returns the flows of a bridge (OpenFlow 1.3), one per line,
// without counters and ages, sorted, so that two dumps of the same table
// compare equal.
func (h *Host) DumpFlows(bridge string) ([]string, error) {
	out, err := h.Ofctl(bridge, "dump-flows")
	if err != nil {
		return nil, err
	}
	return normalizeFlows(out), nil
}

func normalizeFlows(dump string) []string {
	var flows []string
	for _, line := range strings.Split(dump, "\n") {
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, "OFPST_") || strings.HasPrefix(line, "NXST_") {
			continue
		}
		flows = append(flows, strings.TrimSpace(flowStatField.ReplaceAllString(line, "")))
	}
	sort.Strings(flows)
	return flows
}

// StartProcess starts a background process in the host's namespace with
// Env plus env; see Cluster.StartProcess.
func (h *Host) StartProcess(name string, args []string, env []string) *Process {
	h.cluster.t.Helper()
	return h.cluster.mustStart(name, h.NS, args, append(h.Env(), env...))
}

// plugUnderlay creates the host's veth into the underlay bridge.
func (h *Host) plugUnderlay(ctx context.Context) error {
	c := h.cluster
	return steps(ctx, "", nil,
		[]string{"ip", "link", "add", "eth0", "netns", h.NS, "type", "veth", "peer", "name", h.Name, "netns", c.UnderlayNS},
		[]string{"ip", "-n", c.UnderlayNS, "link", "set", h.Name, "master", underlayBridge},
		[]string{"ip", "-n", c.UnderlayNS, "link", "set", h.Name, "up"},
	)
}
