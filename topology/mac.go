package topology

import (
	"fmt"
	"strconv"
)

// MAC is an Ethernet address. Its text form (and JSON) is lowercase
// colon-separated hex, "02:00:00:00:00:01".
type MAC [6]byte

func (m MAC) String() string {
	return fmt.Sprintf("%02x:%02x:%02x:%02x:%02x:%02x", m[0], m[1], m[2], m[3], m[4], m[5])
}

// IsZero reports whether m is 00:00:00:00:00:00, which the API uses to mean
// "choose one for me".
func (m MAC) IsZero() bool { return m == MAC{} }

// IsMulticast reports whether the group bit is set (this includes broadcast).
func (m MAC) IsMulticast() bool { return m[0]&0x01 != 0 }

// ValidateUnicast rejects the zero MAC and group (multicast/broadcast) MACs:
// neither can identify a single container interface.
func (m MAC) ValidateUnicast() error {
	if m.IsZero() {
		return fmt.Errorf("MAC %s: all-zero: %w", m, ErrInvalid)
	}
	if m.IsMulticast() {
		return fmt.Errorf("MAC %s: multicast/broadcast, want unicast: %w", m, ErrInvalid)
	}
	return nil
}

// ParseMAC accepts six two-digit hex octets separated by ':' or '-', in
// either case.
func ParseMAC(s string) (MAC, error) {
	var m MAC
	if len(s) != 17 {
		return MAC{}, fmt.Errorf("MAC %q: want six hex octets like 02:00:00:00:00:01: %w", s, ErrInvalid)
	}
	sep := s[2]
	if sep != ':' && sep != '-' {
		return MAC{}, fmt.Errorf("MAC %q: want six hex octets like 02:00:00:00:00:01: %w", s, ErrInvalid)
	}
	for i := range 6 {
		if i > 0 && s[3*i-1] != sep {
			return MAC{}, fmt.Errorf("MAC %q: inconsistent separators: %w", s, ErrInvalid)
		}
		octet := s[3*i : 3*i+2]
		if !isHexDigit(rune(octet[0])) || !isHexDigit(rune(octet[1])) {
			return MAC{}, fmt.Errorf("MAC %q: %q is not a hex octet: %w", s, octet, ErrInvalid)
		}
		v, _ := strconv.ParseUint(octet, 16, 8)
		m[i] = byte(v)
	}
	return m, nil
}

func (m MAC) MarshalText() ([]byte, error) { return []byte(m.String()), nil }

// UnmarshalText accepts "" as the zero MAC so API clients may omit it.
func (m *MAC) UnmarshalText(b []byte) error {
	if len(b) == 0 {
		*m = MAC{}
		return nil
	}
	v, err := ParseMAC(string(b))
	if err != nil {
		return err
	}
	*m = v
	return nil
}
