package ofproto

import (
	"context"
	"errors"
	"fmt"
	"io"
	"time"
)

// Serve reads the connection until it fails and returns why (never nil;
// ErrClosed after Close). It performs the handshake first if Handshake has
// not been called, and keeps the peer alive with echo requests.
//
// Replies to Request, Multipart, Barrier and Apply go to their callers;
// ECHO_REQUEST is answered here; every other message, including ERRORs no
// one waits for, goes to h (nil drops them). h runs on the read loop, one
// message at a time, in arrival order: it must not wait for replies on this
// connection (start a goroutine for that). The message given to h aliases
// the connection's read buffer and is valid only during the call; keep a
// copy (Clone) to retain it.
func (c *Conn) Serve(h Handler) error {
	if !c.serving.CompareAndSwap(false, true) {
		return errors.New("ofproto: Serve called twice")
	}
	if c.handshakeStarted.CompareAndSwap(false, true) {
		ctx, cancel := context.WithTimeout(context.Background(), c.opt.DeadTimeout)
		err := c.handshake(ctx)
		cancel()
		if err != nil {
			return err
		}
	} else {
		select {
		case <-c.handshook:
		case <-c.done: // the handshake failed
			return c.err
		}
	}
	keepaliveDone := make(chan struct{})
	go func() {
		defer close(keepaliveDone)
		c.keepalive()
	}()
	c.closeWithError(c.readLoop(h))
	<-keepaliveDone
	return c.err
}

// readLoop dispatches messages until an error, which it returns.
func (c *Conn) readLoop(h Handler) error {
	raw, _ := h.(RawHandler)
	for {
		frame, err := c.in.next()
		if err != nil {
			if errors.Is(err, io.EOF) {
				return fmt.Errorf("ofproto: peer closed the connection: %w", err)
			}
			return err
		}
		c.msgsIn.Add(1)
		c.bytesIn.Add(uint64(len(frame)))
		if err := c.dispatch(h, raw, frame); err != nil {
			return err
		}
	}
}

// dispatch decodes and routes one frame. Messages for waiters are decoded
// from a copy, since callers keep them; messages for h are decoded in place.
func (c *Conn) dispatch(h Handler, raw RawHandler, frame []byte) error {
	hdr, _ := DecodeHeader(frame) // the frame reader checked the length
	if hdr.Version != Version {
		return &VersionError{Type: hdr.Type, Version: hdr.Version}
	}
	if hdr.Type == TypeEchoRequest {
		// The payload goes back untouched; Reply encodes it before the
		// buffer is reused.
		return c.Reply(hdr, &EchoReply{Data: frame[HeaderLen:]})
	}
	if w := c.waiterFor(hdr.XID); w != nil && answersRequests(hdr.Type) {
		_, m, err := Decode(append([]byte(nil), frame...))
		if err != nil {
			return err
		}
		c.deliver(w, hdr, m)
		return nil
	}
	if raw != nil && raw.ServeRaw(c, hdr, frame) {
		return nil
	}
	_, m, err := Decode(frame)
	if err != nil {
		return err
	}
	if h != nil {
		h.ServeOpenFlow(c, hdr, m)
	}
	return nil
}

// keepalive sends an ECHO_REQUEST whenever the peer has been silent for
// EchoInterval. The reply itself needs no checking: any byte from the peer
// resets the dead-peer deadline of the read loop, which does the closing.
func (c *Conn) keepalive() {
	t := time.NewTimer(c.opt.EchoInterval)
	defer t.Stop()
	for {
		select {
		case <-c.done:
			return
		case <-t.C:
		}
		idle := time.Since(time.Unix(0, c.lastRead.Load()))
		if idle < c.opt.EchoInterval {
			t.Reset(c.opt.EchoInterval - idle)
			continue
		}
		c.keepalives.Add(1)
		ctx, cancel := context.WithTimeout(context.Background(), c.opt.DeadTimeout)
		c.Request(ctx, &EchoRequest{})
		cancel()
		t.Reset(c.opt.EchoInterval)
	}
}

// answersRequests reports whether messages of type t can answer a request.
// Only these are matched with waiters: a request from the peer that happens
// to reuse the xid of one of ours must reach the Handler, not our caller.
func answersRequests(t Type) bool {
	switch t {
	case TypeError, TypeEchoReply, TypeExperimenter, TypeFeaturesReply,
		TypeGetConfigReply, TypeMultipartReply, TypeBarrierReply,
		TypeQueueGetConfigReply, TypeRoleReply, TypeGetAsyncReply:
		return true
	}
	return false
}
