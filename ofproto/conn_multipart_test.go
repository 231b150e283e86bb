package ofproto

import (
	"context"
	"errors"
	"fmt"
	"testing"
)

func portDescPart(flags uint16, nums ...uint32) *MultipartReply {
	body := &PortDescReply{}
	for _, n := range nums {
		body.Ports = append(body.Ports, Port{PortNo: n, Name: fmt.Sprintf("p%d", n)})
	}
	return &MultipartReply{Flags: flags, Body: body}
}

func TestMultipartReassemblesReplyMore(t *testing.T) {
	k := newCollector()
	c, p, _ := servedRaw(t, ConnOptions{}, k)
	res := make(chan error, 1)
	var body MultipartBody
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), testWait)
		defer cancel()
		var err error
		body, err = c.MultipartMerged(ctx, &MultipartRequest{Body: &PortDescRequest{}})
		res <- err
	}()
	h, b := p.readType(TypeMultipartRequest)
	if b[HeaderLen+1] != byte(MultipartPortDesc) {
		t.Fatalf("request %x is not PORT_DESC", b)
	}
	p.send(h.XID, portDescPart(MultipartReplyMore, 1, 2))
	p.send(0, &EchoReply{Data: []byte("interleaved")}) // unrelated traffic between parts
	p.send(h.XID, portDescPart(MultipartReplyMore, 3))
	p.send(h.XID, portDescPart(0, 4, 5))
	if err := waitErr(t, res); err != nil {
		t.Fatal(err)
	}
	var got []uint32
	for _, port := range body.(*PortDescReply).Ports {
		got = append(got, port.PortNo)
		if port.Name != fmt.Sprintf("p%d", port.PortNo) {
			t.Errorf("port %d named %q", port.PortNo, port.Name)
		}
	}
	if fmt.Sprint(got) != "[1 2 3 4 5]" {
		t.Fatalf("ports %v, want [1 2 3 4 5]", got)
	}
	if n := pendingCount(c); n != 0 {
		t.Fatalf("%d pending entries left", n)
	}
	if m := k.next(t); m.h.Type != TypeEchoReply {
		t.Fatalf("handler got %s, want the interleaved ECHO_REPLY", m.h.Type)
	}
}

func TestMultipartPartsAreKeptInOrder(t *testing.T) {
	c, p, _ := servedRaw(t, ConnOptions{}, nil)
	res := make(chan []*MultipartReply, 1)
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), testWait)
		defer cancel()
		parts, err := c.Multipart(ctx, &MultipartRequest{Body: &PortDescRequest{}})
		if err != nil {
			t.Error(err)
		}
		res <- parts
	}()
	h, _ := p.readType(TypeMultipartRequest)
	for i := range uint32(10) {
		flags := uint16(MultipartReplyMore)
		if i == 9 {
			flags = 0
		}
		p.send(h.XID, portDescPart(flags, i))
	}
	parts := <-res
	if len(parts) != 10 {
		t.Fatalf("%d parts, want 10", len(parts))
	}
	for i, part := range parts {
		if n := part.Body.(*PortDescReply).Ports[0].PortNo; n != uint32(i) {
			t.Fatalf("part %d carries port %d", i, n)
		}
	}
}

func TestMultipartErrorReply(t *testing.T) {
	c, p, _ := servedRaw(t, ConnOptions{}, nil)
	res := make(chan error, 1)
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), testWait)
		defer cancel()
		_, err := c.Multipart(ctx, &MultipartRequest{Body: &PortDescRequest{}})
		res <- err
	}()
	h, _ := p.readType(TypeMultipartRequest)
	p.send(h.XID, &ErrorMsg{ErrType: ErrTypeBadRequest, Code: 2})
	var em *ErrorMsg
	if err := waitErr(t, res); !errors.As(err, &em) || em.ErrType != ErrTypeBadRequest || em.Code != 2 {
		t.Fatalf("Multipart = %v, want the BAD_REQUEST ErrorMsg", err)
	}
}

func TestRequestErrorReplyIsError(t *testing.T) {
	c, p, _ := servedRaw(t, ConnOptions{}, nil)
	res := make(chan error, 1)
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), testWait)
		defer cancel()
		_, _, err := c.Request(ctx, &FeaturesRequest{})
		res <- err
	}()
	h, _ := p.readType(TypeFeaturesRequest)
	p.send(h.XID, &ErrorMsg{ErrType: ErrTypeBadRequest, Code: 1})
	var em *ErrorMsg
	if err := waitErr(t, res); !errors.As(err, &em) || em.ErrType != ErrTypeBadRequest {
		t.Fatalf("Request = %v, want the ErrorMsg", err)
	}
}
