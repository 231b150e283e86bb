package ofproto

// MeterStatsRequest asks for the counters of MeterID (MeterAll for all).
type MeterStatsRequest struct {
	MeterID uint32
}

// MeterConfigRequest asks for the configuration of MeterID (MeterAll for
// all).
type MeterConfigRequest struct {
	MeterID uint32
}

// BandCounter counts what one meter band handled.
type BandCounter struct {
	PacketBandCount uint64
	ByteBandCount   uint64
}

// MeterStats is one meter's counters.
type MeterStats struct {
	MeterID       uint32
	FlowCount     uint32
	PacketInCount uint64
	ByteInCount   uint64
	DurationSec   uint32
	DurationNSec  uint32
	Bands         []BandCounter
}

// MeterStatsReply lists meter counters.
type MeterStatsReply struct {
	Meters []MeterStats
}

// MeterConfig is one meter as the switch holds it.
type MeterConfig struct {
	Flags   uint16
	MeterID uint32
	Bands   []MeterBand
}

// MeterConfigReply lists meter configurations.
type MeterConfigReply struct {
	Meters []MeterConfig
}

func (*MeterStatsRequest) MultipartType() MultipartType  { return MultipartMeter }
func (*MeterConfigRequest) MultipartType() MultipartType { return MultipartMeterConfig }
func (*MeterStatsReply) MultipartType() MultipartType    { return MultipartMeter }
func (*MeterConfigReply) MultipartType() MultipartType   { return MultipartMeterConfig }

func (m *MeterStatsRequest) AppendBody(b []byte) []byte {
	b = ap32(b, m.MeterID)
	return apZeros(b, 4)
}

func (m *MeterStatsRequest) DecodeBody(b []byte) error {
	if err := exactLen("METER_STATS_REQUEST", multipartBodyBase, b, 8); err != nil {
		return err
	}
	m.MeterID = u32(b)
	return nil
}

func (m *MeterConfigRequest) AppendBody(b []byte) []byte {
	b = ap32(b, m.MeterID)
	return apZeros(b, 4)
}

func (m *MeterConfigRequest) DecodeBody(b []byte) error {
	if err := exactLen("METER_CONFIG_REQUEST", multipartBodyBase, b, 8); err != nil {
		return err
	}
	m.MeterID = u32(b)
	return nil
}

const meterStatsFixedLen = 40

func (m *MeterStatsReply) AppendBody(b []byte) []byte {
	for i := range m.Meters {
		s := &m.Meters[i]
		start := len(b)
		b = ap32(b, s.MeterID)
		b = ap16(b, 0)
		b = apZeros(b, 6)
		b = ap32(b, s.FlowCount)
		b = ap64(b, s.PacketInCount)
		b = ap64(b, s.ByteInCount)
		b = ap32(b, s.DurationSec)
		b = ap32(b, s.DurationNSec)
		for _, c := range s.Bands {
			b = ap64(b, c.PacketBandCount)
			b = ap64(b, c.ByteBandCount)
		}
		putLen16(b, start+4, start)
	}
	return b
}

func (m *MeterStatsReply) DecodeBody(b []byte) error {
	const msg = "METER_STATS_REPLY"
	var meters []MeterStats
	err := eachRecord(msg, "meter stats", b, meterStatsFixedLen, 4, 16, func(e []byte, _ int) error {
		s := MeterStats{
			MeterID:       u32(e),
			FlowCount:     u32(e[12:]),
			PacketInCount: u64(e[16:]),
			ByteInCount:   u64(e[24:]),
			DurationSec:   u32(e[32:]),
			DurationNSec:  u32(e[36:]),
		}
		for c := e[meterStatsFixedLen:]; len(c) > 0; c = c[16:] {
			s.Bands = append(s.Bands, BandCounter{PacketBandCount: u64(c), ByteBandCount: u64(c[8:])})
		}
		meters = append(meters, s)
		return nil
	})
	if err != nil {
		return err
	}
	m.Meters = meters
	return nil
}

func (m *MeterConfigReply) AppendBody(b []byte) []byte {
	for i := range m.Meters {
		c := &m.Meters[i]
		start := len(b)
		b = ap16(b, 0)
		b = ap16(b, c.Flags)
		b = ap32(b, c.MeterID)
		b = appendBands(b, c.Bands)
		putLen16(b, start, start)
	}
	return b
}

func (m *MeterConfigReply) DecodeBody(b []byte) error {
	const msg = "METER_CONFIG_REPLY"
	var meters []MeterConfig
	err := eachRecord(msg, "meter config", b, 8, 0, 0, func(e []byte, off int) error {
		bands, err := decodeBands(e[8:], msg, off+8)
		if err != nil {
			return err
		}
		meters = append(meters, MeterConfig{Flags: u16(e[2:]), MeterID: u32(e[4:]), Bands: bands})
		return nil
	})
	if err != nil {
		return err
	}
	m.Meters = meters
	return nil
}
