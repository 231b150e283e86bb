package ofproto

import "fmt"

// newMessage returns an empty message of the type a header names. body is
// passed so that families sharing one ofp_type (experimenter, multipart) can
// pick their concrete type.
func newMessage(t Type, body []byte) (Message, error) {
	switch t {
	case TypeHello:
		return &Hello{}, nil
	case TypeEchoRequest:
		return &EchoRequest{}, nil
	case TypeEchoReply:
		return &EchoReply{}, nil
	case TypeBarrierRequest:
		return &BarrierRequest{}, nil
	case TypeBarrierReply:
		return &BarrierReply{}, nil
	}
	return nil, &DecodeError{Msg: t.String(), Offset: 1, Reason: fmt.Sprintf("unknown message type %d", uint8(t))}
}
