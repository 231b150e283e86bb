package ofproto

// AsyncConfig selects which asynchronous messages a controller receives:
// index 0 of each mask applies in master/equal role, index 1 in slave
// role; bit n enables reason n.
type AsyncConfig struct {
	PacketInMask    [2]uint32
	PortStatusMask  [2]uint32
	FlowRemovedMask [2]uint32
}

// GetAsyncRequest asks for the current AsyncConfig.
type GetAsyncRequest struct{}

// GetAsyncReply answers GetAsyncRequest.
type GetAsyncReply AsyncConfig

// SetAsync changes the AsyncConfig.
type SetAsync AsyncConfig

const asyncLen = 24

func (*GetAsyncRequest) Type() Type                 { return TypeGetAsyncRequest }
func (*GetAsyncRequest) AppendBody(b []byte) []byte { return b }
func (*GetAsyncRequest) DecodeBody(b []byte) error  { return expectEmpty("GET_ASYNC_REQUEST", b) }

func (*GetAsyncReply) Type() Type { return TypeGetAsyncReply }
func (m *GetAsyncReply) AppendBody(b []byte) []byte {
	return appendAsync(b, (*AsyncConfig)(m))
}
func (m *GetAsyncReply) DecodeBody(b []byte) error {
	return decodeAsync((*AsyncConfig)(m), b, "GET_ASYNC_REPLY")
}

func (*SetAsync) Type() Type                   { return TypeSetAsync }
func (m *SetAsync) AppendBody(b []byte) []byte { return appendAsync(b, (*AsyncConfig)(m)) }
func (m *SetAsync) DecodeBody(b []byte) error {
	return decodeAsync((*AsyncConfig)(m), b, "SET_ASYNC")
}

func appendAsync(b []byte, c *AsyncConfig) []byte {
	for _, mask := range [...][2]uint32{c.PacketInMask, c.PortStatusMask, c.FlowRemovedMask} {
		b = ap32(b, mask[0])
		b = ap32(b, mask[1])
	}
	return b
}

func decodeAsync(c *AsyncConfig, b []byte, msg string) error {
	if err := exactLen(msg, HeaderLen, b, asyncLen); err != nil {
		return err
	}
	c.PacketInMask = [2]uint32{u32(b), u32(b[4:])}
	c.PortStatusMask = [2]uint32{u32(b[8:]), u32(b[12:])}
	c.FlowRemovedMask = [2]uint32{u32(b[16:]), u32(b[20:])}
	return nil
}
