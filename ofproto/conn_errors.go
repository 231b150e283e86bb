package ofproto

import (
	"errors"
	"fmt"
	"strings"
)

// ErrClosed is returned by operations on a connection that has been closed,
// and wraps the reason in errors handed to requests that were waiting when
// the connection went down.
var ErrClosed = errors.New("ofproto: connection closed")

// ErrQueueFull is returned by SendNow and TrySend when the connection's
// output queue holds MaxQueuedBytes already: the peer is not reading.
// Nothing was sent.
var ErrQueueFull = errors.New("ofproto: output queue full")

// ErrDeadPeer closes a connection when the peer has sent nothing for
// ConnOptions.DeadTimeout, not even an answer to our echo keepalives.
var ErrDeadPeer = errors.New("ofproto: peer sent nothing within the dead-peer timeout")

// FrameError reports a byte stream that cannot be split into OpenFlow
// messages: a length field out of range or a message cut short. After one of
// these the stream cannot be resynchronised, so the connection is closed.
type FrameError struct {
	Reason string
}

func (e *FrameError) Error() string { return "ofproto: bad frame: " + e.Reason }

// HandshakeError reports a failed version negotiation: the peer's HELLO does
// not admit OpenFlow 1.3 (or the peer did not start with a HELLO).
type HandshakeError struct {
	PeerVersion  uint8   // version in the peer's HELLO header
	PeerVersions []uint8 // versions from the peer's bitmap, if it sent one
	Reason       string
}

func (e *HandshakeError) Error() string {
	return fmt.Sprintf("ofproto: handshake failed: %s (peer header version 0x%02x, bitmap %v)", e.Reason, e.PeerVersion, e.PeerVersions)
}

// VersionError reports a message whose header carries a version other than
// the negotiated 1.3 after the handshake.
type VersionError struct {
	Type    Type
	Version uint8
}

func (e *VersionError) Error() string {
	return fmt.Sprintf("ofproto: %s with version 0x%02x after negotiating 0x%02x", e.Type, e.Version, Version)
}

// BatchFailure is one message of an Apply batch that the switch rejected.
type BatchFailure struct {
	Index int    // position of the message in the slice given to Apply
	XID   uint32 // xid the message was sent with
	Err   error  // the switch's ERROR message (*ErrorMsg)
}

// BatchError lists the messages of an Apply batch that came back with an
// ERROR. Messages not listed were applied: the barrier that ends the batch
// was answered after them.
type BatchError struct {
	Failures []BatchFailure
}

func (e *BatchError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "ofproto: %d message(s) of the batch rejected:", len(e.Failures))
	for i, f := range e.Failures {
		if i == 4 {
			fmt.Fprintf(&b, " ... (%d more)", len(e.Failures)-i)
			break
		}
		fmt.Fprintf(&b, " message %d (xid %d): %v;", f.Index, f.XID, f.Err)
	}
	return strings.TrimSuffix(b.String(), ";")
}
