package ofproto

import (
	"errors"
	"fmt"
)

// DecodeError reports malformed input: which message (or structure) was
// being decoded, at which byte offset within it, and why.
type DecodeError struct {
	Msg    string // message type or structure name, e.g. "FLOW_MOD" or "OXM"
	Offset int    // byte offset within the message where decoding failed
	Reason string
}

func (e *DecodeError) Error() string {
	return fmt.Sprintf("ofproto: decode %s at offset %d: %s", e.Msg, e.Offset, e.Reason)
}

// ErrMessageTooLong is returned when an encoded message would exceed the
// 16-bit length field.
var ErrMessageTooLong = errors.New("ofproto: message longer than 65535 bytes")

// errTruncated builds the common "need N bytes, have M" decode error.
func errTruncated(msg string, off, need, have int) error {
	return &DecodeError{Msg: msg, Offset: off, Reason: fmt.Sprintf("truncated: need %d bytes, have %d", need, have)}
}
