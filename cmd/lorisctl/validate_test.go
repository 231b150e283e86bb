package main

import (
	"strings"
	"testing"
)

// Bad input must be refused with exit 2 before any host command runs or
// the controller is asked anything.
func TestBadInputChangesNothing(t *testing.T) {
	hostInit := []string{"host", "init", "h1", "--tunnel-ip", "198.18.0.1", "--controller", "tcp:198.18.0.254:6653"}
	attach := []string{"attach", "c1", "--netns", "c1", "--ip", "10.244.1.2/24"}
	cases := []struct {
		name string
		args []string
		want string
	}{
		{"tunnel ip not an IP", with(hostInit, "--tunnel-ip", "198.18.0.300"), "invalid --tunnel-ip"},
		{"tunnel ip hostname", with(hostInit, "--tunnel-ip", "h1.example"), "invalid --tunnel-ip"},
		{"tunnel ip loopback", with(hostInit, "--tunnel-ip", "127.0.0.1"), "unicast"},
		{"controller without port", with(hostInit, "--controller", "tcp:198.18.0.254"), "invalid --controller"},
		{"controller bad port", with(hostInit, "--controller", "tcp:198.18.0.254:70000"), "not in 1-65535"},
		{"controller bad proto", with(hostInit, "--controller", "http:198.18.0.254:6653"), "protocol"},
		{"controller hostname", with(hostInit, "--controller", "tcp:ctl.example:6653"), "not an IP address"},
		{"tunnel type", with(hostInit, "--tunnel", "ipip"), "invalid --tunnel"},
		{"datapath type", with(hostInit, "--datapath", "dpdk"), "invalid --datapath"},
		{"ovsdb syntax", with(hostInit, "--ovsdb", "/run/db.sock"), "invalid --ovsdb"},
		{"host name", []string{"host", "init", "H 1", "--tunnel-ip", "198.18.0.1", "--controller", "tcp:198.18.0.254:6653"}, "invalid host name"},
		{"missing tunnel ip", []string{"host", "init", "h1", "--controller", "tcp:198.18.0.254:6653"}, "--tunnel-ip is required"},
		{"cidr without prefix", with(attach, "--ip", "10.244.1.2"), "invalid --ip"},
		{"cidr network address", with(attach, "--ip", "10.244.1.0/24"), "network address"},
		{"cidr broadcast", with(attach, "--ip", "10.244.1.255/24"), "broadcast"},
		{"cidr garbage", with(attach, "--ip", "10.244.1.2/33"), "invalid --ip"},
		{"mac short", with(attach, "--mac", "02:00:00:00:01"), "invalid --mac"},
		{"mac multicast", with(attach, "--mac", "01:00:5e:00:00:01"), "multicast"},
		{"mac zero", with(attach, "--mac", "00:00:00:00:00:00"), "all-zero"},
		{"ifname too long", with(attach, "--ifname", "eth1234567890123"), "invalid --ifname"},
		{"ifname slash", with(attach, "--ifname", "eth/1"), "invalid --ifname"},
		{"mtu", with(attach, "--mtu", "20"), "invalid --mtu"},
		{"netns and pid", with(attach, "--pid", "42"), "mutually exclusive"},
		{"pod name", with(attach, "--pod", "Web!"), "invalid pod name"},
		{"container name", []string{"attach", "-bad", "--netns", "c1", "--ip", "10.244.1.2/24"}, "unknown shorthand"},
		{"container name chars", []string{"attach", "c 1", "--netns", "c1", "--ip", "10.244.1.2/24"}, "invalid container name"},
		{"missing ip", []string{"attach", "c1", "--netns", "c1"}, "--ip is required"},
		{"detach netns and pid", []string{"detach", "c1", "--netns", "a", "--pid", "3"}, "mutually exclusive"},
		{"pod vni too big", []string{"pod", "create", "web", "--vni", "16777216"}, "invalid --vni"},
		{"output format", []string{"-o", "yaml", "pod", "list"}, "invalid -o"},
		{"unknown flag", []string{"pod", "list", "--nope"}, "unknown flag"},
		{"unknown command", []string{"pods"}, "unknown command"},
		{"unknown subcommand", []string{"host", "frob"}, "unknown command"},
		{"too many args", []string{"pod", "show", "a", "b"}, "wants 1 argument"},
		{"cleanup bridge name", []string{"host", "cleanup", "--bridge", "br/x"}, "invalid --bridge"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			api := newFakeAPI(t)
			r := &fakeRunner{}
			ta := newTestApp(api.srv.URL, r)
			if code := ta.exec(tc.args...); code != 2 {
				t.Fatalf("exit code %d, want 2; stderr: %s", code, ta.stderr)
			}
			if !strings.Contains(ta.stderr.String(), tc.want) {
				t.Errorf("stderr %q does not mention %q", ta.stderr, tc.want)
			}
			if !strings.HasPrefix(ta.stderr.String(), "lorisctl: ") {
				t.Errorf("stderr %q does not start with \"lorisctl: \"", ta.stderr)
			}
			if calls := r.recorded(); len(calls) > 0 {
				t.Errorf("commands ran despite bad input: %q", calls)
			}
			if reqs := api.recorded(); len(reqs) > 0 {
				t.Errorf("controller was asked despite bad input: %+v", reqs)
			}
		})
	}
}

// with returns args with flag set to value (replacing an earlier value).
func with(args []string, flag, value string) []string {
	out := append([]string(nil), args...)
	for i := 0; i+1 < len(out); i++ {
		if out[i] == flag {
			out[i+1] = value
			return out
		}
	}
	return append(out, flag, value)
}

func TestValidateAccepts(t *testing.T) {
	for _, c := range []string{"tcp:198.18.0.254:6653", "ssl:[fd00::1]:6653", "unix:/run/ctl.sock"} {
		if err := validateController(c); err != nil {
			t.Errorf("validateController(%q) = %v", c, err)
		}
	}
	for _, c := range []string{"10.244.1.2/24", "10.244.1.0/31", "fd00::2/64"} {
		if _, err := validateCIDR(c); err != nil {
			t.Errorf("validateCIDR(%q) = %v", c, err)
		}
	}
	if m, err := validateMAC("02:AA:00:00:00:01"); err != nil || m.String() != "02:aa:00:00:00:01" {
		t.Errorf("validateMAC = %v, %v", m, err)
	}
}

func TestNames(t *testing.T) {
	// Pinned: a change would give every existing host a new switch
	// identity.
	if got := hostDatapathID("h1"); got != "0012f3613c213e72" {
		t.Fatalf("hostDatapathID(h1) = %q, want 0012f3613c213e72", got)
	}
	if hostDatapathID("h1") == hostDatapathID("h2") {
		t.Fatal("h1 and h2 share a datapath id")
	}
	if port := hostPortName("c1", "eth1"); port != "lvbc0ebb0240" {
		t.Fatalf("port %q", port)
	}
	if hostPortName("c1", "eth1") == hostPortName("c1", "eth2") {
		t.Fatal("different interfaces share a port name")
	}
}
