package ofproto

// BarrierRequest asks the switch to finish every earlier message before
// answering; its reply confirms that they were applied (or failed with an
// ERROR carrying their xid).
type BarrierRequest struct{}

// BarrierReply answers a BarrierRequest.
type BarrierReply struct{}

func (*BarrierRequest) Type() Type                 { return TypeBarrierRequest }
func (*BarrierRequest) AppendBody(b []byte) []byte { return b }
func (*BarrierRequest) DecodeBody(b []byte) error  { return expectEmpty("BARRIER_REQUEST", b) }

func (*BarrierReply) Type() Type                 { return TypeBarrierReply }
func (*BarrierReply) AppendBody(b []byte) []byte { return b }
func (*BarrierReply) DecodeBody(b []byte) error  { return expectEmpty("BARRIER_REPLY", b) }

func expectEmpty(msg string, b []byte) error {
	if len(b) != 0 {
		return &DecodeError{Msg: msg, Offset: HeaderLen, Reason: "unexpected body"}
	}
	return nil
}
