package controller

import (
	"fmt"
	"net"
	"net/netip"
)

// IsLoopbackListen reports whether a listen address ("host:port") accepts
// connections only from this machine. An empty host listens everywhere; a
// host name other than localhost is not trusted to stay on loopback.
func IsLoopbackListen(addr string) (bool, error) {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return false, fmt.Errorf("listen address %q: %w", addr, err)
	}
	if host == "localhost" {
		return true, nil
	}
	ip, err := netip.ParseAddr(host)
	if err != nil {
		return false, nil
	}
	return ip.IsLoopback(), nil
}
