package ofproto

// Clone returns a deep copy of m that shares no bytes with it, for keeping
// a message handed to a Handler past the handler call. It round-trips m
// through its encoding, so m's type must be one Decode knows.
func Clone(m Message) (Message, error) {
	_, c, err := Decode(Append(nil, 0, m))
	return c, err
}
