package cluster

import (
	"context"
	"fmt"
	"math"
	"net/netip"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// Container is a plain network namespace standing for a container on Host.
// Attach gives it an interface on one of the host's bridges.
type Container struct {
	Name string
	NS   string
	Host *Host
	// Set by Attach.
	IP     netip.Addr
	HostIf string // the host end of the veth
	OFPort int    // OpenFlow port of HostIf, 0 if not on a bridge

	cluster *Cluster
}

var containerNamePattern = regexp.MustCompile(`^[a-z0-9][a-z0-9-]{0,30}$`)

// AddContainer creates the namespace "<prefix>-<name>" with loopback up and
// IPv6 off (its autoconfiguration chatter would cross the data plane). The
// cluster deletes it on teardown.
func (c *Cluster) AddContainer(h *Host, name string) *Container {
	c.t.Helper()
	if !containerNamePattern.MatchString(name) || name == "ul" || name == "ctl" || regexp.MustCompile(`^h[0-9]+$`).MatchString(name) {
		c.t.Fatalf("cluster %s: container name %q: want [a-z0-9-], not ul, ctl or hN", c.Prefix, name)
	}
	ctr := &Container{Name: name, NS: c.Prefix + "-" + name, Host: h, cluster: c}
	if err := c.addNamespace(ctr.NS); err != nil {
		c.t.Fatalf("cluster %s: add container %s: %v", c.Prefix, name, err)
	}
	if _, err := ctr.Run(context.Background(), "sysctl", "-q", "-w", "net.ipv6.conf.all.disable_ipv6=1", "net.ipv6.conf.default.disable_ipv6=1"); err != nil {
		c.t.Fatalf("cluster %s: add container %s: %v", c.Prefix, name, err)
	}
	c.mu.Lock()
	c.containers = append(c.containers, ctr)
	c.mu.Unlock()
	return ctr
}

// Run runs a command inside the container.
func (ctr *Container) Run(ctx context.Context, name string, args ...string) (string, error) {
	return runInNS(ctx, ctr.NS, nil, name, args...)
}

// StartProcess starts a background process inside the container; see
// Cluster.StartProcess.
func (ctr *Container) StartProcess(name string, args []string, env []string) *Process {
	ctr.cluster.t.Helper()
	return ctr.cluster.mustStart(name, ctr.NS, args, env)
}

// Ping sends count echo requests to ip within timeout (whole seconds,
// rounded up) and returns nil iff count replies came back.
func (ctr *Container) Ping(ip netip.Addr, count int, timeout time.Duration) error {
	if err := pingFrom(ctr.NS, ip, count, timeout); err != nil {
		return fmt.Errorf("%s -> %s: %w", ctr.Name, ip, err)
	}
	return nil
}

// Ping is Container.Ping from the host's own network stack (the underlay).
func (h *Host) Ping(ip netip.Addr, count int, timeout time.Duration) error {
	if err := pingFrom(h.NS, ip, count, timeout); err != nil {
		return fmt.Errorf("%s -> %s: %w", h.Name, ip, err)
	}
	return nil
}

func pingFrom(ns string, ip netip.Addr, count int, timeout time.Duration) error {
	if count < 1 {
		count = 1
	}
	secs := max(1, int(math.Ceil(timeout.Seconds())))
	ctx, cancel := context.WithTimeout(context.Background(), time.Duration(secs+5)*time.Second)
	defer cancel()
	_, err := runInNS(ctx, ns, nil, "ping", "-n", "-q", "-c", strconv.Itoa(count), "-i", "0.2", "-w", strconv.Itoa(secs), ip.String())
	return err
}

// Link describes a container's interface.
type Link struct {
	// Addr is the container's address and prefix length, e.g. 10.244.0.1/24.
	Addr netip.Prefix
	// MTU of both veth ends; 0 means 1450, which leaves room for VXLAN and
	// Geneve headers on a 1500-byte underlay.
	MTU int
	// MAC of the container end; empty lets the kernel choose.
	MAC string
	// HostIf names the host end; empty means "v" + the container name, cut
	// to the 15 characters an interface name may have.
	HostIf string
	// OFPort requests an OpenFlow port number; 0 lets OVS choose.
	OFPort int
	// ExternalIDs are set on the OVS Interface row.
	ExternalIDs map[string]string
}

// Attach gives the container an eth0 (veth) whose other end sits in the
// host namespace and, unless bridge is empty, is added to that OVS bridge.
// Transmit checksum offload is off on both ends: the userspace datapath
// does not complete offloaded checksums.
func (ctr *Container) Attach(bridge string, l Link) error {
	ctx := context.Background()
	if !l.Addr.IsValid() {
		return fmt.Errorf("attach %s: no address", ctr.Name)
	}
	if l.MTU == 0 {
		l.MTU = 1450
	}
	if l.HostIf == "" {
		l.HostIf = "v" + ctr.Name
		if len(l.HostIf) > 15 {
			l.HostIf = l.HostIf[:15]
		}
	}
	h := ctr.Host
	mtu := strconv.Itoa(l.MTU)
	if _, err := runCommand(ctx, nil, "ip", "link", "add", l.HostIf, "netns", h.NS, "type", "veth", "peer", "name", "eth0", "netns", ctr.NS); err != nil {
		return fmt.Errorf("attach %s: %w", ctr.Name, err)
	}
	ctrSteps := [][]string{{"ip", "link", "set", "eth0", "mtu", mtu}}
	if l.MAC != "" {
		ctrSteps = append(ctrSteps, []string{"ip", "link", "set", "eth0", "address", l.MAC})
	}
	ctrSteps = append(ctrSteps,
		[]string{"ip", "addr", "add", l.Addr.String(), "dev", "eth0"},
		[]string{"ethtool", "-K", "eth0", "tx", "off"},
		[]string{"ip", "link", "set", "eth0", "up"},
	)
	if err := steps(ctx, ctr.NS, nil, ctrSteps...); err != nil {
		return fmt.Errorf("attach %s: %w", ctr.Name, err)
	}
	if err := steps(ctx, h.NS, nil,
		[]string{"ip", "link", "set", l.HostIf, "mtu", mtu},
		[]string{"ethtool", "-K", l.HostIf, "tx", "off"},
		[]string{"ip", "link", "set", l.HostIf, "up"},
	); err != nil {
		return fmt.Errorf("attach %s: %w", ctr.Name, err)
	}
	ctr.IP = l.Addr.Addr()
	ctr.HostIf = l.HostIf
	if bridge == "" {
		return nil
	}
	args := []string{"add-port", bridge, l.HostIf}
	var settings []string
	if l.OFPort != 0 {
		settings = append(settings, "ofport_request="+strconv.Itoa(l.OFPort))
	}
	for k, v := range l.ExternalIDs {
		settings = append(settings, fmt.Sprintf("external_ids:%s=%q", k, v))
	}
	if len(settings) > 0 {
		args = append(append(args, "--", "set", "interface", l.HostIf), settings...)
	}
	if _, err := h.Vsctl(args...); err != nil {
		return fmt.Errorf("attach %s: %w", ctr.Name, err)
	}
	out, err := h.Vsctl("get", "interface", l.HostIf, "ofport")
	if err != nil {
		return fmt.Errorf("attach %s: %w", ctr.Name, err)
	}
	port, err := strconv.Atoi(strings.TrimSpace(out))
	if err != nil || port <= 0 {
		return fmt.Errorf("attach %s: OVS gave %s no OpenFlow port (ofport %q)", ctr.Name, l.HostIf, strings.TrimSpace(out))
	}
	ctr.OFPort = port
	return nil
}
