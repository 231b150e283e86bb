package ofproto

import "fmt"

// MeterModCommand is what a METER_MOD does.
type MeterModCommand uint16

// Meter-mod commands.
const (
	MeterModAdd    MeterModCommand = 0
	MeterModModify MeterModCommand = 1
	MeterModDelete MeterModCommand = 2
)

// Meter flags (ofp_meter_flags).
const (
	MeterFlagKbps  uint16 = 1 << 0
	MeterFlagPktps uint16 = 1 << 1
	MeterFlagBurst uint16 = 1 << 2
	MeterFlagStats uint16 = 1 << 3
)

// MeterBandType is the kind of meter band.
type MeterBandType uint16

// Meter band types.
const (
	MeterBandDrop         MeterBandType = 1
	MeterBandDSCPRemark   MeterBandType = 2
	MeterBandExperimenter MeterBandType = 0xffff
)

// MeterBand is one band of a meter. PrecLevel is used by DSCP-remark
// bands, Experimenter by experimenter bands; Data holds what follows an
// experimenter band's id, or the body of a band type this package does
// not know (everything after rate and burst size).
type MeterBand struct {
	Type         MeterBandType
	Rate         uint32
	BurstSize    uint32
	PrecLevel    uint8
	Experimenter uint32
	Data         []byte
}

// MeterMod adds, changes or removes a meter.
type MeterMod struct {
	Command MeterModCommand
	Flags   uint16
	MeterID uint32
	Bands   []MeterBand
}

func (*MeterMod) Type() Type { return TypeMeterMod }

func (m *MeterMod) AppendBody(b []byte) []byte {
	b = ap16(b, uint16(m.Command))
	b = ap16(b, m.Flags)
	b = ap32(b, m.MeterID)
	return appendBands(b, m.Bands)
}

func (m *MeterMod) DecodeBody(b []byte) error {
	const msg = "METER_MOD"
	if err := need(msg, HeaderLen, b, 8); err != nil {
		return err
	}
	bands, err := decodeBands(b[8:], msg, HeaderLen+8)
	if err != nil {
		return err
	}
	*m = MeterMod{Command: MeterModCommand(u16(b)), Flags: u16(b[2:]), MeterID: u32(b[4:]), Bands: bands}
	return nil
}

const meterBandFixedLen = 12

func appendBands(b []byte, bands []MeterBand) []byte {
	for i := range bands {
		band := &bands[i]
		start := len(b)
		b = ap16(b, uint16(band.Type))
		b = ap16(b, 0)
		b = ap32(b, band.Rate)
		b = ap32(b, band.BurstSize)
		switch band.Type {
		case MeterBandDrop:
			b = apZeros(b, 4)
		case MeterBandDSCPRemark:
			b = append(b, band.PrecLevel, 0, 0, 0)
		case MeterBandExperimenter:
			b = ap32(b, band.Experimenter)
			b = append(b, band.Data...)
		default:
			b = append(b, band.Data...)
		}
		putLen16(b, start+2, start)
	}
	return b
}

func decodeBands(b []byte, msg string, off int) ([]MeterBand, error) {
	var bands []MeterBand
	for pos := 0; pos < len(b); {
		if err := need(msg, off+pos, b[pos:], 4); err != nil {
			return nil, err
		}
		t := MeterBandType(u16(b[pos:]))
		l := int(u16(b[pos+2:]))
		if l < 16 || pos+l > len(b) {
			return nil, decodeErr(msg, off+pos+2, fmt.Sprintf("meter band length %d invalid with %d bytes left", l, len(b)-pos))
		}
		body := b[pos+meterBandFixedLen : pos+l : pos+l]
		band := MeterBand{Type: t, Rate: u32(b[pos+4:]), BurstSize: u32(b[pos+8:])}
		switch t {
		case MeterBandDrop, MeterBandDSCPRemark:
			if l != 16 {
				return nil, decodeErr(msg, off+pos+2, fmt.Sprintf("meter band length %d, want 16", l))
			}
			if t == MeterBandDSCPRemark {
				band.PrecLevel = body[0]
			}
		case MeterBandExperimenter:
			band.Experimenter = u32(body)
			band.Data = body[4:]
		default:
			band.Data = body
		}
		bands = append(bands, band)
		pos += l
	}
	return bands, nil
}
