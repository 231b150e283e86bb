package ofproto

import (
	"context"
	"errors"
	"fmt"
)

// Handshake reads the peer's HELLO (ours, offering only OpenFlow 1.3, was
// queued by NewConn). When the peer's HELLO does not admit 1.3 it answers
// ERROR HELLO_FAILED/INCOMPATIBLE, closes the connection and returns a
// *HandshakeError. Any failure closes the connection. Serve does the
// handshake itself when Handshake has not been called, and waits for it
// when it is running.
func (c *Conn) Handshake(ctx context.Context) error {
	if !c.handshakeStarted.CompareAndSwap(false, true) {
		return errors.New("ofproto: handshake already started")
	}
	return c.handshake(ctx)
}

func (c *Conn) handshake(ctx context.Context) error {
	// Closing is the only way to interrupt a blocked read; a handshake cut
	// short leaves nothing worth keeping anyway.
	stop := context.AfterFunc(ctx, func() {
		c.closeWithError(fmt.Errorf("ofproto: handshake: %w", context.Cause(ctx)))
	})
	defer stop()

	frame, err := c.in.next()
	if err != nil {
		return c.fail(fmt.Errorf("ofproto: handshake: reading peer HELLO: %w", err))
	}
	h, _ := DecodeHeader(frame) // next has checked the length
	if h.Type != TypeHello {
		return c.fail(&HandshakeError{PeerVersion: h.Version, Reason: fmt.Sprintf("peer opened with %s instead of HELLO", h.Type)})
	}
	var hello Hello
	if err := hello.DecodeBody(frame[HeaderLen:]); err != nil {
		return c.fail(err)
	}
	if !hello.Supports(h.Version, Version) {
		herr := &HandshakeError{PeerVersion: h.Version, PeerVersions: hello.Versions, Reason: "peer does not speak OpenFlow 1.3"}
		// The peer gets the reason before the connection closes; a failed
		// write only means it will not see it.
		if pos, err := c.out.enqueue([]uint32{h.XID}, []Message{helloFailed("loris speaks only OpenFlow 1.3 (0x04)")}); err == nil {
			c.out.flush(pos)
		}
		return c.fail(herr)
	}
	close(c.handshook)
	return nil
}

// fail closes the connection for err and returns the recorded reason
// (which may be an earlier one, such as the handshake context ending).
func (c *Conn) fail(err error) error {
	c.closeWithError(err)
	return c.err
}

// helloFailed is ERROR HELLO_FAILED/INCOMPATIBLE with a text explanation,
// which is what OpenFlow asks a side that cannot agree on a version to send.
func helloFailed(reason string) Message {
	return &ErrorMsg{ErrType: ErrTypeHelloFailed, Code: ErrCodeHelloIncompatible, Data: []byte(reason)}
}
