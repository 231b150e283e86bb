package main

import (
	"fmt"
	"net"
	"net/netip"
	"regexp"
	"strconv"
	"strings"

	"github.com/lorispack/loris/topology"
)

// Every check here runs before any command touches the host or the
// controller, so bad input never leaves half-made state behind.

const maxIfNameLen = 15 // IFNAMSIZ - 1

var tunnelTypes = []string{"vxlan", "gre", "geneve"}

// defaultMTU leaves room for each tunnel's encapsulation on a 1500-byte
// underlay: outer IPv4 (20) plus VXLAN's UDP+header (16), GRE with a key
// (8) or Geneve without options (16), plus the inner Ethernet header (14).
// Geneve keeps extra room for options.
var defaultMTU = map[string]int{"vxlan": 1450, "gre": 1458, "geneve": 1400}

// The name rules match the controller's (package topology), so a name
// lorisctl accepts is never refused by the controller for its spelling.
var (
	objectNamePattern = regexp.MustCompile(`^[a-z0-9][a-z0-9._-]{0,62}$`)
	containerPattern  = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$`)
	linkNamePattern   = regexp.MustCompile(`^[A-Za-z0-9._-]{1,15}$`)
)

// validateName checks host and pod names.
func validateName(kind, s string) error {
	if !objectNamePattern.MatchString(s) {
		return fmt.Errorf("invalid %s name %q: want 1-63 characters of a-z, 0-9, '.', '-', '_', starting with a letter or digit", kind, s)
	}
	return nil
}

func validateTunnelIP(s string) (netip.Addr, error) {
	a, err := netip.ParseAddr(s)
	if err != nil || a.Zone() != "" {
		return netip.Addr{}, fmt.Errorf("invalid --tunnel-ip %q: not an IP address", s)
	}
	if a.IsUnspecified() || a.IsMulticast() || a.IsLoopback() {
		return netip.Addr{}, fmt.Errorf("invalid --tunnel-ip %q: must be a unicast address", s)
	}
	return a, nil
}

// validateController checks an OVS controller target: tcp:IP:PORT or
// ssl:IP:PORT (IPv6 in brackets), or unix:PATH.
func validateController(s string) error {
	proto, rest, ok := strings.Cut(s, ":")
	if !ok {
		return fmt.Errorf("invalid --controller %q: want tcp:IP:PORT, ssl:IP:PORT or unix:PATH", s)
	}
	switch proto {
	case "unix":
		if rest == "" {
			return fmt.Errorf("invalid --controller %q: empty socket path", s)
		}
		return nil
	case "tcp", "ssl":
	default:
		return fmt.Errorf("invalid --controller %q: protocol must be tcp, ssl or unix", s)
	}
	hostPart, portPart, err := net.SplitHostPort(rest)
	if err != nil {
		return fmt.Errorf("invalid --controller %q: want %s:IP:PORT", s, proto)
	}
	if _, err := netip.ParseAddr(hostPart); err != nil {
		return fmt.Errorf("invalid --controller %q: %q is not an IP address", s, hostPart)
	}
	if err := validatePort(portPart); err != nil {
		return fmt.Errorf("invalid --controller %q: %v", s, err)
	}
	return nil
}

func validatePort(s string) error {
	n, err := strconv.Atoi(s)
	if err != nil || n < 1 || n > 65535 {
		return fmt.Errorf("port %q is not in 1-65535", s)
	}
	return nil
}

func validateTunnel(s string) error {
	for _, t := range tunnelTypes {
		if s == t {
			return nil
		}
	}
	return fmt.Errorf("invalid --tunnel %q: want one of %s", s, strings.Join(tunnelTypes, ", "))
}

func validateDatapath(s string) error {
	if s != "system" && s != "netdev" {
		return fmt.Errorf("invalid --datapath %q: want system or netdev", s)
	}
	return nil
}

// validateOVSDB checks the --ovsdb remote syntax ovs-vsctl accepts for a
// local database: unix:PATH, tcp:IP:PORT or ssl:IP:PORT. Empty means the
// system default.
func validateOVSDB(s string) error {
	if s == "" {
		return nil
	}
	proto, rest, ok := strings.Cut(s, ":")
	if !ok || rest == "" {
		return fmt.Errorf("invalid --ovsdb %q: want unix:PATH, tcp:IP:PORT or ssl:IP:PORT", s)
	}
	switch proto {
	case "unix":
		return nil
	case "tcp", "ssl":
		if _, _, err := net.SplitHostPort(rest); err != nil {
			return fmt.Errorf("invalid --ovsdb %q: want %s:IP:PORT", s, proto)
		}
		return nil
	}
	return fmt.Errorf("invalid --ovsdb %q: want unix:PATH, tcp:IP:PORT or ssl:IP:PORT", s)
}

// validateIfName follows the kernel's length limit with the controller's
// alphabet.
func validateIfName(flag, s string) error {
	if !linkNamePattern.MatchString(s) || s == "." || s == ".." {
		return fmt.Errorf("invalid %s %q: want 1-%d characters of A-Z, a-z, 0-9, '.', '-', '_'", flag, s, maxIfNameLen)
	}
	return nil
}

// validateCIDR wants an interface address with its prefix length, such as
// 10.244.1.2/24; the network or broadcast address itself is refused.
func validateCIDR(s string) (netip.Prefix, error) {
	p, err := netip.ParsePrefix(s)
	if err != nil {
		return netip.Prefix{}, fmt.Errorf("invalid --ip %q: want ADDRESS/PREFIX such as 10.244.1.2/24", s)
	}
	a := p.Addr()
	if a.Zone() != "" || a.IsUnspecified() || a.IsMulticast() || a.IsLoopback() {
		return netip.Prefix{}, fmt.Errorf("invalid --ip %q: must be a unicast address", s)
	}
	if a.Is4() && p.Bits() < 31 {
		if a == p.Masked().Addr() {
			return netip.Prefix{}, fmt.Errorf("invalid --ip %q: that is the network address", s)
		}
		if a == lastAddr(p) {
			return netip.Prefix{}, fmt.Errorf("invalid --ip %q: that is the broadcast address", s)
		}
	}
	return p, nil
}

func lastAddr(p netip.Prefix) netip.Addr {
	b := p.Masked().Addr().As4()
	hostBits := 32 - p.Bits()
	v := uint32(b[0])<<24 | uint32(b[1])<<16 | uint32(b[2])<<8 | uint32(b[3])
	v |= (1 << hostBits) - 1
	return netip.AddrFrom4([4]byte{byte(v >> 24), byte(v >> 16), byte(v >> 8), byte(v)})
}

// validateMAC wants a unicast Ethernet address such as 02:00:00:00:00:01.
func validateMAC(s string) (topology.MAC, error) {
	m, err := topology.ParseMAC(s)
	if err != nil {
		return topology.MAC{}, fmt.Errorf("invalid --mac %q: want six hex bytes such as 02:00:00:00:00:01", s)
	}
	if err := m.ValidateUnicast(); err != nil {
		return topology.MAC{}, fmt.Errorf("invalid --mac %q: %v", s, err)
	}
	return m, nil
}

func validateMTU(n int) error {
	if n != 0 && (n < 68 || n > 65535) {
		return fmt.Errorf("invalid --mtu %d: want 68-65535", n)
	}
	return nil
}

// validateContainer checks the container label, which ends up in OVSDB
// external_ids and in the controller.
func validateContainer(s string) error {
	if !containerPattern.MatchString(s) {
		return fmt.Errorf("invalid container name %q: want 1-128 characters of A-Z, a-z, 0-9, '.', '-', '_', ':', starting with a letter or digit", s)
	}
	return nil
}

// validateNetnsName rejects names that would escape /var/run/netns.
func validateNetnsName(s string) error {
	if s == "" || s == "." || s == ".." || strings.ContainsAny(s, "/\x00") {
		return fmt.Errorf("invalid --netns %q", s)
	}
	return nil
}
