package ofproto

// QueueGetConfigRequest asks for the queues of a port (PortAny for all).
type QueueGetConfigRequest struct {
	Port uint32
}

// QueueGetConfigReply lists a port's queues; the queue descriptions are
// kept as raw bytes (loris does not configure queues).
type QueueGetConfigReply struct {
	Port   uint32
	Queues []byte
}

func (*QueueGetConfigRequest) Type() Type { return TypeQueueGetConfigRequest }

func (m *QueueGetConfigRequest) AppendBody(b []byte) []byte {
	b = ap32(b, m.Port)
	return apZeros(b, 4)
}

func (m *QueueGetConfigRequest) DecodeBody(b []byte) error {
	if err := exactLen("QUEUE_GET_CONFIG_REQUEST", HeaderLen, b, 8); err != nil {
		return err
	}
	m.Port = u32(b)
	return nil
}

func (*QueueGetConfigReply) Type() Type { return TypeQueueGetConfigReply }

func (m *QueueGetConfigReply) AppendBody(b []byte) []byte {
	b = ap32(b, m.Port)
	b = apZeros(b, 4)
	return append(b, m.Queues...)
}

func (m *QueueGetConfigReply) DecodeBody(b []byte) error {
	if err := need("QUEUE_GET_CONFIG_REPLY", HeaderLen, b, 8); err != nil {
		return err
	}
	m.Port, m.Queues = u32(b), orNil(b[8:])
	return nil
}
