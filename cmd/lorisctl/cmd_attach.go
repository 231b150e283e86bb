package main

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"slices"
	"strings"
	"sync"

	"github.com/lorispack/loris/topology"

	"github.com/spf13/cobra"
)

// attachFlags are the attach options as given on the command line.
type attachFlags struct {
	ip     string
	pod    string
	mac    string
	ifname string
	netns  string
	pid    int
	ovsdb  string
	bridge string
	mtu    int
}

func newAttachCmd(a *app) *cobra.Command {
	var f attachFlags
	c := &cobra.Command{
		Use:   "attach CONTAINER",
		Short: "Give a container an interface on its pod's network",
		Long: `attach runs on the container host. It registers the attachment with
the controller (which checks the pod and that MAC and IP are unique in it,
and picks a MAC when --mac is not given) while it creates a veth pair whose
container end is made inside the container's network namespace, down; once
the controller agrees, the container end gets the MAC and address and comes
up, and the host end joins the loris bridge.

The container's namespace comes from --netns NAME (/var/run/netns/NAME;
CONTAINER is then just a label), --pid PID (/proc/PID/ns/net), or else from
Docker (docker inspect CONTAINER). The MTU defaults to what the host's
tunnel leaves room for: vxlan 1450, gre 1458, geneve 1400.

If any step fails, everything made so far is removed again, including the
controller's record, and the error is reported.`,
		Example: `  lorisctl attach web-1 --pod web --ip 10.244.1.2/24
  lorisctl attach c1 --netns c1 --ip 10.244.1.3/24 --mac 02:00:00:00:01:03 --ifname eth1
  lorisctl attach c2 --pid 4242 --ip 10.244.1.4/24 --ovsdb unix:/run/h1/db.sock`,
		Args: exactArgs("CONTAINER"),
		RunE: func(cmd *cobra.Command, args []string) error {
			return runAttach(cmd, a, args[0], f)
		},
	}
	fl := c.Flags()
	fl.StringVar(&f.ip, "ip", "", "container address with prefix length, e.g. 10.244.1.2/24 (required)")
	fl.StringVar(&f.pod, "pod", "", "pod to join (default: the controller's default pod)")
	fl.StringVar(&f.mac, "mac", "", "container MAC (default: chosen by the controller, unique in the pod)")
	addTargetFlags(c, &f.ifname, &f.netns, &f.pid, &f.ovsdb, &f.bridge)
	fl.IntVar(&f.mtu, "mtu", 0, "container interface MTU (default: by tunnel type)")
	return c
}

// addTargetFlags are the flags attach and detach share.
func addTargetFlags(c *cobra.Command, ifname, netns *string, pid *int, ovsdb, bridge *string) {
	fl := c.Flags()
	fl.StringVar(ifname, "ifname", "eth1", "interface name inside the container")
	fl.StringVar(netns, "netns", "", "container network namespace name (ip netns)")
	fl.IntVar(pid, "pid", 0, "pid of a process in the container's network namespace")
	fl.StringVar(ovsdb, "ovsdb", "", "OVSDB to use, e.g. unix:/run/openvswitch/db.sock (default: ovs-vsctl's)")
	fl.StringVar(bridge, "bridge", "br-loris", "bridge name")
}

// attachRequest is the validated form of attach's arguments.
type attachRequest struct {
	ip  netip.Prefix
	mac topology.MAC // zero: the controller chooses
}

func validateAttachFlags(container string, f attachFlags) (attachRequest, error) {
	var req attachRequest
	if f.ip == "" {
		return req, errors.New("--ip is required")
	}
	ip, err := validateCIDR(f.ip)
	if err != nil {
		return req, err
	}
	req.ip = ip
	if f.mac != "" {
		if req.mac, err = validateMAC(f.mac); err != nil {
			return req, err
		}
	}
	if f.pod != "" {
		if err := validateName("pod", f.pod); err != nil {
			return req, err
		}
	}
	for _, err := range []error{
		validateContainer(container),
		validateIfName("--ifname", f.ifname),
		validateIfName("--bridge", f.bridge),
		validateOVSDB(f.ovsdb),
		validateMTU(f.mtu),
	} {
		if err != nil {
			return req, err
		}
	}
	if f.netns != "" && f.pid != 0 {
		return req, errors.New("--netns and --pid are mutually exclusive")
	}
	return req, nil
}

func runAttach(cmd *cobra.Command, a *app, container string, f attachFlags) error {
	req, err := validateAttachFlags(container, f)
	if err != nil {
		return usageError{err}
	}
	client, err := a.client()
	if err != nil {
		return usageError{err}
	}
	ctx := cmd.Context()
	r := a.runner()
	ovs := ovsctl{r: r, db: f.ovsdb, dial: a.ovsdbDial(f.ovsdb)}
	port := hostPortName(container, f.ifname)
	host, err := readAttachTarget(ctx, a, r, ovs, container, port, f)
	if err != nil {
		return err
	}

	plumb := plumbing{
		ovs: ovs, bridge: f.bridge, port: port, ifname: f.ifname,
		cidr: req.ip.String(), mtu: host.mtu, ns: host.ns, netdev: host.netdev,
		container: container,
	}
	// The veth needs nothing from the controller, so it is made while the
	// controller is asked; if the controller refuses, it is removed again.
	made := &changes{r: r}
	var plumbErr error
	var wg sync.WaitGroup
	wg.Go(func() { plumbErr = made.run(ctx, prepareStages(plumb)) })
	att, raw, err := client.createAttachment(ctx, topology.Attachment{
		Host: host.name, Container: container, IfName: f.ifname, Port: port,
		MAC: req.mac, IP: req.ip, Pod: f.pod,
	})
	wg.Wait()
	removeVeth := func(cause error) error {
		if uerr := made.undo(ctx); uerr != nil {
			return fmt.Errorf("%w; removing the veth made meanwhile also failed: %v", cause, uerr)
		}
		return cause
	}
	if err != nil {
		if isConflict(err) && strings.Contains(err.Error(), "already attached") {
			// No port exists (checked above), so the record is what an
			// interrupted attach left behind.
			err = fmt.Errorf("%w (no port exists on this host: if an earlier attach was interrupted, lorisctl detach %s --ifname %s clears it)", err, container, f.ifname)
		}
		return removeVeth(err)
	}
	if att.ID == "" {
		return removeVeth(errors.New("controller created the attachment but returned no id"))
	}
	if err := att.MAC.ValidateUnicast(); err != nil {
		return withdraw(ctx, a, client, att.ID,
			removeVeth(fmt.Errorf("controller answered attachment %s with unusable MAC: %v", att.ID, err)))
	}
	plumb.mac = att.MAC.String()
	plumb.attachmentID = att.ID
	if plumbErr == nil {
		plumbErr = made.run(ctx, finishStages(plumb))
	}
	if plumbErr != nil {
		return withdraw(ctx, a, client, att.ID, fmt.Errorf("plumbing %s into %s failed, undone: %w", container, host.ns, plumbErr))
	}

	p := a.printer()
	if p.json {
		return p.rawJSON(raw)
	}
	return p.table([]string{"ID", "POD", "CONTAINER", "IFNAME", "MAC", "IP", "MTU", "PORT"},
		[][]string{{att.ID, att.Pod, container, f.ifname, plumb.mac, req.ip.String(), fmt.Sprint(host.mtu), port}})
}

// attachHost is what attach learned about the host before asking the
// controller.
type attachHost struct {
	name   string // loris host name, from the bridge
	mtu    int
	netdev bool
	ns     netnsTarget
}

// readAttachTarget makes every check attach can make before the controller
// is asked, so a refusal needs nothing undone: the bridge is loris's, the
// container's namespace exists, and neither an OVS interface labelled with
// this container interface nor a host link with its port name exists. The
// three reads (OVSDB, the host's links, the namespace) are independent and
// run at once; their errors are reported in that order.
func readAttachTarget(ctx context.Context, a *app, r runner, ovs ovsctl, container, port string, f attachFlags) (attachHost, error) {
	var (
		view           attachView
		ns             netnsTarget
		portFound      bool
		viewErr, nsErr error
		linkErr        error
		wg             sync.WaitGroup
	)
	wg.Go(func() { view, viewErr = ovs.attachView(ctx, f.bridge, container, f.ifname) })
	wg.Go(func() { ns, nsErr = resolveNetns(ctx, r, a.pathExists, container, f.netns, f.pid) })
	wg.Go(func() { portFound, linkErr = a.hostLinkExists(ctx, r, port) })
	wg.Wait()

	var h attachHost
	if viewErr != nil {
		return h, viewErr
	}
	if !view.bridgeFound {
		return h, fmt.Errorf("bridge %s does not exist: run lorisctl host init first", f.bridge)
	}
	h.name = view.bridge.externalIDs[extHost]
	if h.name == "" {
		return h, fmt.Errorf("bridge %s has no loris host: run lorisctl host init first", f.bridge)
	}
	if !slices.Contains(view.ports, tunnelPortName) || view.tunnel == nil {
		return h, fmt.Errorf("bridge %s has no %s port: run lorisctl host init first", f.bridge, tunnelPortName)
	}
	h.netdev = view.bridge.datapathType == "netdev"
	h.mtu = f.mtu
	if h.mtu == 0 {
		var ok bool
		if h.mtu, ok = defaultMTU[view.tunnel.ifType]; !ok {
			return h, fmt.Errorf("bridge %s has tunnel type %q, which has no default MTU: give --mtu", f.bridge, view.tunnel.ifType)
		}
	}
	if nsErr != nil {
		return h, nsErr
	}
	h.ns = ns
	if len(view.labelled) > 0 {
		ifs := view.labelled
		return h, fmt.Errorf("%s %s is already attached as port %s (attachment %s): run lorisctl detach first",
			container, f.ifname, ifs[0].name, ifs[0].externalIDs[extAttachment])
	}
	if linkErr != nil {
		return h, linkErr
	}
	if portFound {
		return h, fmt.Errorf("interface %s for %s %s already exists, left over from an earlier attach: run lorisctl detach %s --ifname %s",
			port, container, f.ifname, container, f.ifname)
	}
	return h, nil
}

// withdraw deletes the controller's record of an attachment whose
// plumbing failed, so the controller does not route to a port that does
// not exist. It runs even if the user interrupted lorisctl.
func withdraw(ctx context.Context, a *app, client *apiClient, id string, cause error) error {
	if id == "" {
		return cause
	}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), a.timeout)
	defer cancel()
	if err := client.deleteAttachment(ctx, id); err != nil && !isNotFound(err) {
		return fmt.Errorf("%w; removing attachment %s from the controller also failed: %v", cause, id, err)
	}
	return cause
}

// detachResult is what detach did, for -o json.
type detachResult struct {
	Container        string `json:"container"`
	IfName           string `json:"ifname"`
	Attachment       string `json:"attachment,omitempty"`
	Port             string `json:"port,omitempty"`
	PortRemoved      bool   `json:"port_removed"`
	VethRemoved      bool   `json:"veth_removed"`
	ControllerAbsent bool   `json:"controller_already_gone,omitempty"`
}

func newDetachCmd(a *app) *cobra.Command {
	var ifname, netns, ovsdb, bridge string
	var pid int
	c := &cobra.Command{
		Use:   "detach CONTAINER",
		Short: "Remove a container's interface from its pod's network",
		Long: `detach runs on the container host. It finds the bridge port attach
made for CONTAINER and --ifname, deletes the attachment at the controller
(one already gone there is fine), removes the port from the bridge and
deletes the veth pair (taking the container end with it). When there is
no port but an interrupted attach left a controller record or a veth,
those are removed. Detaching something not attached says so and succeeds. --netns and --pid are
accepted for symmetry with attach; detach does not need them.`,
		Example: `  lorisctl detach web-1
  lorisctl detach c1 --ifname eth1 --ovsdb unix:/run/h1/db.sock`,
		Args: exactArgs("CONTAINER"),
		RunE: func(cmd *cobra.Command, args []string) error {
			container := args[0]
			for _, err := range []error{
				validateContainer(container),
				validateIfName("--ifname", ifname),
				validateIfName("--bridge", bridge),
				validateOVSDB(ovsdb),
			} {
				if err != nil {
					return usageError{err}
				}
			}
			if netns != "" && pid != 0 {
				return usageErrorf("--netns and --pid are mutually exclusive")
			}
			res, err := runDetach(cmd.Context(), a, container, ifname, bridge, ovsdb)
			if err != nil {
				return err
			}
			p := a.printer()
			if p.json {
				return p.value(res)
			}
			switch {
			case res.PortRemoved:
				note := ""
				if res.ControllerAbsent {
					note = " (the controller had already forgotten it)"
				}
				p.line("detached %s %s: attachment %s%s, port %s removed", container, ifname, res.Attachment, note, res.Port)
			case res.VethRemoved || res.Attachment != "":
				p.line("%s %s had no port on bridge %s; removed what an interrupted attach left: %s", container, ifname, bridge, leftovers(res))
			default:
				p.line("nothing to detach: %s %s has no port on bridge %s", container, ifname, bridge)
			}
			return nil
		},
	}
	addTargetFlags(c, &ifname, &netns, &pid, &ovsdb, &bridge)
	return c
}

func runDetach(ctx context.Context, a *app, container, ifname, bridge, ovsdb string) (detachResult, error) {
	res := detachResult{Container: container, IfName: ifname}
	client, err := a.client()
	if err != nil {
		return res, usageError{err}
	}
	r := a.runner()
	ovs := ovsctl{r: r, db: ovsdb, dial: a.ovsdbDial(ovsdb)}
	view, err := ovs.attachView(ctx, bridge, container, ifname)
	if err != nil {
		return res, err
	}
	info := view.bridge
	var found *ovsInterface
	for i := range view.labelled {
		if slices.Contains(view.ports, view.labelled[i].name) {
			found = &view.labelled[i]
			break
		}
	}
	if found == nil {
		// No port, but an attach interrupted between asking the controller
		// and adding the port leaves a controller record (its id is
		// derived from host, container and ifname) and perhaps the veth.
		if hostName := info.externalIDs[extHost]; hostName != "" {
			id := topology.AttachmentID(hostName, container, ifname)
			switch err := client.deleteAttachment(ctx, id); {
			case err == nil:
				res.Attachment = id
			case !isNotFound(err):
				return res, err
			}
		}
		res.Port = hostPortName(container, ifname)
		removed, err := deleteLink(ctx, r, res.Port)
		res.VethRemoved = removed
		return res, err
	}
	res.Port = found.name
	res.Attachment = found.externalIDs[extAttachment]
	if res.Attachment != "" {
		if err := client.deleteAttachment(ctx, res.Attachment); err != nil {
			if !isNotFound(err) {
				return res, err
			}
			res.ControllerAbsent = true
		}
	}
	if _, err := ovs.vsctl(ctx, delPortArgs(bridge, found.name)...); err != nil {
		return res, err
	}
	res.PortRemoved = true
	removed, err := deleteLink(ctx, r, found.name)
	res.VethRemoved = removed
	return res, err
}

func newAttachmentsCmd(a *app) *cobra.Command {
	var podName, hostName string
	c := &cobra.Command{
		Use:     "attachments",
		Aliases: []string{"att"},
		Short:   "List attachments known to the controller",
		Example: `  lorisctl attachments
  lorisctl attachments --pod web --host h1 -o json`,
		Args: exactArgs(),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := a.client()
			if err != nil {
				return err
			}
			atts, raw, err := c.listAttachments(cmd.Context(), podName, hostName)
			if err != nil {
				return err
			}
			p := a.printer()
			if p.json {
				return p.rawJSON(raw)
			}
			return attachmentTable(p, atts, true)
		},
	}
	c.Flags().StringVar(&podName, "pod", "", "only this pod's attachments")
	c.Flags().StringVar(&hostName, "host", "", "only this host's attachments")
	return c
}

func leftovers(res detachResult) string {
	var parts []string
	if res.Attachment != "" {
		parts = append(parts, "controller record "+res.Attachment)
	}
	if res.VethRemoved {
		parts = append(parts, "veth "+res.Port)
	}
	return strings.Join(parts, ", ")
}
