package topology

import "fmt"

// TunnelType is the encapsulation a host uses on its tunnel port. Hosts only
// exchange traffic with hosts of the same type: a VXLAN endpoint cannot
// decapsulate GRE or Geneve.
type TunnelType string

const (
	TunnelVXLAN  TunnelType = "vxlan"
	TunnelGRE    TunnelType = "gre"
	TunnelGeneve TunnelType = "geneve"

	// DefaultTunnel is used when a host is added without a tunnel type.
	DefaultTunnel = TunnelVXLAN
)

// Valid reports whether t is one of the supported tunnel types. The empty
// type is not valid here; Model.AddHost replaces it with DefaultTunnel first.
func (t TunnelType) Valid() error {
	switch t {
	case TunnelVXLAN, TunnelGRE, TunnelGeneve:
		return nil
	}
	return fmt.Errorf("tunnel type %q: want vxlan, gre or geneve: %w", string(t), ErrInvalid)
}
