package cluster

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"testing"
)

// Options shape a cluster.
type Options struct {
	// Hosts is the number of simulated hosts, 1..100.
	Hosts int
	// Subnet is X in the underlay 198.18.X.0/24; 0 picks one that no other
	// cluster and nothing in the root namespace uses.
	Subnet int
	// Prefix starts every namespace and root link name of the cluster;
	// empty picks "l" and four random characters.
	Prefix string
	// StaticTunnelRoutes runs each host's ovs-vswitchd the way
	// docs/reliability.md recommends for the userspace datapath: with
	// --disable-system-route and the underlay route added by hand (so a
	// network interface appearing cannot make OVS flush its routes while
	// it forwards, TestPortChurn), and with the uplink answering ARP for
	// the tunnel IP only on br-phy. Tunnel ports must then have no
	// options:local_ip (lorisctl host init --tunnel-local-ip=false).
	StaticTunnelRoutes bool
}

// Cluster is a set of simulated hosts joined by an underlay, plus the root
// namespace end where the controller runs.
type Cluster struct {
	Hosts []*Host
	// ControllerIP is 198.18.X.254 on a root-namespace veth into the
	// underlay; hosts reach a controller listening there.
	ControllerIP netip.Addr
	// ControllerLink is the name of that veth in the root namespace.
	ControllerLink string
	// Dir holds the cluster's files: host OVS directories, process logs.
	Dir        string
	Prefix     string
	Subnet     int
	UnderlayNS string
	// StaticRoutes: Options.StaticTunnelRoutes.
	StaticRoutes bool

	t testing.TB

	mu         sync.Mutex
	netns      []string // in creation order
	links      []string
	containers []*Container
	processes  []*Process
}

// underlayBridge is the Linux bridge in the underlay namespace.
const underlayBridge = "br0"

// New builds a cluster and registers a cleanup that tears it down, also
// when the test fails or panics. It skips the test when the machine lacks
// what the harness needs and fails it (with logs) when building fails.
func New(t testing.TB, opt Options) *Cluster {
	t.Helper()
	Require(t)
	if opt.Hosts < 1 || opt.Hosts > 100 {
		t.Fatalf("cluster.New: Hosts = %d, want 1..100", opt.Hosts)
	}
	reg, swept, err := register(opt.Prefix, opt.Subnet)
	if len(swept) > 0 {
		t.Logf("cluster: swept leftovers of crashed runs: %v", swept)
	}
	if err != nil {
		t.Fatalf("cluster.New: %v", err)
	}
	c := &Cluster{
		Dir:            reg.Dir,
		Prefix:         reg.Prefix,
		Subnet:         reg.Subnet,
		UnderlayNS:     reg.Prefix + "-ul",
		ControllerLink: reg.Prefix + "-ctl",
		ControllerIP:   netip.AddrFrom4([4]byte{198, 18, byte(reg.Subnet), 254}),
		StaticRoutes:   opt.StaticTunnelRoutes,
		t:              t,
	}
	t.Cleanup(c.teardown)
	if err := c.build(opt.Hosts); err != nil {
		t.Fatalf("cluster %s: build: %v", c.Prefix, err)
	}
	t.Logf("cluster %s: %d hosts on 198.18.%d.0/24, controller %s, files in %s", c.Prefix, opt.Hosts, c.Subnet, c.ControllerIP, c.Dir)
	return c
}

// UnderlayPrefix is the cluster's underlay subnet.
func (c *Cluster) UnderlayPrefix() netip.Prefix {
	return netip.PrefixFrom(netip.AddrFrom4([4]byte{198, 18, byte(c.Subnet), 0}), 24)
}

// Host returns the host called name ("h1".."hN"), or nil.
func (c *Cluster) Host(name string) *Host {
	for _, h := range c.Hosts {
		if h.Name == name {
			return h
		}
	}
	return nil
}

func (c *Cluster) build(hosts int) error {
	ctx := context.Background()
	if err := c.addNamespace(c.UnderlayNS); err != nil {
		return err
	}
	if err := steps(ctx, c.UnderlayNS, nil,
		[]string{"sysctl", "-q", "-w", "net.ipv6.conf.all.disable_ipv6=1", "net.ipv6.conf.default.disable_ipv6=1"},
		[]string{"ip", "link", "add", underlayBridge, "type", "bridge", "stp_state", "0", "forward_delay", "0"},
		[]string{"ip", "link", "set", underlayBridge, "up"},
	); err != nil {
		return err
	}
	if err := c.addControllerLink(ctx); err != nil {
		return err
	}
	for i := 1; i <= hosts; i++ {
		h := &Host{
			Name:     fmt.Sprintf("h%d", i),
			NS:       fmt.Sprintf("%s-h%d", c.Prefix, i),
			Dir:      filepath.Join(c.Dir, fmt.Sprintf("h%d", i)),
			TunnelIP: netip.AddrFrom4([4]byte{198, 18, byte(c.Subnet), byte(i)}),
			cluster:  c,
		}
		h.DB = "unix:" + filepath.Join(h.Dir, "db.sock")
		if err := c.addNamespace(h.NS); err != nil {
			return err
		}
		c.Hosts = append(c.Hosts, h)
		if err := h.plugUnderlay(ctx); err != nil {
			return err
		}
	}
	// OVS start-up dominates build time and hosts are independent.
	errs := make([]error, len(c.Hosts))
	var wg sync.WaitGroup
	for i, h := range c.Hosts {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := h.boot(ctx); err != nil {
				errs[i] = fmt.Errorf("host %s: %w", h.Name, err)
			}
		}()
	}
	wg.Wait()
	return errors.Join(errs...)
}

// addControllerLink gives the root namespace its foot in the underlay.
func (c *Cluster) addControllerLink(ctx context.Context) error {
	if err := c.recordLink(c.ControllerLink); err != nil {
		return err
	}
	addr := netip.PrefixFrom(c.ControllerIP, 24).String()
	if err := steps(ctx, "", nil,
		[]string{"ip", "link", "add", c.ControllerLink, "type", "veth", "peer", "name", "ctl", "netns", c.UnderlayNS},
		[]string{"ip", "addr", "add", addr, "dev", c.ControllerLink},
		// Packets from this kernel stack cross userspace datapaths, which
		// do not complete offloaded checksums: TCP would hang.
		[]string{"ethtool", "-K", c.ControllerLink, "tx", "off"},
		[]string{"ip", "link", "set", c.ControllerLink, "up"},
	); err != nil {
		return err
	}
	// IPv6 autoconfiguration noise is of no use on this link; best effort.
	os.WriteFile("/proc/sys/net/ipv6/conf/"+c.ControllerLink+"/disable_ipv6", []byte("1"), 0o644)
	return steps(ctx, c.UnderlayNS, nil,
		[]string{"ip", "link", "set", "ctl", "master", underlayBridge},
		[]string{"ip", "link", "set", "ctl", "up"},
	)
}

// addNamespace records a namespace in the registry before creating it, so
// that a crash between the two still leaves it findable by the sweep.
func (c *Cluster) addNamespace(ns string) error {
	c.mu.Lock()
	if slices.Contains(c.netns, ns) {
		c.mu.Unlock()
		return fmt.Errorf("namespace %s already exists in this cluster", ns)
	}
	c.netns = append(c.netns, ns)
	c.mu.Unlock()
	if err := appendLine(filepath.Join(c.Dir, netnsFile), ns); err != nil {
		return err
	}
	if _, err := runCommand(context.Background(), nil, "ip", "netns", "add", ns); err != nil {
		c.mu.Lock()
		c.netns = slices.DeleteFunc(c.netns, func(s string) bool { return s == ns })
		c.mu.Unlock()
		return err
	}
	_, err := runInNS(context.Background(), ns, nil, "ip", "link", "set", "lo", "up")
	return err
}

func (c *Cluster) recordLink(name string) error {
	c.mu.Lock()
	c.links = append(c.links, name)
	c.mu.Unlock()
	return appendLine(filepath.Join(c.Dir, linksFile), name)
}
