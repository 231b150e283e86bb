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
// Every cluster registers itself under /tmp/loris-e2e/<prefix> (owner pid,
// namespaces, root links, pid files) so that a later run can sweep what a
// crashed run left behind without touching anything it did not create.
package cluster
