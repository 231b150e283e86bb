package ofproto

// PortMod changes a port's configuration bits selected by Mask.
type PortMod struct {
	PortNo    uint32
	HWAddr    [6]byte
	Config    uint32
	Mask      uint32
	Advertise uint32
}

const portModLen = 32

func (*PortMod) Type() Type { return TypePortMod }

func (m *PortMod) AppendBody(b []byte) []byte {
	b = ap32(b, m.PortNo)
	b = apZeros(b, 4)
	b = append(b, m.HWAddr[:]...)
	b = apZeros(b, 2)
	b = ap32(b, m.Config)
	b = ap32(b, m.Mask)
	b = ap32(b, m.Advertise)
	return apZeros(b, 4)
}

func (m *PortMod) DecodeBody(b []byte) error {
	if err := exactLen("PORT_MOD", HeaderLen, b, portModLen); err != nil {
		return err
	}
	*m = PortMod{PortNo: u32(b), Config: u32(b[16:]), Mask: u32(b[20:]), Advertise: u32(b[24:])}
	copy(m.HWAddr[:], b[8:14])
	return nil
}

// TableMod configures a table (in OpenFlow 1.3 only reserved bits).
type TableMod struct {
	TableID uint8
	Config  uint32
}

func (*TableMod) Type() Type { return TypeTableMod }

func (m *TableMod) AppendBody(b []byte) []byte {
	b = append(b, m.TableID, 0, 0, 0)
	return ap32(b, m.Config)
}

func (m *TableMod) DecodeBody(b []byte) error {
	if err := exactLen("TABLE_MOD", HeaderLen, b, 8); err != nil {
		return err
	}
	m.TableID, m.Config = b[0], u32(b[4:])
	return nil
}
