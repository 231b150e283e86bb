package ofproto

import "fmt"

// FeaturesRequest asks for the switch's datapath id and capabilities.
type FeaturesRequest struct{}

func (*FeaturesRequest) Type() Type                 { return TypeFeaturesRequest }
func (*FeaturesRequest) AppendBody(b []byte) []byte { return b }
func (*FeaturesRequest) DecodeBody(b []byte) error  { return expectEmpty("FEATURES_REQUEST", b) }

// FeaturesReply identifies the switch. AuxiliaryID is non-zero on an
// auxiliary connection.
type FeaturesReply struct {
	DatapathID   uint64
	NBuffers     uint32
	NTables      uint8
	AuxiliaryID  uint8
	Capabilities uint32 // Cap* bits
}

const featuresReplyLen = 24

func (*FeaturesReply) Type() Type { return TypeFeaturesReply }

func (m *FeaturesReply) AppendBody(b []byte) []byte {
	b = ap64(b, m.DatapathID)
	b = ap32(b, m.NBuffers)
	b = append(b, m.NTables, m.AuxiliaryID, 0, 0)
	b = ap32(b, m.Capabilities)
	return ap32(b, 0) // reserved
}

func (m *FeaturesReply) DecodeBody(b []byte) error {
	if err := exactLen("FEATURES_REPLY", HeaderLen, b, featuresReplyLen); err != nil {
		return err
	}
	*m = FeaturesReply{
		DatapathID:   u64(b),
		NBuffers:     u32(b[8:]),
		NTables:      b[12],
		AuxiliaryID:  b[13],
		Capabilities: u32(b[16:]),
	}
	return nil
}

func (m *FeaturesReply) String() string {
	return fmt.Sprintf("dpid:%016x n_tables:%d n_buffers:%d capabilities:0x%x", m.DatapathID, m.NTables, m.NBuffers, m.Capabilities)
}
