package main

import (
	"fmt"
	"regexp"
	"slices"

	"github.com/spf13/cobra"

	"github.com/lorispack/loris/topology"
)

func newHostCmd(a *app) *cobra.Command {
	c := &cobra.Command{
		Use:   "host",
		Short: "Initialise, list and remove container hosts",
		Example: `  lorisctl host init h1 --tunnel-ip 198.18.0.1 --controller tcp:198.18.0.254:6653
  lorisctl host list`,
	}
	groupRun(c)
	c.AddCommand(newHostInitCmd(a), newHostListCmd(a), newHostRemoveCmd(a), newHostCleanupCmd(a))
	return c
}

// hostInitFlags are the host init options as given on the command line.
type hostInitFlags struct {
	tunnelIP   string
	controller string
	bridge     string
	tunnel     string
	datapath   string
	ovsdb      string
	localIP    bool
}

var datapathIDPattern = regexp.MustCompile(`^[0-9a-f]{16}$`)

func newHostInitCmd(a *app) *cobra.Command {
	var f hostInitFlags
	c := &cobra.Command{
		Use:   "init NAME",
		Short: "Set up this host's loris bridge and register the host with the controller",
		Long: `init runs on the container host. It creates (or updates) the Open
vSwitch bridge with fail_mode=secure, OpenFlow 1.3 only, no STP/RSTP and no
in-band control, a datapath id derived from NAME (an existing one is kept),
and one flow-based tunnel port "loris-tun"; points the bridge at the
controller; and registers the host with the controller's API.

The host is registered first, so a host the controller refuses leaves the
bridge untouched. Running init again with the same options changes nothing.

Userspace datapath (--datapath netdev) with native tunnels: Open vSwitch
3.1 drops a packet now and then whenever a network interface appears or
goes in the host (every attach and detach), because it flushes and reloads
its copy of the kernel routes while other threads use it (docs/reliability.md,
"Port changes"). Avoid it by starting ovs-vswitchd with
--disable-system-route, adding the underlay route to it by hand after each
start (ovs-appctl ovs/route/add PREFIX br-phy), and passing
--tunnel-local-ip=false here: with no system routes, OVS finds no local
route for a tunnel source address and would send nothing.`,
		Example: `  lorisctl host init h1 --tunnel-ip 198.18.0.1 --controller tcp:198.18.0.254:6653
  lorisctl host init h1 --tunnel-ip 198.18.0.1 --controller tcp:198.18.0.254:6653 \
      --datapath netdev --tunnel geneve --ovsdb unix:/run/h1/db.sock`,
		Args: exactArgs("NAME"),
		RunE: func(cmd *cobra.Command, args []string) error {
			return runHostInit(cmd, a, args[0], f)
		},
	}
	fl := c.Flags()
	fl.StringVar(&f.tunnelIP, "tunnel-ip", "", "this host's underlay IP, the tunnel endpoint (required)")
	fl.StringVar(&f.controller, "controller", "", "OpenFlow controller target, tcp:IP:PORT (required)")
	fl.StringVar(&f.bridge, "bridge", "br-loris", "bridge name")
	fl.StringVar(&f.tunnel, "tunnel", "vxlan", "tunnel type: vxlan, gre or geneve")
	fl.StringVar(&f.datapath, "datapath", "system", "OVS datapath type: system (kernel) or netdev (userspace)")
	fl.StringVar(&f.ovsdb, "ovsdb", "", "OVSDB to use, e.g. unix:/run/openvswitch/db.sock (default: ovs-vsctl's)")
	fl.BoolVar(&f.localIP, "tunnel-local-ip", true, "pin the tunnel's source address to --tunnel-ip (options:local_ip); false lets OVS pick it from its routes")
	return c
}

func runHostInit(cmd *cobra.Command, a *app, name string, f hostInitFlags) error {
	if err := validateName("host", name); err != nil {
		return usageError{err}
	}
	if f.tunnelIP == "" {
		return usageErrorf("--tunnel-ip is required")
	}
	if f.controller == "" {
		return usageErrorf("--controller is required")
	}
	ip, err := validateTunnelIP(f.tunnelIP)
	if err != nil {
		return usageError{err}
	}
	for _, check := range []error{
		validateController(f.controller),
		validateIfName("--bridge", f.bridge),
		validateTunnel(f.tunnel),
		validateDatapath(f.datapath),
		validateOVSDB(f.ovsdb),
	} {
		if check != nil {
			return usageError{check}
		}
	}
	client, err := a.client()
	if err != nil {
		return usageError{err}
	}
	ctx := cmd.Context()
	ovs := ovsctl{r: a.runner(), db: f.ovsdb}

	info, exists, err := ovs.bridge(ctx, f.bridge)
	if err != nil {
		return err
	}
	if owner := info.externalIDs[extHost]; exists && owner != "" && owner != name {
		return fmt.Errorf("bridge %s already belongs to loris host %q: run lorisctl host cleanup first to re-initialise it as %q", f.bridge, owner, name)
	}
	dpid := hostDatapathID(name)
	if existing := info.otherConfig[otherDatapathID]; datapathIDPattern.MatchString(existing) {
		dpid = existing
	}

	dpidValue, err := topology.ParseDatapathID(dpid)
	if err != nil {
		return err
	}
	registered, raw, err := client.putHost(ctx, topology.Host{
		Name: name, DatapathID: dpidValue, TunnelIP: ip, Tunnel: topology.TunnelType(f.tunnel),
	})
	if err != nil {
		return err
	}
	cfg := hostBridgeConfig{
		bridge: f.bridge, host: name, tunnelIP: ip.String(), tunnel: f.tunnel,
		datapath: f.datapath, datapathID: dpid, controller: f.controller, noLocalIP: !f.localIP,
	}
	setController := !slices.Equal(info.controllers, []string{f.controller})
	if _, err := ovs.vsctl(ctx, hostInitArgs(cfg, setController)...); err != nil {
		return fmt.Errorf("host %s is registered with the controller but configuring bridge %s failed (run init again): %w", name, f.bridge, err)
	}

	p := a.printer()
	if p.json {
		return p.rawJSON(raw)
	}
	verb := "initialised"
	if exists {
		verb = "updated"
	}
	p.line("host %s %s: bridge %s (datapath %s, datapath-id %s), %s tunnel from %s, controller %s",
		name, verb, f.bridge, f.datapath, dpid, f.tunnel, ip, f.controller)
	if registered.DatapathID != 0 && registered.DatapathID != dpidValue {
		p.line("warning: controller has datapath id %s for %s, bridge has %s", registered.DatapathID, name, dpid)
	}
	return nil
}

func newHostListCmd(a *app) *cobra.Command {
	return &cobra.Command{
		Use:     "list",
		Aliases: []string{"ls"},
		Short:   "List the hosts registered with the controller",
		Example: `  lorisctl host list
  lorisctl host list -o json`,
		Args: exactArgs(),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := a.client()
			if err != nil {
				return err
			}
			hosts, raw, err := c.listHosts(cmd.Context())
			if err != nil {
				return err
			}
			p := a.printer()
			if p.json {
				return p.rawJSON(raw)
			}
			rows := make([][]string, 0, len(hosts))
			for _, h := range hosts {
				rows = append(rows, []string{h.Name, h.DatapathID.String(), h.TunnelIP.String(), string(h.Tunnel)})
			}
			return p.table([]string{"NAME", "DATAPATH ID", "TUNNEL IP", "TUNNEL"}, rows)
		},
	}
}

func newHostRemoveCmd(a *app) *cobra.Command {
	var force bool
	c := &cobra.Command{
		Use:     "remove NAME",
		Aliases: []string{"rm"},
		Short:   "Remove a host from the controller",
		Long: `remove deletes the host from the controller. The controller refuses
while containers on the host are attached, unless --force is given (then
it drops those attachments too). It does not touch the host itself: run
"lorisctl host cleanup" there.`,
		Example: `  lorisctl host remove h1
  lorisctl host remove h1 --force`,
		Args: exactArgs("NAME"),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := validateName("host", args[0]); err != nil {
				return usageError{err}
			}
			c, err := a.client()
			if err != nil {
				return err
			}
			if err := c.removeHost(cmd.Context(), args[0], force); err != nil {
				return err
			}
			p := a.printer()
			if p.json {
				return p.value(map[string]any{"removed": "host", "name": args[0]})
			}
			p.line("host %s removed", args[0])
			return nil
		},
	}
	c.Flags().BoolVar(&force, "force", false, "also remove the host's attachments")
	return c
}

// cleanupResult is what host cleanup removed, for -o json.
type cleanupResult struct {
	Bridge        string   `json:"bridge"`
	BridgeRemoved bool     `json:"bridge_removed"`
	Ports         []string `json:"ports_removed"`
}

func newHostCleanupCmd(a *app) *cobra.Command {
	var bridge, ovsdb string
	c := &cobra.Command{
		Use:   "cleanup",
		Short: "Remove this host's loris bridge and the container veths lorisctl made",
		Long: `cleanup runs on the container host. It deletes the host ends of the
veths that "lorisctl attach" made (ports labelled external_ids:loris-attachment
on the bridge; their container ends go with them) and then the bridge. It
refuses a bridge that "lorisctl host init" did not make. It does not contact
the controller: use "lorisctl host remove NAME --force" for that. Running it
again is harmless.`,
		Example: `  lorisctl host cleanup
  lorisctl host cleanup --bridge br-loris --ovsdb unix:/run/h1/db.sock`,
		Args: exactArgs(),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := validateIfName("--bridge", bridge); err != nil {
				return usageError{err}
			}
			if err := validateOVSDB(ovsdb); err != nil {
				return usageError{err}
			}
			res, err := hostCleanup(cmd, a, bridge, ovsdb)
			if err != nil {
				return err
			}
			p := a.printer()
			if p.json {
				return p.value(res)
			}
			if !res.BridgeRemoved {
				p.line("bridge %s does not exist: nothing to clean up", bridge)
				return nil
			}
			for _, port := range res.Ports {
				p.line("removed attachment port %s and its veth", port)
			}
			p.line("removed bridge %s", bridge)
			return nil
		},
	}
	c.Flags().StringVar(&bridge, "bridge", "br-loris", "bridge name")
	c.Flags().StringVar(&ovsdb, "ovsdb", "", "OVSDB to use, e.g. unix:/run/openvswitch/db.sock (default: ovs-vsctl's)")
	return c
}

func hostCleanup(cmd *cobra.Command, a *app, bridge, ovsdb string) (cleanupResult, error) {
	ctx := cmd.Context()
	r := a.runner()
	ovs := ovsctl{r: r, db: ovsdb}
	res := cleanupResult{Bridge: bridge, Ports: []string{}}
	info, exists, err := ovs.bridge(ctx, bridge)
	if err != nil || !exists {
		return res, err
	}
	if info.externalIDs[extHost] == "" {
		return res, fmt.Errorf("bridge %s has no external_ids:%s, so lorisctl host init did not make it: not removing it", bridge, extHost)
	}
	ports, err := ovs.ports(ctx, bridge)
	if err != nil {
		return res, err
	}
	ifs, err := ovs.interfaces(ctx)
	if err != nil {
		return res, err
	}
	var veths []string
	for _, i := range ifs {
		if i.externalIDs[extAttachment] != "" && slices.Contains(ports, i.name) {
			veths = append(veths, i.name)
		}
	}
	slices.Sort(veths)
	if _, err := ovs.vsctl(ctx, "--if-exists", "del-br", bridge); err != nil {
		return res, err
	}
	res.BridgeRemoved = true
	for _, v := range veths {
		if _, err := deleteLink(ctx, r, v); err != nil {
			return res, fmt.Errorf("bridge %s removed, but deleting veth %s failed: %w", bridge, v, err)
		}
		res.Ports = append(res.Ports, v)
	}
	return res, nil
}
