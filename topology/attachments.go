package topology

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"net/netip"
	"strings"
)

// ReservedPortPrefix starts the names of bridge ports loris creates itself
// (such as the tunnel port), so container ports may not use it.
const ReservedPortPrefix = "loris-"

var ipv4Broadcast = netip.AddrFrom4([4]byte{255, 255, 255, 255})

// AttachmentID is the stable id of the interface ifname of container on
// host: 16 hex digits of sha256(host NUL container NUL ifname). Re-attaching
// the same interface yields the same id.
func AttachmentID(host, container, ifname string) string {
	sum := sha256.Sum256([]byte(host + "\x00" + container + "\x00" + ifname))
	return hex.EncodeToString(sum[:8])
}

// DefaultPortName is the bridge port name used when an attachment names
// none: "lr" plus the first 13 hex digits of its id (15 characters, the
// Linux limit).
func DefaultPortName(id string) string {
	if len(id) > 13 {
		id = id[:13]
	}
	return "lr" + id
}

// Attach adds a container interface to a pod.
//
// Pod "" means DefaultPod, Port "" means DefaultPortName(ID), and a zero MAC
// is replaced by a locally administered one (02:...) derived from the
// pod, host, container and interface names and unique in the pod. ID is
// always AttachmentID(Host, Container, IfName); a caller-supplied ID must
// match it. Created is set to the current time if zero. The stored
// attachment is returned.
func (m *Model) Attach(a Attachment) (Attachment, error) {
	if a.Pod == "" {
		a.Pod = DefaultPod
	}
	if err := validateAttachmentFields(a); err != nil {
		return Attachment{}, err
	}
	id := AttachmentID(a.Host, a.Container, a.IfName)
	if a.ID != "" && a.ID != id {
		return Attachment{}, fmt.Errorf("attachment %s/%s/%s: id %q does not match its derived id %q: %w", a.Host, a.Container, a.IfName, a.ID, id, ErrInvalid)
	}
	a.ID = id
	if a.Port == "" {
		a.Port = DefaultPortName(id)
	}
	label := a.Host + "/" + a.Container + "/" + a.IfName

	if _, ok := m.hosts[a.Host]; !ok {
		return Attachment{}, fmt.Errorf("attachment %s: host %q: %w", label, a.Host, ErrNotFound)
	}
	if _, ok := m.pods[a.Pod]; !ok {
		return Attachment{}, fmt.Errorf("attachment %s: pod %q: %w", label, a.Pod, ErrNotFound)
	}
	if _, dup := m.attachments[id]; dup {
		return Attachment{}, fmt.Errorf("attachment %s: already attached (id %s): %w", label, id, ErrConflict)
	}
	if other, used := m.portOnHost[hostPort{a.Host, a.Port}]; used {
		return Attachment{}, fmt.Errorf("attachment %s: port %q on host %q already used by %s: %w", label, a.Port, a.Host, m.describe(other), ErrConflict)
	}
	if other, used := m.ipInPod[podIP{a.Pod, a.IP.Addr()}]; used {
		return Attachment{}, fmt.Errorf("attachment %s: IP %s already used by %s in pod %s: %w", label, a.IP.Addr(), m.describe(other), a.Pod, ErrConflict)
	}
	if a.MAC.IsZero() {
		mac, err := m.generateMAC(a)
		if err != nil {
			return Attachment{}, err
		}
		a.MAC = mac
	} else if other, used := m.macInPod[podMAC{a.Pod, a.MAC}]; used {
		return Attachment{}, fmt.Errorf("attachment %s: MAC %s already used by %s in pod %s: %w", label, a.MAC, m.describe(other), a.Pod, ErrConflict)
	}
	if a.Created.IsZero() {
		a.Created = m.now().UTC().Round(0)
	}
	m.insertAttachment(a)
	return a, nil
}

// describe names an attachment in error messages as host/container.
func (m *Model) describe(id string) string {
	r, ok := m.attachments[id]
	if !ok {
		return "/"
	}
	return r.Host + "/" + r.Container
}

func validateAttachmentFields(a Attachment) error {
	if err := validateObjectName("host", a.Host); err != nil {
		return err
	}
	if err := validateContainerName(a.Container); err != nil {
		return err
	}
	if err := validateLinkName("ifname", a.IfName); err != nil {
		return err
	}
	if a.Port != "" {
		if err := validateLinkName("port", a.Port); err != nil {
			return err
		}
		if strings.HasPrefix(a.Port, ReservedPortPrefix) {
			return fmt.Errorf("port %q: names starting with %q are reserved for loris's own ports: %w", a.Port, ReservedPortPrefix, ErrInvalid)
		}
	}
	if err := validateObjectName("pod", a.Pod); err != nil {
		return err
	}
	if !a.MAC.IsZero() {
		if err := a.MAC.ValidateUnicast(); err != nil {
			return err
		}
	}
	return validateHostPrefix(a.IP)
}

// validateHostPrefix checks that p is an interface address with its subnet,
// like "10.244.1.5/24": a usable host address, not the subnet's network or
// broadcast address.
func validateHostPrefix(p netip.Prefix) error {
	if !p.IsValid() {
		return fmt.Errorf("IP %q: want an address with prefix length like 10.244.1.5/24: %w", p, ErrInvalid)
	}
	addr := p.Addr()
	if addr.Is4In6() {
		return fmt.Errorf("IP %s: IPv4-mapped IPv6 addresses are not accepted, use the IPv4 form: %w", p, ErrInvalid)
	}
	if addr.IsUnspecified() || addr.IsLoopback() || addr.IsMulticast() || addr == ipv4Broadcast {
		return fmt.Errorf("IP %s: not a unicast host address: %w", p, ErrInvalid)
	}
	if addr.Is4() && p.Bits() < 31 {
		network := p.Masked().Addr()
		if addr == network {
			return fmt.Errorf("IP %s: is the network address of %s: %w", p, p.Masked(), ErrInvalid)
		}
		if addr == lastAddr4(p) {
			return fmt.Errorf("IP %s: is the broadcast address of %s: %w", p, p.Masked(), ErrInvalid)
		}
	}
	return nil
}

func lastAddr4(p netip.Prefix) netip.Addr {
	b := p.Masked().Addr().As4()
	v := binary.BigEndian.Uint32(b[:]) | (1<<(32-p.Bits()) - 1)
	binary.BigEndian.PutUint32(b[:], v)
	return netip.AddrFrom4(b)
}

// generateMAC derives 02:xx:xx:xx:xx:xx from a hash of the attachment's
// names, so the same interface gets the same MAC across restarts, and bumps
// the low 40 bits until the MAC is free in the pod.
func (m *Model) generateMAC(a Attachment) (MAC, error) {
	sum := sha256.Sum256([]byte(a.Pod + "\x00" + a.Host + "\x00" + a.Container + "\x00" + a.IfName))
	var buf [8]byte
	copy(buf[3:], sum[:5])
	v := binary.BigEndian.Uint64(buf[:])
	const space = 1 << 40
	for range len(m.attachments) + 1 { // at most that many MACs can be taken
		var mac MAC
		mac[0] = 0x02
		binary.BigEndian.PutUint64(buf[:], v)
		copy(mac[1:], buf[3:])
		if _, used := m.macInPod[podMAC{a.Pod, mac}]; !used {
			return mac, nil
		}
		v = (v + 1) % space
	}
	return MAC{}, fmt.Errorf("attachment %s/%s/%s: no free MAC in pod %s: %w", a.Host, a.Container, a.IfName, a.Pod, ErrConflict)
}

// Detach removes an attachment by id and returns it.
func (m *Model) Detach(id string) (Attachment, error) {
	r, ok := m.attachments[id]
	if !ok {
		return Attachment{}, fmt.Errorf("attachment %q: %w", id, ErrNotFound)
	}
	m.removeAttachment(r.Attachment)
	return r.Attachment, nil
}

// FindAttachment looks an attachment up by the names it was attached with.
func (m *Model) FindAttachment(host, container, ifname string) (Attachment, bool) {
	return m.Attachment(AttachmentID(host, container, ifname))
}

// Attachment looks an attachment up by id.
func (m *Model) Attachment(id string) (Attachment, bool) {
	r, ok := m.attachments[id]
	if !ok {
		return Attachment{}, false
	}
	return r.Attachment, true
}

// AttachmentOnPort returns the attachment plugged into port on host.
func (m *Model) AttachmentOnPort(host, port string) (Attachment, bool) {
	id, ok := m.portOnHost[hostPort{host, port}]
	if !ok {
		return Attachment{}, false
	}
	return m.Attachment(id)
}

func (m *Model) insertAttachment(a Attachment) {
	m.parts.attachVersion++
	m.putRecord(&record{Attachment: a})
	m.macInPod[podMAC{a.Pod, a.MAC}] = a.ID
	m.ipInPod[podIP{a.Pod, a.IP.Addr()}] = a.ID
	m.portOnHost[hostPort{a.Host, a.Port}] = a.ID
}

func (m *Model) removeAttachment(a Attachment) {
	m.parts.attachVersion++
	m.releaseAll(a)
	m.dropRecord(a.ID)
	delete(m.macInPod, podMAC{a.Pod, a.MAC})
	delete(m.ipInPod, podIP{a.Pod, a.IP.Addr()})
	delete(m.portOnHost, hostPort{a.Host, a.Port})
}
