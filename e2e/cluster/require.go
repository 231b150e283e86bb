package cluster

import (
	"os"
	"os/exec"
	"strings"
	"testing"
)

// requiredTools are the programs the harness runs; the list is what a test
// machine must provide, so it is reported in full when something is missing.
var requiredTools = []string{"ovs-vswitchd", "ovsdb-server", "ovsdb-tool", "ovs-vsctl", "ovs-ofctl", "ip", "ethtool", "ping"}

// Require skips the test unless it runs as root on a machine with Open
// vSwitch, iproute2, ethtool and ping, and /dev/net/tun (userspace bridges
// create tap devices).
func Require(t testing.TB) {
	t.Helper()
	if reason := missingPrerequisites(); reason != "" {
		t.Skipf("e2e cluster harness needs %s", reason)
	}
}

func missingPrerequisites() string {
	var missing []string
	if os.Geteuid() != 0 {
		missing = append(missing, "root (network namespaces, veths)")
	}
	for _, tool := range requiredTools {
		if _, err := exec.LookPath(tool); err != nil {
			missing = append(missing, tool+" in PATH")
		}
	}
	if _, err := os.Stat(vswitchSchemaPath()); err != nil {
		missing = append(missing, "the OVSDB schema "+vswitchSchemaPath())
	}
	if _, err := os.Stat("/dev/net/tun"); err != nil {
		missing = append(missing, "/dev/net/tun")
	}
	return strings.Join(missing, ", ")
}

// vswitchSchemaPath honours OVS_PKGDATADIR the way the OVS tools do.
func vswitchSchemaPath() string {
	dir := os.Getenv("OVS_PKGDATADIR")
	if dir == "" {
		dir = "/usr/share/openvswitch"
	}
	return dir + "/vswitch.ovsschema"
}
