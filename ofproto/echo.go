package ofproto

// EchoRequest asks the peer to answer with an EchoReply carrying the same
// data; loris uses it as a keepalive.
type EchoRequest struct{ Data []byte }

// EchoReply answers an EchoRequest.
type EchoReply struct{ Data []byte }

func (*EchoRequest) Type() Type                   { return TypeEchoRequest }
func (m *EchoRequest) AppendBody(b []byte) []byte { return append(b, m.Data...) }
func (m *EchoRequest) DecodeBody(b []byte) error  { m.Data = b; return nil }

func (*EchoReply) Type() Type                   { return TypeEchoReply }
func (m *EchoReply) AppendBody(b []byte) []byte { return append(b, m.Data...) }
func (m *EchoReply) DecodeBody(b []byte) error  { m.Data = b; return nil }
