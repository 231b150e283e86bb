package topology

import "fmt"

// AddHost adds h, or updates it when a host of that name exists.
//
// Re-initialising a host may legitimately move it to a new underlay address
// or tunnel type, so changing TunnelIP/Tunnel of an existing host is an
// update (created=false). Its datapath id is its identity on the switch side
// and cannot change: a different DatapathID under the same name is a
// conflict. Adding an identical host again is a no-op. An empty Tunnel means
// DefaultTunnel. The returned Host is the stored one.
func (m *Model) AddHost(h Host) (Host, bool, error) {
	if h.Tunnel == "" {
		h.Tunnel = DefaultTunnel
	}
	if err := validateHost(h); err != nil {
		return Host{}, false, err
	}
	if other, ok := m.hostByDatapath[h.DatapathID]; ok && other != h.Name {
		return Host{}, false, fmt.Errorf("host %q: datapath id %s already used by host %q: %w", h.Name, h.DatapathID, other, ErrConflict)
	}
	if other, ok := m.hostByTunnelIP[h.TunnelIP]; ok && other != h.Name {
		return Host{}, false, fmt.Errorf("host %q: tunnel IP %s already used by host %q: %w", h.Name, h.TunnelIP, other, ErrConflict)
	}
	old, exists := m.hosts[h.Name]
	if !exists {
		m.insertHost(h)
		return h, true, nil
	}
	if old.DatapathID != h.DatapathID {
		return Host{}, false, fmt.Errorf("host %q already exists with datapath id %s, not %s: %w", h.Name, old.DatapathID, h.DatapathID, ErrConflict)
	}
	if old != h {
		m.removeHost(old)
		m.insertHost(h)
	}
	return h, false, nil
}

func validateHost(h Host) error {
	if err := validateObjectName("host", h.Name); err != nil {
		return err
	}
	if h.DatapathID == 0 {
		return fmt.Errorf("host %q: datapath id must be non-zero: %w", h.Name, ErrInvalid)
	}
	// Flows set the tunnel destination with tun_dst, an IPv4 field; IPv6
	// underlays would need tun_ipv6_dst and are not supported yet.
	if !h.TunnelIP.Is4() {
		return fmt.Errorf("host %q: tunnel IP %q must be an IPv4 address: %w", h.Name, h.TunnelIP, ErrInvalid)
	}
	if h.TunnelIP.IsUnspecified() || h.TunnelIP.IsMulticast() || h.TunnelIP == ipv4Broadcast {
		return fmt.Errorf("host %q: tunnel IP %s is not a unicast address: %w", h.Name, h.TunnelIP, ErrInvalid)
	}
	if err := h.Tunnel.Valid(); err != nil {
		return fmt.Errorf("host %q: %w", h.Name, err)
	}
	return nil
}

// RemoveHost deletes a host. A host that still has attachments is only
// removed with force, and its attachments go with it; they are returned.
func (m *Model) RemoveHost(name string, force bool) ([]Attachment, error) {
	h, ok := m.hosts[name]
	if !ok {
		return nil, fmt.Errorf("host %q: %w", name, ErrNotFound)
	}
	var gone []Attachment
	if on := m.parts.onHost.get(name); on.Len() > 0 {
		if !force {
			return nil, fmt.Errorf("host %q has %d attachment(s); detach them or force: %w", name, on.Len(), ErrConflict)
		}
		gone = on.attachments()
	}
	for _, a := range gone {
		m.removeAttachment(a)
	}
	m.removeHost(h)
	return gone, nil
}

func (m *Model) insertHost(h Host) {
	m.hosts[h.Name] = h
	m.hostByDatapath[h.DatapathID] = h.Name
	m.hostByTunnelIP[h.TunnelIP] = h.Name
	m.parts.hosts = nil
}

func (m *Model) removeHost(h Host) {
	delete(m.hosts, h.Name)
	delete(m.hostByDatapath, h.DatapathID)
	delete(m.hostByTunnelIP, h.TunnelIP)
	m.parts.hosts = nil
}
