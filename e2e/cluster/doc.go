// Package cluster builds a simulated cluster of Open vSwitch hosts on one
// machine for end-to-end tests.
//
// Layout (X is the cluster's subnet, N the host number):
//
//	root ns:  <prefix>-ctl   198.18.X.254/24  (the controller lives here)
//	   |
//	<prefix>-ul:  Linux bridge br0 joining every veth below
//	   |
//	<prefix>-hN:  eth0 -> OVS bridge br-phy (netdev); br-phy carries 198.18.X.N/24
//	              own ovsdb-server and ovs-vswitchd, files in Host.Dir
//	<prefix>-<container>: plain network namespaces, attached with Container.Attach
//
// The machine has no OVS kernel module, so every bridge uses the userspace
// datapath; the tunnel IP must therefore sit on the OVS bridge (br-phy) that
// owns the underlay port, otherwise userspace tunnelling cannot route.
//
// Typical use:
//
//	c := cluster.New(t, cluster.Options{Hosts: 3})
//	ctl := c.StartProcess("loris-controller", []string{bin, "--openflow-addr", c.ControllerIP.String() + ":6653"}, nil)
//	h := c.Hosts[0]
//	h.Vsctl("add-br", "br-loris", "--", "set", "bridge", "br-loris", "datapath_type=netdev", "fail_mode=secure")
//	a := c.AddContainer(h, "a")
//	a.Attach("br-loris", cluster.Link{Addr: netip.MustParsePrefix("10.244.0.1/24")})
//	flows, _ := h.DumpFlows("br-loris")
//
// Things worth knowing when writing tests on it:
//   - Removing or changing a flow reaches the datapath only after a
//     revalidator round; h.Appctl("revalidator/wait") waits for one.
//   - Stopping ovs-vswitchd drops every flow and br-phy's tap device;
//     StartVswitchd restores the tunnel IP, the controller must restore flows.
//   - A container's eth0 has MTU 1450 and transmit checksum offload off.
//
// Every cluster registers itself under /tmp/loris-e2e/<prefix> (owner pid,
// namespaces, root links, pid files) so that a later run can sweep what a
// crashed run left behind without touching anything it did not create.
package cluster
