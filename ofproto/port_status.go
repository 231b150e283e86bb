package ofproto

// Port status reasons (ofp_port_reason).
const (
	PortReasonAdd    uint8 = 0
	PortReasonDelete uint8 = 1
	PortReasonModify uint8 = 2
)

// PortStatus reports that a port was added, removed or changed.
type PortStatus struct {
	Reason uint8
	Port   Port
}

func (*PortStatus) Type() Type { return TypePortStatus }

func (m *PortStatus) AppendBody(b []byte) []byte {
	b = append(b, m.Reason, 0, 0, 0, 0, 0, 0, 0)
	return appendPort(b, &m.Port)
}

func (m *PortStatus) DecodeBody(b []byte) error {
	const msg = "PORT_STATUS"
	if err := need(msg, HeaderLen, b, 8+portLen); err != nil {
		return err
	}
	p, err := decodePort(b[8:], msg, HeaderLen+8)
	if err != nil {
		return err
	}
	if len(b) != 8+portLen {
		return decodeErr(msg, HeaderLen+8+portLen, "trailing bytes")
	}
	m.Reason, m.Port = b[0], p
	return nil
}
