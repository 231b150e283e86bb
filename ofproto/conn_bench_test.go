package ofproto

import (
	"context"
	"testing"
)

// BenchmarkConnRoundTrip measures one echo request/reply between two Conns
// over loopback TCP: encode, queue, write, read, correlate, auto-reply.
func BenchmarkConnRoundTrip(b *testing.B) {
	a, z := tcpPair(b)
	ctl, sw := NewConn(a, ConnOptions{}), NewConn(z, ConnOptions{})
	errs := make(chan error, 2)
	go func() { errs <- ctl.Handshake(context.Background()) }()
	go func() { errs <- sw.Handshake(context.Background()) }()
	for range 2 {
		if err := <-errs; err != nil {
			b.Fatal(err)
		}
	}
	go ctl.Serve(nil)
	go sw.Serve(nil)
	b.Cleanup(func() { ctl.Close(); sw.Close() })
	ctx := context.Background()
	req := &EchoRequest{Data: []byte("0123456789abcdef")}
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		if _, _, err := ctl.Request(ctx, req); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkApply100 measures confirming a batch of 100 messages with one
// barrier against a peer that answers barriers.
func BenchmarkApply100(b *testing.B) {
	a, z := tcpPair(b)
	ctl, sw := NewConn(a, ConnOptions{}), NewConn(z, ConnOptions{})
	errs := make(chan error, 2)
	go func() { errs <- ctl.Handshake(context.Background()) }()
	go func() { errs <- sw.Handshake(context.Background()) }()
	for range 2 {
		if err := <-errs; err != nil {
			b.Fatal(err)
		}
	}
	go ctl.Serve(nil)
	go sw.Serve(barrierAnsweringMux())
	b.Cleanup(func() { ctl.Close(); sw.Close() })
	ms := make([]Message, 100)
	for i := range ms {
		ms[i] = &EchoReply{Data: make([]byte, 80)} // stands in for a FLOW_MOD of typical size
	}
	ctx := context.Background()
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		if err := ctl.Apply(ctx, ms); err != nil {
			b.Fatal(err)
		}
	}
}
