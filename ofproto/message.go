package ofproto

import (
	"encoding/binary"
	"fmt"
)

// Message is one OpenFlow message body. The header (version, type, length,
// xid) is added by Append and stripped by Decode.
type Message interface {
	// Type is the message's ofp_type.
	Type() Type
	// AppendBody appends the encoded body (everything after the header).
	AppendBody(b []byte) []byte
	// DecodeBody decodes a body (everything after the header). Errors are
	// *DecodeError with offsets relative to the start of the message
	// (header included).
	DecodeBody(b []byte) error
}

// Append encodes m with the given xid onto b and returns the extended slice.
// It does not check the 16-bit length limit; Marshal does.
func Append(b []byte, xid uint32, m Message) []byte {
	start := len(b)
	b = appendHeader(b, m.Type(), xid)
	b = m.AppendBody(b)
	binary.BigEndian.PutUint16(b[start+2:], uint16(len(b)-start))
	if w, ok := m.(outerXIDWriter); ok {
		w.writeOuterXID(b[start:], xid)
	}
	return b
}

// outerXIDWriter is implemented by messages that embed another message
// whose xid must equal their own (a bundle add), which only Append knows.
type outerXIDWriter interface {
	writeOuterXID(msg []byte, xid uint32)
}

// Marshal encodes m with the given xid into a new buffer, failing if the
// message does not fit OpenFlow's 16-bit length.
func Marshal(xid uint32, m Message) ([]byte, error) {
	b := Append(nil, xid, m)
	if len(b) > MaxMessageLen {
		return nil, ErrMessageTooLong
	}
	return b, nil
}

// Decode decodes one whole message (header and body; b must be exactly one
// message as framed by its length field).
func Decode(b []byte) (Header, Message, error) {
	h, err := DecodeHeader(b)
	if err != nil {
		return h, nil, err
	}
	if int(h.Length) != len(b) {
		return h, nil, &DecodeError{Msg: h.Type.String(), Offset: 2, Reason: fmt.Sprintf("length field %d but message has %d bytes", h.Length, len(b))}
	}
	if h.Version != Version {
		return h, nil, &DecodeError{Msg: h.Type.String(), Offset: 0, Reason: fmt.Sprintf("unsupported version 0x%02x", h.Version)}
	}
	m, err := newMessage(h.Type, b[HeaderLen:])
	if err != nil {
		return h, nil, err
	}
	if err := m.DecodeBody(b[HeaderLen:]); err != nil {
		return h, nil, err
	}
	return h, m, nil
}
