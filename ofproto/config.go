package ofproto

// Switch config flags (ofp_config_flags): how IP fragments are handled.
const (
	ConfigFragNormal uint16 = 0
	ConfigFragDrop   uint16 = 1
	ConfigFragReasm  uint16 = 2
)

// SwitchConfig is the body of GET_CONFIG_REPLY and SET_CONFIG.
// MissSendLen is how much of a packet a PACKET_IN carries
// (ControllerMaxLenNoBuffer for all of it).
type SwitchConfig struct {
	Flags       uint16
	MissSendLen uint16
}

// GetConfigRequest asks for the switch configuration.
type GetConfigRequest struct{}

// GetConfigReply answers GetConfigRequest.
type GetConfigReply SwitchConfig

// SetConfig changes the switch configuration.
type SetConfig SwitchConfig

func (*GetConfigRequest) Type() Type                 { return TypeGetConfigRequest }
func (*GetConfigRequest) AppendBody(b []byte) []byte { return b }
func (*GetConfigRequest) DecodeBody(b []byte) error  { return expectEmpty("GET_CONFIG_REQUEST", b) }

func (*GetConfigReply) Type() Type { return TypeGetConfigReply }
func (m *GetConfigReply) AppendBody(b []byte) []byte {
	return appendSwitchConfig(b, (*SwitchConfig)(m))
}
func (m *GetConfigReply) DecodeBody(b []byte) error {
	return decodeSwitchConfig((*SwitchConfig)(m), b, "GET_CONFIG_REPLY")
}

func (*SetConfig) Type() Type { return TypeSetConfig }
func (m *SetConfig) AppendBody(b []byte) []byte {
	return appendSwitchConfig(b, (*SwitchConfig)(m))
}
func (m *SetConfig) DecodeBody(b []byte) error {
	return decodeSwitchConfig((*SwitchConfig)(m), b, "SET_CONFIG")
}

func appendSwitchConfig(b []byte, c *SwitchConfig) []byte {
	b = ap16(b, c.Flags)
	return ap16(b, c.MissSendLen)
}

func decodeSwitchConfig(c *SwitchConfig, b []byte, msg string) error {
	if err := exactLen(msg, HeaderLen, b, 4); err != nil {
		return err
	}
	c.Flags, c.MissSendLen = u16(b), u16(b[2:])
	return nil
}
