package ofproto

// DescRequest asks for the switch's descriptive strings.
type DescRequest struct{ emptyBody }

// DescReply describes the switch.
type DescReply struct {
	MfrDesc   string
	HWDesc    string
	SWDesc    string
	SerialNum string
	DPDesc    string
}

const (
	descStrLen    = 256
	serialNumLen  = 32
	descReplyLen  = 4*descStrLen + serialNumLen
	descReplyName = "DESC_REPLY"
)

func (*DescRequest) MultipartType() MultipartType { return MultipartDesc }
func (*DescReply) MultipartType() MultipartType   { return MultipartDesc }

func (m *DescReply) AppendBody(b []byte) []byte {
	b = apFixedString(b, m.MfrDesc, descStrLen)
	b = apFixedString(b, m.HWDesc, descStrLen)
	b = apFixedString(b, m.SWDesc, descStrLen)
	b = apFixedString(b, m.SerialNum, serialNumLen)
	return apFixedString(b, m.DPDesc, descStrLen)
}

func (m *DescReply) DecodeBody(b []byte) error {
	if err := exactLen(descReplyName, multipartBodyBase, b, descReplyLen); err != nil {
		return err
	}
	*m = DescReply{
		MfrDesc:   fixedString(b[:256]),
		HWDesc:    fixedString(b[256:512]),
		SWDesc:    fixedString(b[512:768]),
		SerialNum: fixedString(b[768:800]),
		DPDesc:    fixedString(b[800:]),
	}
	return nil
}
