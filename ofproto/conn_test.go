package ofproto

import (
	"bytes"
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"
)

func TestHandshakeBetweenConns(t *testing.T) {
	ctl, _ := newConnPair(t, ConnOptions{}, nil, barrierAnsweringMux())
	ctx, cancel := context.WithTimeout(context.Background(), testWait)
	defer cancel()
	if err := ctl.Barrier(ctx); err != nil {
		t.Fatalf("barrier after handshake: %v", err)
	}
}

func TestHandshakeSendsVersionBitmap(t *testing.T) {
	c, p := newRawPair(t, ConnOptions{})
	res := make(chan error, 1)
	go func() { res <- c.Handshake(context.Background()) }()
	_, b := p.read()
	// 04 00 0010 xid | type 0001 len 0008 bitmap 00000010 (bit 4 = 1.3)
	want := "04000010" + hex.EncodeToString(b[4:8]) + "00010008" + "00000010"
	if got := hex.EncodeToString(b); got != want {
		t.Fatalf("HELLO = %s, want %s", got, want)
	}
	p.send(1, &Hello{Versions: []uint8{1, 4, 5}})
	if err := waitErr(t, res); err != nil {
		t.Fatal(err)
	}
}

func TestHandshakeAcceptsHeaderVersionWithoutBitmap(t *testing.T) {
	c, p := newRawPair(t, ConnOptions{})
	res := make(chan error, 1)
	go func() { res <- c.Handshake(context.Background()) }()
	p.read()
	p.write([]byte{0x05, 0, 0, 8, 0, 0, 0, 1}) // a 1.4 peer without bitmap also speaks 1.3
	if err := waitErr(t, res); err != nil {
		t.Fatal(err)
	}
}

func TestHandshakeVersionMismatch(t *testing.T) {
	for _, tc := range []struct {
		name  string
		hello []byte
	}{
		{"OpenFlow 1.0 header", []byte{0x01, 0x00, 0x00, 0x08, 0, 0, 0, 7}},
		{"bitmap without 1.3", append([]byte{0x06, 0x00, 0x00, 0x10, 0, 0, 0, 7, 0, 1, 0, 8}, 0, 0, 0, 0x62)}, // 1.0, 1.4, 1.5
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, p := newRawPair(t, ConnOptions{})
			res := make(chan error, 1)
			go func() { res <- c.Handshake(context.Background()) }()
			p.read()
			p.write(tc.hello)
			h, b := p.read()
			// ERROR, xid of the peer's HELLO, type HELLO_FAILED (0), code INCOMPATIBLE (0).
			wantPrefix := "0401" + hex.EncodeToString(connBE16(uint16(len(b)))) + "00000007" + "0000" + "0000"
			if got := hex.EncodeToString(b); !strings.HasPrefix(got, wantPrefix) || h.Type != TypeError {
				t.Fatalf("reply = %s, want prefix %s", got, wantPrefix)
			}
			if !bytes.Contains(b[12:], []byte("1.3")) {
				t.Errorf("error data %q does not say which version we speak", b[12:])
			}
			p.expectClosed()
			err := waitErr(t, res)
			var herr *HandshakeError
			if !errors.As(err, &herr) {
				t.Fatalf("Handshake = %v, want *HandshakeError", err)
			}
			if herr.PeerVersion != tc.hello[0] {
				t.Errorf("PeerVersion = %d, want %d", herr.PeerVersion, tc.hello[0])
			}
			if !errors.As(c.Err(), &herr) {
				t.Errorf("Err() = %v, want the handshake error", c.Err())
			}
		})
	}
}

func TestHandshakeRejectsNonHello(t *testing.T) {
	c, p := newRawPair(t, ConnOptions{})
	res := make(chan error, 1)
	go func() { res <- c.Handshake(context.Background()) }()
	p.read()
	p.send(3, &EchoRequest{})
	var herr *HandshakeError
	if err := waitErr(t, res); !errors.As(err, &herr) {
		t.Fatalf("Handshake = %v, want *HandshakeError", err)
	}
}

func TestHandshakeContextEnds(t *testing.T) {
	c, p := newRawPair(t, ConnOptions{})
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	res := make(chan error, 1)
	go func() { res <- c.Handshake(ctx) }()
	p.read() // and never answer
	if err := waitErr(t, res); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Handshake = %v, want deadline exceeded", err)
	}
	select {
	case <-c.Done():
	default:
		t.Fatal("connection still open after failed handshake")
	}
}

// servedRaw returns a Conn serving h whose peer has completed the handshake.
func servedRaw(t *testing.T, opt ConnOptions, h Handler) (*Conn, *rawPeer, <-chan error) {
	c, p := newRawPair(t, opt)
	res := startServe(t, c, h)
	p.handshake()
	return c, p, res
}

func TestFrameErrors(t *testing.T) {
	for _, tc := range []struct {
		name  string
		bytes []byte
	}{
		{"length below header", []byte{0x04, 0x02, 0x00, 0x04, 0, 0, 0, 9}},
		{"length zero", []byte{0x04, 0x02, 0x00, 0x00, 0, 0, 0, 9}},
		{"truncated body", []byte{0x04, 0x02, 0x00, 0x10, 0, 0, 0, 9, 1, 2, 3, 4}},
		{"truncated header", []byte{0x04, 0x02, 0x00}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, p, res := servedRaw(t, ConnOptions{}, nil)
			p.write(tc.bytes)
			p.nc.Close() // ends the truncated cases
			err := waitErr(t, res)
			var ferr *FrameError
			if !errors.As(err, &ferr) {
				t.Fatalf("Serve = %v, want *FrameError", err)
			}
		})
	}
}

func TestWrongVersionAfterHandshakeCloses(t *testing.T) {
	_, p, res := servedRaw(t, ConnOptions{}, nil)
	p.write([]byte{0x01, byte(TypeEchoRequest), 0, 8, 0, 0, 0, 5})
	var verr *VersionError
	if err := waitErr(t, res); !errors.As(err, &verr) || verr.Version != 1 {
		t.Fatalf("Serve = %v, want *VersionError for version 1", err)
	}
	p.expectClosed()
}

func TestMalformedMessageNamesTypeAndOffset(t *testing.T) {
	_, p, res := servedRaw(t, ConnOptions{}, nil)
	p.write([]byte{0x04, byte(TypeBarrierReply), 0, 9, 0, 0, 0, 5, 0xee}) // barrier reply has no body
	err := waitErr(t, res)
	var derr *DecodeError
	if !errors.As(err, &derr) {
		t.Fatalf("Serve = %v, want *DecodeError", err)
	}
	if derr.Msg != "BARRIER_REPLY" || derr.Offset != HeaderLen {
		t.Fatalf("DecodeError = %+v, want BARRIER_REPLY at offset 8", derr)
	}
	if !strings.Contains(err.Error(), "BARRIER_REPLY") || !strings.Contains(err.Error(), "offset 8") {
		t.Errorf("message %q lacks type or offset", err)
	}
}

func TestEchoAutoReply(t *testing.T) {
	k := newCollector()
	_, p, _ := servedRaw(t, ConnOptions{}, k)
	p.send(99, &EchoRequest{Data: []byte("ping")})
	h, b := p.readType(TypeEchoReply)
	if h.XID != 99 || string(b[HeaderLen:]) != "ping" {
		t.Fatalf("echo reply xid %d data %q, want 99 \"ping\"", h.XID, b[HeaderLen:])
	}
	select {
	case <-k.ch:
		t.Fatal("echo request reached the handler")
	default:
	}
}

func TestRequestCorrelatesOutOfOrderReplies(t *testing.T) {
	c, p, _ := servedRaw(t, ConnOptions{}, nil)
	const n = 3
	type result struct {
		sent, got string
		err       error
	}
	results := make(chan result, n)
	for i := range n {
		data := fmt.Sprintf("req-%d", i)
		go func() {
			ctx, cancel := context.WithTimeout(context.Background(), testWait)
			defer cancel()
			h, m, err := c.Request(ctx, &EchoRequest{Data: []byte(data)})
			r := result{sent: data, err: err}
			if err == nil {
				if h.Type != TypeEchoReply {
					r.err = fmt.Errorf("reply type %s", h.Type)
				} else {
					r.got = string(m.(*EchoReply).Data)
				}
			}
			results <- r
		}()
	}
	var reqs [][]byte
	for len(reqs) < n {
		_, b := p.readType(TypeEchoRequest)
		reqs = append(reqs, b)
	}
	for i := n - 1; i >= 0; i-- { // answer last first
		h, _ := DecodeHeader(reqs[i])
		p.send(h.XID, &EchoReply{Data: reqs[i][HeaderLen:]})
	}
	for range n {
		r := <-results
		if r.err != nil || r.got != r.sent {
			t.Errorf("request %q got %q, %v", r.sent, r.got, r.err)
		}
	}
	if k := pendingCount(c); k != 0 {
		t.Errorf("%d pending entries left", k)
	}
}

func TestRequestReplyDoesNotAliasReadBuffer(t *testing.T) {
	c, p, _ := servedRaw(t, ConnOptions{}, nil)
	res := make(chan Message, 1)
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), testWait)
		defer cancel()
		_, m, _ := c.Request(ctx, &EchoRequest{})
		res <- m
	}()
	h, _ := p.readType(TypeEchoRequest)
	p.send(h.XID, &EchoReply{Data: []byte("first")})
	m := <-res
	// More traffic through the same read buffer.
	p.send(0, &EchoReply{Data: []byte("XXXXXXXXXXXXXXX")})
	p.send(77, &EchoRequest{Data: []byte("YYYYYYYYYYYYYY")})
	p.readType(TypeEchoReply)
	if got := string(m.(*EchoReply).Data); got != "first" {
		t.Fatalf("reply data changed to %q", got)
	}
}

func TestRequestContextTimeoutForgetsRequest(t *testing.T) {
	k := newCollector()
	c, p, _ := servedRaw(t, ConnOptions{}, k)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Millisecond)
	defer cancel()
	res := make(chan error, 1)
	go func() { _, _, err := c.Request(ctx, &EchoRequest{}); res <- err }()
	h, _ := p.readType(TypeEchoRequest)
	if err := waitErr(t, res); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Request = %v, want deadline exceeded", err)
	}
	if n := pendingCount(c); n != 0 {
		t.Fatalf("%d pending entries after timeout", n)
	}
	// The late answer is now an unsolicited message.
	p.send(h.XID, &EchoReply{Data: []byte("late")})
	got := k.next(t)
	if got.h.XID != h.XID || got.h.Type != TypeEchoReply {
		t.Fatalf("handler got %s xid %d, want the late ECHO_REPLY xid %d", got.h.Type, got.h.XID, h.XID)
	}
}

func TestRequestCancelled(t *testing.T) {
	c, _, _ := servedRaw(t, ConnOptions{}, nil)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, _, err := c.Request(ctx, &EchoRequest{}); !errors.Is(err, context.Canceled) {
		t.Fatalf("Request = %v, want canceled", err)
	}
	if n := pendingCount(c); n != 0 {
		t.Fatalf("%d pending entries after cancel", n)
	}
}

func TestCloseUnblocksWaiters(t *testing.T) {
	c, p, res := servedRaw(t, ConnOptions{}, nil)
	reqErr := make(chan error, 1)
	go func() { _, _, err := c.Request(context.Background(), &EchoRequest{}); reqErr <- err }()
	p.readType(TypeEchoRequest)
	c.Close()
	c.Close() // idempotent
	if err := waitErr(t, reqErr); !errors.Is(err, ErrClosed) {
		t.Fatalf("Request after Close = %v, want ErrClosed", err)
	}
	if err := waitErr(t, res); !errors.Is(err, ErrClosed) {
		t.Fatalf("Serve after Close = %v, want ErrClosed", err)
	}
	if !errors.Is(c.Err(), ErrClosed) {
		t.Fatalf("Err() = %v", c.Err())
	}
	if _, err := c.Send(&EchoRequest{}); !errors.Is(err, ErrClosed) {
		t.Fatalf("Send after Close = %v, want ErrClosed", err)
	}
	if _, _, err := c.Request(context.Background(), &EchoRequest{}); !errors.Is(err, ErrClosed) {
		t.Fatalf("Request after Close = %v, want ErrClosed", err)
	}
}

func TestPeerCloseFailsWaitersWithReason(t *testing.T) {
	c, p, res := servedRaw(t, ConnOptions{}, nil)
	reqErr := make(chan error, 1)
	go func() { _, _, err := c.Request(context.Background(), &EchoRequest{}); reqErr <- err }()
	p.readType(TypeEchoRequest)
	p.nc.Close()
	err := waitErr(t, reqErr)
	if !errors.Is(err, ErrClosed) || !strings.Contains(err.Error(), "peer closed") {
		t.Fatalf("Request = %v, want ErrClosed naming the peer's close", err)
	}
	waitErr(t, res)
}

func TestDeadPeerDetected(t *testing.T) {
	opt := ConnOptions{EchoInterval: 20 * time.Millisecond, DeadTimeout: 150 * time.Millisecond}
	_, p, res := servedRaw(t, opt, nil)
	// The peer reads (so our writes go through) but never answers.
	sawEcho := make(chan struct{}, 1)
	go func() {
		for {
			p.nc.SetReadDeadline(time.Now().Add(testWait))
			frame, err := p.fr.next()
			if err != nil {
				return
			}
			if Type(frame[1]) == TypeEchoRequest {
				select {
				case sawEcho <- struct{}{}:
				default:
				}
			}
		}
	}()
	start := time.Now()
	err := waitErr(t, res)
	if !errors.Is(err, ErrDeadPeer) {
		t.Fatalf("Serve = %v, want ErrDeadPeer", err)
	}
	if d := time.Since(start); d < opt.DeadTimeout/2 {
		t.Errorf("closed after %v, before the dead timeout", d)
	}
	select {
	case <-sawEcho:
	default:
		t.Error("no keepalive ECHO_REQUEST was sent before giving up")
	}
}

func TestKeepaliveKeepsAnsweringPeerAlive(t *testing.T) {
	opt := ConnOptions{EchoInterval: 20 * time.Millisecond, DeadTimeout: 400 * time.Millisecond}
	c, p, _ := servedRaw(t, opt, nil)
	// Answer echoes only: the connection must survive well past DeadTimeout.
	start := time.Now()
	for time.Since(start) < 2*opt.DeadTimeout {
		h, b := p.readType(TypeEchoRequest)
		p.send(h.XID, &EchoReply{Data: b[HeaderLen:]})
	}
	if err := c.Err(); err != nil {
		t.Fatalf("connection closed although the peer answered: %v", err)
	}
	// The last keepalives may still be in flight when the loop ends, so
	// only most of them need their replies read (MessagesIn counts HELLO).
	if st := c.Stats(); st.EchoKeepalives == 0 || st.MessagesIn-1 < st.EchoKeepalives/2 {
		t.Fatalf("Stats %+v: want keepalives counted and their replies read", st)
	}
}

func TestSendBatchCoalescesWrites(t *testing.T) {
	a, b := tcpPair(t)
	cc := &countingConn{Conn: a}
	c := NewConn(cc, ConnOptions{})
	t.Cleanup(func() { c.Close() })
	p := &rawPeer{t: t, nc: b, fr: newFrameReader(b)}
	p.readType(TypeHello)
	before := cc.writes.Load()

	const n = 500
	ms := make([]Message, n)
	for i := range ms {
		ms[i] = &EchoRequest{Data: []byte(fmt.Sprintf("message %03d", i))}
	}
	xids, err := c.SendBatch(ms)
	if err != nil {
		t.Fatal(err)
	}
	for i := range n {
		h, b := p.read()
		if h.XID != xids[i] || string(b[HeaderLen:]) != fmt.Sprintf("message %03d", i) {
			t.Fatalf("message %d arrived as xid %d %q", i, h.XID, b[HeaderLen:])
		}
	}
	// 500 messages of 19 bytes fit one write.
	if w := cc.writes.Load() - before; w != 1 {
		t.Fatalf("%d messages took %d write syscalls, want 1", n, w)
	}
	// The writer counts a write after it returns, which can be after the
	// peer has read the bytes: wait (bounded) for the counters to settle.
	var st ConnStats
	deadline := time.Now().Add(2 * time.Second)
	for {
		st = c.Stats()
		if st.MessagesOut == n+1 && st.WriteCalls == uint64(cc.writes.Load()) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("Stats %+v: want %d messages out (HELLO included) and %d writes", st, n+1, cc.writes.Load())
		}
		time.Sleep(time.Millisecond)
	}
}

func TestConcurrentSendsCoalesce(t *testing.T) {
	a, b := tcpPair(t)
	cc := &countingConn{Conn: a}
	c := NewConn(cc, ConnOptions{})
	t.Cleanup(func() { c.Close() })
	p := &rawPeer{t: t, nc: b, fr: newFrameReader(b)}
	p.readType(TypeHello)
	const senders, each = 8, 200
	done := make(chan error, senders)
	for range senders {
		go func() {
			for range each {
				if _, err := c.Send(&BarrierRequest{}); err != nil {
					done <- err
					return
				}
			}
			done <- nil
		}()
	}
	for range senders {
		if err := waitErr(t, done); err != nil {
			t.Fatal(err)
		}
	}
	seen := map[uint32]bool{}
	for range senders * each {
		h, _ := p.read()
		if h.XID == 0 || seen[h.XID] {
			t.Fatalf("xid %d zero or repeated", h.XID)
		}
		seen[h.XID] = true
	}
	t.Logf("%d concurrent sends, %d write syscalls", senders*each, cc.writes.Load())
	if w := cc.writes.Load(); w >= senders*each {
		t.Fatalf("no coalescing: %d writes for %d messages", w, senders*each)
	}
}

func TestMaxBatchBytesSplitsWrites(t *testing.T) {
	a, b := tcpPair(t)
	cc := &countingConn{Conn: a}
	c := NewConn(cc, ConnOptions{MaxBatchBytes: 100})
	t.Cleanup(func() { c.Close() })
	p := &rawPeer{t: t, nc: b, fr: newFrameReader(b)}
	p.readType(TypeHello)
	before := cc.writes.Load()
	ms := make([]Message, 50) // 50 × 8 bytes = 400 bytes → at least 4 writes
	for i := range ms {
		ms[i] = &BarrierRequest{}
	}
	if _, err := c.SendBatch(ms); err != nil {
		t.Fatal(err)
	}
	for range ms {
		p.read()
	}
	if w := cc.writes.Load() - before; w < 4 {
		t.Fatalf("400 bytes in %d writes with MaxBatchBytes 100", w)
	}
}

func TestSendRejectsOversizeMessage(t *testing.T) {
	c, _ := newRawPair(t, ConnOptions{})
	big := &EchoRequest{Data: make([]byte, MaxMessageLen)}
	queued := func() uint64 { c.out.mu.Lock(); defer c.out.mu.Unlock(); return c.out.queued }
	before := queued()
	if _, err := c.SendBatch([]Message{&BarrierRequest{}, big}); !errors.Is(err, ErrMessageTooLong) {
		t.Fatalf("SendBatch = %v, want ErrMessageTooLong", err)
	}
	if after := queued(); after != before {
		t.Fatalf("%d bytes queued from a rejected batch", after-before)
	}
}

func TestXIDSkipsZero(t *testing.T) {
	c, _ := newRawPair(t, ConnOptions{})
	c.next.Store(^uint32(0) - 1)
	got := []uint32{c.nextXID(), c.nextXID(), c.nextXID()}
	if got[0] != ^uint32(0) || got[1] != 1 || got[2] != 2 {
		t.Fatalf("xids around wrap = %v", got)
	}
}

func TestServeMuxRoutes(t *testing.T) {
	var got []string
	mux := NewServeMux()
	mux.HandleFunc(TypeEchoReply, func(c *Conn, h Header, m Message) { got = append(got, "echo") })
	mux.HandleDefault(HandlerFunc(func(c *Conn, h Header, m Message) { got = append(got, "default:"+h.Type.String()) }))
	mux.ServeOpenFlow(nil, Header{Type: TypeEchoReply}, &EchoReply{})
	mux.ServeOpenFlow(nil, Header{Type: TypePacketIn}, nil)
	mux.Handle(TypeEchoReply, nil)
	mux.ServeOpenFlow(nil, Header{Type: TypeEchoReply}, &EchoReply{})
	want := "echo default:PACKET_IN default:ECHO_REPLY"
	if s := strings.Join(got, " "); s != want {
		t.Fatalf("routed %q, want %q", s, want)
	}
}

func TestCloneDoesNotAlias(t *testing.T) {
	data := []byte("abc")
	m, err := Clone(&EchoRequest{Data: data})
	if err != nil {
		t.Fatal(err)
	}
	data[0] = 'X'
	if got := string(m.(*EchoRequest).Data); got != "abc" {
		t.Fatalf("clone changed with the original: %q", got)
	}
}

func TestServeTwice(t *testing.T) {
	c, _, _ := servedRaw(t, ConnOptions{}, nil)
	if err := c.Serve(nil); err == nil || errors.Is(err, ErrClosed) {
		t.Fatalf("second Serve = %v, want a usage error", err)
	}
}

func TestPeerRequestWithOurXIDReachesHandler(t *testing.T) {
	k := newCollector()
	c, p, _ := servedRaw(t, ConnOptions{}, k)
	res := make(chan error, 1)
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), testWait)
		defer cancel()
		res <- c.Barrier(ctx)
	}()
	h, _ := p.readType(TypeBarrierRequest)
	p.send(h.XID, &BarrierRequest{}) // the peer's own request, same xid by chance
	if got := k.next(t); got.h.Type != TypeBarrierRequest || got.h.XID != h.XID {
		t.Fatalf("handler got %s xid %d", got.h.Type, got.h.XID)
	}
	p.send(h.XID, &BarrierReply{})
	if err := waitErr(t, res); err != nil {
		t.Fatalf("Barrier = %v", err)
	}
}

func TestStuckPeerClosesOnWriteTimeout(t *testing.T) {
	c, _ := newRawPair(t, ConnOptions{WriteTimeout: 50 * time.Millisecond})
	// The peer never reads, so the first write cannot complete.
	if _, err := c.Send(&EchoRequest{}); err != nil {
		t.Fatal(err)
	}
	select {
	case <-c.Done():
	case <-time.After(testWait):
		t.Fatal("connection still open with a peer that does not read")
	}
	if err := c.Err(); err == nil || !strings.Contains(err.Error(), "write") {
		t.Fatalf("Err() = %v, want a write timeout", err)
	}
}

func TestFullQueueSendUnblocksOnClose(t *testing.T) {
	c, _ := newRawPair(t, ConnOptions{MaxQueuedBytes: 64, WriteTimeout: time.Minute})
	// The peer never reads: the writer holds the first batch, the queue
	// fills up, and Send has to wait.
	res := make(chan error, 1)
	go func() {
		for {
			if _, err := c.Send(&EchoRequest{Data: make([]byte, 32)}); err != nil {
				res <- err
				return
			}
		}
	}()
	for deadline := time.Now().Add(testWait); ; time.Sleep(time.Millisecond) {
		c.out.mu.Lock()
		queued := len(c.out.buf)
		c.out.mu.Unlock()
		if queued > 64+40 {
			t.Fatalf("%d bytes queued, beyond the limit and one message", queued)
		}
		if queued >= 64 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("queue never filled")
		}
	}
	c.Close()
	if err := waitErr(t, res); !errors.Is(err, ErrClosed) {
		t.Fatalf("blocked Send = %v, want ErrClosed", err)
	}
}

func TestServeWaitsForRunningHandshake(t *testing.T) {
	c, p := newRawPair(t, ConnOptions{})
	hs := make(chan error, 1)
	go func() { hs <- c.Handshake(context.Background()) }()
	for deadline := time.Now().Add(testWait); !c.handshakeStarted.Load(); time.Sleep(time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("handshake never started")
		}
	}
	startServe(t, c, nil)
	p.handshake()
	if err := waitErr(t, hs); err != nil {
		t.Fatalf("Handshake = %v", err)
	}
	res := make(chan error, 1)
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), testWait)
		defer cancel()
		res <- c.Barrier(ctx)
	}()
	h, _ := p.readType(TypeBarrierRequest)
	p.send(h.XID, &BarrierReply{})
	if err := waitErr(t, res); err != nil {
		t.Fatalf("Barrier after handshake = %v", err)
	}
}
