package ofproto

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"net"
	"os"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// testWait bounds every wait in these tests.
const testWait = 5 * time.Second

// rawPeer is the far end of a connection driven byte by byte, to check
// exactly what our Conn writes and to send it what a well-behaved Conn
// never would.
type rawPeer struct {
	t  *testing.T
	nc net.Conn
	fr *frameReader
}

func (p *rawPeer) read() (Header, []byte) {
	p.t.Helper()
	p.nc.SetReadDeadline(time.Now().Add(testWait))
	frame, err := p.fr.next()
	if err != nil {
		p.t.Fatalf("peer read: %v", err)
	}
	h, err := DecodeHeader(frame)
	if err != nil {
		p.t.Fatalf("peer header: %v", err)
	}
	return h, bytes.Clone(frame)
}

// readType reads frames until one of type want, answering nothing.
func (p *rawPeer) readType(want Type) (Header, []byte) {
	p.t.Helper()
	for {
		h, b := p.read()
		if h.Type == want {
			return h, b
		}
	}
}

func (p *rawPeer) write(b []byte) {
	p.t.Helper()
	p.nc.SetWriteDeadline(time.Now().Add(testWait))
	if _, err := p.nc.Write(b); err != nil {
		p.t.Fatalf("peer write: %v", err)
	}
}

func (p *rawPeer) send(xid uint32, m Message) { p.t.Helper(); p.write(Append(nil, xid, m)) }

// handshake reads our HELLO and answers with a 1.3 HELLO.
func (p *rawPeer) handshake() {
	p.t.Helper()
	h, b := p.read()
	if h.Type != TypeHello {
		p.t.Fatalf("first message %s, want HELLO", h.Type)
	}
	var hello Hello
	if err := hello.DecodeBody(b[HeaderLen:]); err != nil || !hello.Supports(h.Version, Version) {
		p.t.Fatalf("our HELLO %x does not offer 1.3 (%v)", b, err)
	}
	p.send(1, &Hello{Versions: []uint8{Version}})
}

// expectClosed checks that the peer sees the connection end.
func (p *rawPeer) expectClosed() {
	p.t.Helper()
	p.nc.SetReadDeadline(time.Now().Add(testWait))
	for {
		frame, err := p.fr.next()
		if err != nil {
			if errors.Is(err, os.ErrDeadlineExceeded) {
				p.t.Fatalf("connection still open after %v", testWait)
			}
			return
		}
		_ = frame
	}
}

// newRawPair connects a Conn to a raw peer over net.Pipe.
func newRawPair(t *testing.T, opt ConnOptions) (*Conn, *rawPeer) {
	a, b := net.Pipe()
	c := NewConn(a, opt)
	p := &rawPeer{t: t, nc: b, fr: newFrameReader(b)}
	t.Cleanup(func() { c.Close(); b.Close() })
	return c, p
}

// startServe runs c.Serve(h) and returns where its result arrives; cleanup
// closes c and checks that Serve returned.
func startServe(t *testing.T, c *Conn, h Handler) <-chan error {
	res := make(chan error, 1)
	go func() { res <- c.Serve(h) }()
	t.Cleanup(func() {
		c.Close()
		select {
		case <-c.Done():
		case <-time.After(testWait):
			t.Errorf("Serve still running after Close")
		}
	})
	return res
}

func waitErr(t *testing.T, ch <-chan error) error {
	t.Helper()
	select {
	case err := <-ch:
		return err
	case <-time.After(testWait):
		t.Fatalf("no result within %v", testWait)
		return nil
	}
}

// barrierAnsweringMux answers barriers, the minimum a peer of Apply and Barrier needs.
func barrierAnsweringMux() *ServeMux {
	mux := NewServeMux()
	mux.HandleFunc(TypeBarrierRequest, func(c *Conn, h Header, m Message) { c.Reply(h, &BarrierReply{}) })
	return mux
}

// newConnPair connects two Conns over net.Pipe, handshakes both and serves
// both: ctl with ctlH, sw with swH.
func newConnPair(t *testing.T, opt ConnOptions, ctlH, swH Handler) (ctl, sw *Conn) {
	a, b := net.Pipe()
	ctl, sw = NewConn(a, opt), NewConn(b, opt)
	errs := make(chan error, 2)
	ctx, cancel := context.WithTimeout(context.Background(), testWait)
	defer cancel()
	go func() { errs <- ctl.Handshake(ctx) }()
	go func() { errs <- sw.Handshake(ctx) }()
	for range 2 {
		if err := waitErr(t, errs); err != nil {
			t.Fatalf("handshake: %v", err)
		}
	}
	startServe(t, ctl, ctlH)
	startServe(t, sw, swH)
	return ctl, sw
}

// countingConn counts write syscalls.
type countingConn struct {
	net.Conn
	writes atomic.Int64
}

func (c *countingConn) Write(b []byte) (int, error) {
	c.writes.Add(1)
	return c.Conn.Write(b)
}

// tcpPair returns both ends of a loopback TCP connection.
func tcpPair(t testing.TB) (net.Conn, net.Conn) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	type res struct {
		c   net.Conn
		err error
	}
	acc := make(chan res, 1)
	go func() { c, err := ln.Accept(); acc <- res{c, err} }()
	a, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	r := <-acc
	if r.err != nil {
		t.Fatal(r.err)
	}
	t.Cleanup(func() { a.Close(); r.c.Close() })
	return a, r.c
}

// collector records what a handler received, copied.
type collector struct {
	mu   sync.Mutex
	msgs []collected
	ch   chan struct{}
}

type collected struct {
	h Header
	b []byte
}

func newCollector() *collector { return &collector{ch: make(chan struct{}, 1024)} }

func (k *collector) ServeOpenFlow(c *Conn, h Header, m Message) {
	k.mu.Lock()
	k.msgs = append(k.msgs, collected{h, Append(nil, h.XID, m)})
	k.mu.Unlock()
	k.ch <- struct{}{}
}

// next waits for the next message the handler got.
func (k *collector) next(t *testing.T) collected {
	t.Helper()
	select {
	case <-k.ch:
	case <-time.After(testWait):
		t.Fatalf("handler got nothing within %v", testWait)
	}
	k.mu.Lock()
	defer k.mu.Unlock()
	m := k.msgs[0]
	k.msgs = k.msgs[1:]
	return m
}

func connBE16(v uint16) []byte { return binary.BigEndian.AppendUint16(nil, v) }

func pendingCount(c *Conn) int {
	c.pendMu.Lock()
	defer c.pendMu.Unlock()
	return len(c.pending)
}
