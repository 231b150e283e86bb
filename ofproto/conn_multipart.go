package ofproto

import (
	"context"
	"fmt"
)

func acceptMultipart(w *waiter, h Header, m Message) bool {
	if err := replyError(h, m); err != nil {
		w.err = err
		return true
	}
	part, ok := m.(*MultipartReply)
	if !ok {
		w.err = fmt.Errorf("ofproto: multipart request answered with %s", h.Type)
		return true
	}
	w.parts = append(w.parts, part)
	return part.Flags&MultipartReplyMore == 0
}

// Multipart sends req and collects its reply, which the switch may split
// into several MULTIPART_REPLY messages (all but the last flagged
// MultipartReplyMore). The parts are returned in arrival order and own
// their bytes; MergeMultipart joins their bodies. An ERROR answer is
// returned as the error.
func (c *Conn) Multipart(ctx context.Context, req *MultipartRequest) ([]*MultipartReply, error) {
	w := newWaiter(acceptMultipart, c.nextXID())
	if err := c.register(w); err != nil {
		return nil, err
	}
	if err := c.enqueueFor(w, []Message{req}); err != nil {
		return nil, err
	}
	if err := c.wait(ctx, w); err != nil {
		return nil, err
	}
	if w.err != nil {
		return nil, w.err
	}
	parts := make([]*MultipartReply, len(w.parts))
	for i, p := range w.parts {
		parts[i] = p.(*MultipartReply)
		if got, want := parts[i].Body.MultipartType(), req.Body.MultipartType(); got != want {
			return nil, fmt.Errorf("ofproto: %s multipart request answered with %s part", want, got)
		}
	}
	return parts, nil
}

// MultipartMerged is Multipart followed by MergeMultipart: one body holding
// the entries of every part.
func (c *Conn) MultipartMerged(ctx context.Context, req *MultipartRequest) (MultipartBody, error) {
	parts, err := c.Multipart(ctx, req)
	if err != nil {
		return nil, err
	}
	body := parts[0].Body
	for _, p := range parts[1:] {
		if err := MergeMultipart(body, p.Body); err != nil {
			return nil, err
		}
	}
	return body, nil
}
