package ofproto

import "fmt"

// newMessage returns an empty message of the type a header names. body is
// passed so that families sharing one ofp_type (experimenter, multipart) can
// pick their concrete type.
func newMessage(t Type, body []byte) (Message, error) {
	switch t {
	case TypeHello:
		return &Hello{}, nil
	case TypeError:
		return &ErrorMsg{}, nil
	case TypeEchoRequest:
		return &EchoRequest{}, nil
	case TypeEchoReply:
		return &EchoReply{}, nil
	case TypeExperimenter:
		return newExperimenterMessage(body), nil
	case TypeFeaturesRequest:
		return &FeaturesRequest{}, nil
	case TypeFeaturesReply:
		return &FeaturesReply{}, nil
	case TypeGetConfigRequest:
		return &GetConfigRequest{}, nil
	case TypeGetConfigReply:
		return &GetConfigReply{}, nil
	case TypeSetConfig:
		return &SetConfig{}, nil
	case TypePacketIn:
		return &PacketIn{}, nil
	case TypeFlowRemoved:
		return &FlowRemoved{}, nil
	case TypePortStatus:
		return &PortStatus{}, nil
	case TypePacketOut:
		return &PacketOut{}, nil
	case TypeFlowMod:
		return &FlowMod{}, nil
	case TypeGroupMod:
		return &GroupMod{}, nil
	case TypePortMod:
		return &PortMod{}, nil
	case TypeTableMod:
		return &TableMod{}, nil
	case TypeMultipartRequest:
		return &MultipartRequest{}, nil
	case TypeMultipartReply:
		return &MultipartReply{}, nil
	case TypeBarrierRequest:
		return &BarrierRequest{}, nil
	case TypeBarrierReply:
		return &BarrierReply{}, nil
	case TypeQueueGetConfigRequest:
		return &QueueGetConfigRequest{}, nil
	case TypeQueueGetConfigReply:
		return &QueueGetConfigReply{}, nil
	case TypeRoleRequest:
		return &RoleRequest{}, nil
	case TypeRoleReply:
		return &RoleReply{}, nil
	case TypeGetAsyncRequest:
		return &GetAsyncRequest{}, nil
	case TypeGetAsyncReply:
		return &GetAsyncReply{}, nil
	case TypeSetAsync:
		return &SetAsync{}, nil
	case TypeMeterMod:
		return &MeterMod{}, nil
	}
	return nil, &DecodeError{Msg: t.String(), Offset: 1, Reason: fmt.Sprintf("unknown message type %d", uint8(t))}
}
