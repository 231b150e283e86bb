package ofproto

import (
	"fmt"
	"strings"
)

// ActionType is an OpenFlow 1.3 action type (ofp_action_type).
type ActionType uint16

// Action types of OpenFlow 1.3.
const (
	ActionTypeOutput       ActionType = 0
	ActionTypeCopyTTLOut   ActionType = 11
	ActionTypeCopyTTLIn    ActionType = 12
	ActionTypeSetMPLSTTL   ActionType = 15
	ActionTypeDecMPLSTTL   ActionType = 16
	ActionTypePushVLAN     ActionType = 17
	ActionTypePopVLAN      ActionType = 18
	ActionTypePushMPLS     ActionType = 19
	ActionTypePopMPLS      ActionType = 20
	ActionTypeSetQueue     ActionType = 21
	ActionTypeGroup        ActionType = 22
	ActionTypeSetNwTTL     ActionType = 23
	ActionTypeDecNwTTL     ActionType = 24
	ActionTypeSetField     ActionType = 25
	ActionTypePushPBB      ActionType = 26
	ActionTypePopPBB       ActionType = 27
	ActionTypeExperimenter ActionType = 0xffff
)

// Action is one OpenFlow action. The concrete types are the Action* value
// types of this package; actions a switch sends that this package does not
// model decode as ActionUnknown and re-encode byte for byte.
type Action interface {
	ActionType() ActionType
	// String prints the action ovs-ofctl style, e.g. "output:3".
	String() string
	appendAction(b []byte) []byte
}

// ActionOutput sends the packet to a port. MaxLen is how many bytes go to
// the controller when Port is PortController (ControllerMaxLenNoBuffer for
// all of it).
type ActionOutput struct {
	Port   uint32
	MaxLen uint16
}

// ActionGroup hands the packet to a group.
type ActionGroup struct{ GroupID uint32 }

// ActionSetField rewrites one header field (or a Nicira field such as
// tun_id, tun_dst or a register). Field.Mask must be nil.
type ActionSetField struct{ Field OXM }

// ActionPushVLAN pushes a new VLAN tag with the given TPID (EthTypeVLAN).
type ActionPushVLAN struct{ EtherType uint16 }

// ActionPopVLAN removes the outermost VLAN tag.
type ActionPopVLAN struct{}

// ActionSetQueue picks the egress queue for later output actions.
type ActionSetQueue struct{ QueueID uint32 }

// ActionDecNwTTL decrements the IP TTL (hop limit).
type ActionDecNwTTL struct{}

// ActionExperimenter is a vendor action (for example a Nicira action OVS
// reports in dump-flows). Data is everything after the experimenter id,
// padding included, so that decoding and encoding reproduce the bytes.
type ActionExperimenter struct {
	Experimenter uint32
	Data         []byte
}

// ActionUnknown is any other action: Data is what follows the 4-byte
// type/length header.
type ActionUnknown struct {
	Type uint16
	Data []byte
}

func (ActionOutput) ActionType() ActionType       { return ActionTypeOutput }
func (ActionGroup) ActionType() ActionType        { return ActionTypeGroup }
func (ActionSetField) ActionType() ActionType     { return ActionTypeSetField }
func (ActionPushVLAN) ActionType() ActionType     { return ActionTypePushVLAN }
func (ActionPopVLAN) ActionType() ActionType      { return ActionTypePopVLAN }
func (ActionSetQueue) ActionType() ActionType     { return ActionTypeSetQueue }
func (ActionDecNwTTL) ActionType() ActionType     { return ActionTypeDecNwTTL }
func (ActionExperimenter) ActionType() ActionType { return ActionTypeExperimenter }
func (a ActionUnknown) ActionType() ActionType    { return ActionType(a.Type) }

// actionHeader appends type and a length placeholder; the caller fixes the
// length with putLen16 once the action is complete.
func actionHeader(b []byte, t ActionType) []byte {
	b = ap16(b, uint16(t))
	return ap16(b, 0)
}

func (a ActionOutput) appendAction(b []byte) []byte {
	b = ap16(b, uint16(ActionTypeOutput))
	b = ap16(b, 16)
	b = ap32(b, a.Port)
	b = ap16(b, a.MaxLen)
	return apZeros(b, 6)
}

func (a ActionGroup) appendAction(b []byte) []byte {
	b = ap16(b, uint16(ActionTypeGroup))
	b = ap16(b, 8)
	return ap32(b, a.GroupID)
}

func (a ActionSetField) appendAction(b []byte) []byte {
	start := len(b)
	b = actionHeader(b, ActionTypeSetField)
	b = appendOXM(b, &a.Field)
	b = padTo8(b, start)
	putLen16(b, start+2, start)
	return b
}

func (a ActionPushVLAN) appendAction(b []byte) []byte {
	b = ap16(b, uint16(ActionTypePushVLAN))
	b = ap16(b, 8)
	b = ap16(b, a.EtherType)
	return apZeros(b, 2)
}

func (ActionPopVLAN) appendAction(b []byte) []byte {
	return append(b, 0, byte(ActionTypePopVLAN), 0, 8, 0, 0, 0, 0)
}

func (a ActionSetQueue) appendAction(b []byte) []byte {
	b = ap16(b, uint16(ActionTypeSetQueue))
	b = ap16(b, 8)
	return ap32(b, a.QueueID)
}

func (ActionDecNwTTL) appendAction(b []byte) []byte {
	return append(b, 0, byte(ActionTypeDecNwTTL), 0, 8, 0, 0, 0, 0)
}

func (a ActionExperimenter) appendAction(b []byte) []byte {
	start := len(b)
	b = actionHeader(b, ActionTypeExperimenter)
	b = ap32(b, a.Experimenter)
	b = append(b, a.Data...)
	b = padTo8(b, start)
	putLen16(b, start+2, start)
	return b
}

func (a ActionUnknown) appendAction(b []byte) []byte {
	start := len(b)
	b = actionHeader(b, ActionType(a.Type))
	b = append(b, a.Data...)
	putLen16(b, start+2, start)
	return b
}

// appendActions encodes a list of actions.
func appendActions(b []byte, actions []Action) []byte {
	for _, a := range actions {
		b = a.appendAction(b)
	}
	return b
}

// AppendActions encodes a list of actions as they appear in an
// instruction, bucket or PACKET_OUT.
func AppendActions(b []byte, actions []Action) []byte { return appendActions(b, actions) }

// DecodeActions decodes a list of actions that fills b exactly. Errors
// name the structure "actions" with offsets relative to b.
func DecodeActions(b []byte) ([]Action, error) { return decodeActions(b, "actions", 0) }

// decodeActions decodes a list of actions filling b; off is b's offset in
// the message.
func decodeActions(b []byte, msg string, off int) ([]Action, error) {
	var actions []Action
	for pos := 0; pos < len(b); {
		a, n, err := decodeAction(b[pos:], msg, off+pos)
		if err != nil {
			return nil, err
		}
		actions = append(actions, a)
		pos += n
	}
	return actions, nil
}

func decodeAction(b []byte, msg string, off int) (Action, int, error) {
	if err := need(msg, off, b, 4); err != nil {
		return nil, 0, err
	}
	t := ActionType(u16(b))
	l := int(u16(b[2:]))
	if l < 8 || l%8 != 0 {
		return nil, 0, decodeErr(msg, off+2, fmt.Sprintf("action %d length %d is not a positive multiple of 8", t, l))
	}
	if err := need(msg, off, b, l); err != nil {
		return nil, 0, err
	}
	body := b[4:l:l]
	// fixedLen rejects a known action whose length differs from the spec,
	// since re-encoding it would change its bytes.
	fixedLen := func(want int) error {
		if l != want {
			return decodeErr(msg, off+2, fmt.Sprintf("action %s length %d, want %d", t, l, want))
		}
		return nil
	}
	switch t {
	case ActionTypeOutput:
		if err := fixedLen(16); err != nil {
			return nil, 0, err
		}
		return ActionOutput{Port: u32(body), MaxLen: u16(body[4:])}, l, nil
	case ActionTypeGroup:
		if err := fixedLen(8); err != nil {
			return nil, 0, err
		}
		return ActionGroup{GroupID: u32(body)}, l, nil
	case ActionTypePushVLAN:
		if err := fixedLen(8); err != nil {
			return nil, 0, err
		}
		return ActionPushVLAN{EtherType: u16(body)}, l, nil
	case ActionTypePopVLAN:
		if err := fixedLen(8); err != nil {
			return nil, 0, err
		}
		return ActionPopVLAN{}, l, nil
	case ActionTypeSetQueue:
		if err := fixedLen(8); err != nil {
			return nil, 0, err
		}
		return ActionSetQueue{QueueID: u32(body)}, l, nil
	case ActionTypeDecNwTTL:
		if err := fixedLen(8); err != nil {
			return nil, 0, err
		}
		return ActionDecNwTTL{}, l, nil
	case ActionTypeSetField:
		o, n, err := decodeOXM(body, msg, off+4)
		if err != nil {
			return nil, 0, err
		}
		if (4+n+7)&^7 != l {
			return nil, 0, decodeErr(msg, off+2, fmt.Sprintf("set_field length %d does not fit its %d-byte field", l, n))
		}
		return ActionSetField{Field: o}, l, nil
	case ActionTypeExperimenter:
		return ActionExperimenter{Experimenter: u32(body), Data: body[4:]}, l, nil
	}
	return ActionUnknown{Type: uint16(t), Data: body}, l, nil
}

var actionTypeNames = map[ActionType]string{
	ActionTypeOutput: "OUTPUT", ActionTypeCopyTTLOut: "COPY_TTL_OUT",
	ActionTypeCopyTTLIn: "COPY_TTL_IN", ActionTypeSetMPLSTTL: "SET_MPLS_TTL",
	ActionTypeDecMPLSTTL: "DEC_MPLS_TTL", ActionTypePushVLAN: "PUSH_VLAN",
	ActionTypePopVLAN: "POP_VLAN", ActionTypePushMPLS: "PUSH_MPLS",
	ActionTypePopMPLS: "POP_MPLS", ActionTypeSetQueue: "SET_QUEUE",
	ActionTypeGroup: "GROUP", ActionTypeSetNwTTL: "SET_NW_TTL",
	ActionTypeDecNwTTL: "DEC_NW_TTL", ActionTypeSetField: "SET_FIELD",
	ActionTypePushPBB: "PUSH_PBB", ActionTypePopPBB: "POP_PBB",
	ActionTypeExperimenter: "EXPERIMENTER",
}

func (t ActionType) String() string {
	if s, ok := actionTypeNames[t]; ok {
		return s
	}
	return fmt.Sprintf("ACTION_%d", uint16(t))
}

func (a ActionOutput) String() string {
	if a.Port == PortController {
		return fmt.Sprintf("CONTROLLER:%d", a.MaxLen)
	}
	if a.Port >= PortInPort {
		return PortString(a.Port)
	}
	return fmt.Sprintf("output:%d", a.Port)
}

func (a ActionGroup) String() string { return fmt.Sprintf("group:%d", a.GroupID) }
func (a ActionSetField) String() string {
	return "set_field:" + a.Field.valueString() + "->" + fieldName(a.Field)
}
func (a ActionPushVLAN) String() string { return fmt.Sprintf("push_vlan:0x%04x", a.EtherType) }
func (ActionPopVLAN) String() string    { return "pop_vlan" }
func (a ActionSetQueue) String() string { return fmt.Sprintf("set_queue:%d", a.QueueID) }
func (ActionDecNwTTL) String() string   { return "dec_ttl" }
func (a ActionExperimenter) String() string {
	return fmt.Sprintf("experimenter(0x%08x,0x%x)", a.Experimenter, a.Data)
}
func (a ActionUnknown) String() string { return fmt.Sprintf("action(%d,0x%x)", a.Type, a.Data) }

// ActionsString prints a list of actions comma-separated, "drop" when
// empty, as ovs-ofctl does.
func ActionsString(actions []Action) string {
	if len(actions) == 0 {
		return "drop"
	}
	parts := make([]string, len(actions))
	for i, a := range actions {
		parts[i] = a.String()
	}
	return strings.Join(parts, ",")
}
