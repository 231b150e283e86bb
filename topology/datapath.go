package topology

import (
	"fmt"
	"strconv"
	"strings"
)

// DatapathID is an OpenFlow datapath id. Its text form (and JSON) is the 16
// lowercase hex digits that ovs-ofctl shows.
type DatapathID uint64

func (d DatapathID) String() string { return fmt.Sprintf("%016x", uint64(d)) }

// ParseDatapathID accepts "0x" followed by 1-16 hex digits, exactly 16 hex
// digits, or 8 colon-separated hex octets ("00:00:00:00:00:00:ab:cd").
func ParseDatapathID(s string) (DatapathID, error) {
	bad := func() (DatapathID, error) {
		return 0, fmt.Errorf("datapath id %q: want 16 hex digits, 0x-prefixed hex, or 8 colon-separated octets: %w", s, ErrInvalid)
	}
	var digits string
	switch {
	case strings.HasPrefix(s, "0x") || strings.HasPrefix(s, "0X"):
		digits = s[2:]
		if len(digits) < 1 || len(digits) > 16 {
			return bad()
		}
	case strings.Contains(s, ":"):
		octets := strings.Split(s, ":")
		if len(octets) != 8 {
			return bad()
		}
		for _, o := range octets {
			if len(o) != 2 {
				return bad()
			}
		}
		digits = strings.Join(octets, "")
	case len(s) == 16:
		digits = s
	default:
		return bad()
	}
	for _, c := range digits {
		if !isHexDigit(c) {
			return bad()
		}
	}
	v, err := strconv.ParseUint(digits, 16, 64)
	if err != nil {
		return bad()
	}
	return DatapathID(v), nil
}

func (d DatapathID) MarshalText() ([]byte, error) { return []byte(d.String()), nil }

func (d *DatapathID) UnmarshalText(b []byte) error {
	v, err := ParseDatapathID(string(b))
	if err != nil {
		return err
	}
	*d = v
	return nil
}

func isHexDigit(c rune) bool {
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F')
}
