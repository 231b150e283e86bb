package ofproto

// PortStatsRequest asks for the counters of PortNo (PortAny for all).
type PortStatsRequest struct {
	PortNo uint32
}

// PortStats is one port's counters.
type PortStats struct {
	PortNo       uint32
	RxPackets    uint64
	TxPackets    uint64
	RxBytes      uint64
	TxBytes      uint64
	RxDropped    uint64
	TxDropped    uint64
	RxErrors     uint64
	TxErrors     uint64
	RxFrameErr   uint64
	RxOverErr    uint64
	RxCRCErr     uint64
	Collisions   uint64
	DurationSec  uint32
	DurationNSec uint32
}

// PortStatsReply lists port counters.
type PortStatsReply struct {
	Ports []PortStats
}

// PortDescRequest asks for the description of every port.
type PortDescRequest struct{ emptyBody }

// PortDescReply lists the switch's ports.
type PortDescReply struct {
	Ports []Port
}

const portStatsLen = 112

func (*PortStatsRequest) MultipartType() MultipartType { return MultipartPortStats }
func (*PortStatsReply) MultipartType() MultipartType   { return MultipartPortStats }
func (*PortDescRequest) MultipartType() MultipartType  { return MultipartPortDesc }
func (*PortDescReply) MultipartType() MultipartType    { return MultipartPortDesc }

func (m *PortStatsRequest) AppendBody(b []byte) []byte {
	b = ap32(b, m.PortNo)
	return apZeros(b, 4)
}

func (m *PortStatsRequest) DecodeBody(b []byte) error {
	if err := exactLen("PORT_STATS_REQUEST", multipartBodyBase, b, 8); err != nil {
		return err
	}
	m.PortNo = u32(b)
	return nil
}

func (m *PortStatsReply) AppendBody(b []byte) []byte {
	for i := range m.Ports {
		p := &m.Ports[i]
		b = ap32(b, p.PortNo)
		b = apZeros(b, 4)
		for _, v := range [...]uint64{p.RxPackets, p.TxPackets, p.RxBytes, p.TxBytes,
			p.RxDropped, p.TxDropped, p.RxErrors, p.TxErrors, p.RxFrameErr,
			p.RxOverErr, p.RxCRCErr, p.Collisions} {
			b = ap64(b, v)
		}
		b = ap32(b, p.DurationSec)
		b = ap32(b, p.DurationNSec)
	}
	return b
}

func (m *PortStatsReply) DecodeBody(b []byte) error {
	if err := entriesOf("PORT_STATS_REPLY", b, portStatsLen); err != nil {
		return err
	}
	ports := make([]PortStats, 0, len(b)/portStatsLen)
	for e := b; len(e) > 0; e = e[portStatsLen:] {
		ports = append(ports, PortStats{
			PortNo:       u32(e),
			RxPackets:    u64(e[8:]),
			TxPackets:    u64(e[16:]),
			RxBytes:      u64(e[24:]),
			TxBytes:      u64(e[32:]),
			RxDropped:    u64(e[40:]),
			TxDropped:    u64(e[48:]),
			RxErrors:     u64(e[56:]),
			TxErrors:     u64(e[64:]),
			RxFrameErr:   u64(e[72:]),
			RxOverErr:    u64(e[80:]),
			RxCRCErr:     u64(e[88:]),
			Collisions:   u64(e[96:]),
			DurationSec:  u32(e[104:]),
			DurationNSec: u32(e[108:]),
		})
	}
	m.Ports = ports
	return nil
}

func (m *PortDescReply) AppendBody(b []byte) []byte {
	for i := range m.Ports {
		b = appendPort(b, &m.Ports[i])
	}
	return b
}

func (m *PortDescReply) DecodeBody(b []byte) error {
	const msg = "PORT_DESC_REPLY"
	if err := entriesOf(msg, b, portLen); err != nil {
		return err
	}
	ports := make([]Port, 0, len(b)/portLen)
	for pos := 0; pos < len(b); pos += portLen {
		p, err := decodePort(b[pos:], msg, multipartBodyBase+pos)
		if err != nil {
			return err
		}
		ports = append(ports, p)
	}
	m.Ports = ports
	return nil
}
