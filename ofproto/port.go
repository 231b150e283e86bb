package ofproto

import (
	"fmt"
	"net"
)

// Port describes a switch port (ofp_port).
type Port struct {
	PortNo     uint32
	HWAddr     [6]byte
	Name       string
	Config     uint32 // PortConfig* bits
	State      uint32 // PortState* bits
	Curr       uint32
	Advertised uint32
	Supported  uint32
	Peer       uint32
	CurrSpeed  uint32 // kbit/s
	MaxSpeed   uint32 // kbit/s
}

// portLen is the size of ofp_port.
const portLen = 64

// portNameLen is OFP_MAX_PORT_NAME_LEN.
const portNameLen = 16

func appendPort(b []byte, p *Port) []byte {
	b = ap32(b, p.PortNo)
	b = apZeros(b, 4)
	b = append(b, p.HWAddr[:]...)
	b = apZeros(b, 2)
	b = apFixedString(b, p.Name, portNameLen)
	for _, v := range [...]uint32{p.Config, p.State, p.Curr, p.Advertised, p.Supported, p.Peer, p.CurrSpeed, p.MaxSpeed} {
		b = ap32(b, v)
	}
	return b
}

func decodePort(b []byte, msg string, off int) (Port, error) {
	if err := need(msg, off, b, portLen); err != nil {
		return Port{}, err
	}
	p := Port{
		PortNo:     u32(b),
		Name:       fixedString(b[16:32]),
		Config:     u32(b[32:]),
		State:      u32(b[36:]),
		Curr:       u32(b[40:]),
		Advertised: u32(b[44:]),
		Supported:  u32(b[48:]),
		Peer:       u32(b[52:]),
		CurrSpeed:  u32(b[56:]),
		MaxSpeed:   u32(b[60:]),
	}
	copy(p.HWAddr[:], b[8:14])
	return p, nil
}

func (p Port) String() string {
	return fmt.Sprintf("%s(%s): addr:%s config=0x%x state=0x%x", PortString(p.PortNo), p.Name, net.HardwareAddr(p.HWAddr[:]), p.Config, p.State)
}
