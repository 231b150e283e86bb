package ofproto

import (
	"encoding/binary"
	"fmt"
)

// Version is the only OpenFlow version loris speaks: 1.3.
const Version uint8 = 0x04

// HeaderLen is the size of the fixed OpenFlow header.
const HeaderLen = 8

// MaxMessageLen is the largest length the 16-bit length field can carry.
const MaxMessageLen = 0xffff

// Type is the OpenFlow 1.3 message type (ofp_type).
type Type uint8

// Message types of OpenFlow 1.3.
const (
	TypeHello                 Type = 0
	TypeError                 Type = 1
	TypeEchoRequest           Type = 2
	TypeEchoReply             Type = 3
	TypeExperimenter          Type = 4
	TypeFeaturesRequest       Type = 5
	TypeFeaturesReply         Type = 6
	TypeGetConfigRequest      Type = 7
	TypeGetConfigReply        Type = 8
	TypeSetConfig             Type = 9
	TypePacketIn              Type = 10
	TypeFlowRemoved           Type = 11
	TypePortStatus            Type = 12
	TypePacketOut             Type = 13
	TypeFlowMod               Type = 14
	TypeGroupMod              Type = 15
	TypePortMod               Type = 16
	TypeTableMod              Type = 17
	TypeMultipartRequest      Type = 18
	TypeMultipartReply        Type = 19
	TypeBarrierRequest        Type = 20
	TypeBarrierReply          Type = 21
	TypeQueueGetConfigRequest Type = 22
	TypeQueueGetConfigReply   Type = 23
	TypeRoleRequest           Type = 24
	TypeRoleReply             Type = 25
	TypeGetAsyncRequest       Type = 26
	TypeGetAsyncReply         Type = 27
	TypeSetAsync              Type = 28
	TypeMeterMod              Type = 29
)

var typeNames = [...]string{
	"HELLO", "ERROR", "ECHO_REQUEST", "ECHO_REPLY", "EXPERIMENTER",
	"FEATURES_REQUEST", "FEATURES_REPLY", "GET_CONFIG_REQUEST", "GET_CONFIG_REPLY",
	"SET_CONFIG", "PACKET_IN", "FLOW_REMOVED", "PORT_STATUS", "PACKET_OUT",
	"FLOW_MOD", "GROUP_MOD", "PORT_MOD", "TABLE_MOD", "MULTIPART_REQUEST",
	"MULTIPART_REPLY", "BARRIER_REQUEST", "BARRIER_REPLY",
	"QUEUE_GET_CONFIG_REQUEST", "QUEUE_GET_CONFIG_REPLY", "ROLE_REQUEST",
	"ROLE_REPLY", "GET_ASYNC_REQUEST", "GET_ASYNC_REPLY", "SET_ASYNC", "METER_MOD",
}

func (t Type) String() string {
	if int(t) < len(typeNames) {
		return typeNames[t]
	}
	return fmt.Sprintf("TYPE_%d", uint8(t))
}

// Header is the fixed header that starts every OpenFlow message.
type Header struct {
	Version uint8
	Type    Type
	Length  uint16
	XID     uint32
}

// DecodeHeader reads the header at the start of b. It checks only that the
// header is complete and that its length is at least HeaderLen; the caller
// decides what to do with a version it does not speak.
func DecodeHeader(b []byte) (Header, error) {
	if len(b) < HeaderLen {
		return Header{}, &DecodeError{Msg: "header", Offset: len(b), Reason: "truncated header"}
	}
	h := Header{
		Version: b[0],
		Type:    Type(b[1]),
		Length:  binary.BigEndian.Uint16(b[2:4]),
		XID:     binary.BigEndian.Uint32(b[4:8]),
	}
	if h.Length < HeaderLen {
		return h, &DecodeError{Msg: h.Type.String(), Offset: 2, Reason: fmt.Sprintf("length %d below header size", h.Length)}
	}
	return h, nil
}

// appendHeader writes a header with a zero length placeholder; finishLength
// fills it in once the body is written.
func appendHeader(b []byte, t Type, xid uint32) []byte {
	return append(b, Version, byte(t), 0, 0, byte(xid>>24), byte(xid>>16), byte(xid>>8), byte(xid))
}
