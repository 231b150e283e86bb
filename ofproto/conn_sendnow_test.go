package ofproto

import (
	"errors"
	"fmt"
	"net"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// callerConn records, for every write, whether SendNow was on the
// writing goroutine's stack: whether the caller wrote, or the writer
// goroutine did.
type callerConn struct {
	net.Conn
	byCaller, byWriter atomic.Int64
}

// inSendNow reports whether the calling goroutine is inside
// Conn.SendNow.
func inSendNow() bool {
	buf := make([]byte, 8<<10)
	return strings.Contains(string(buf[:runtime.Stack(buf, false)]), ".(*Conn).SendNow(")
}

func (c *callerConn) Write(b []byte) (int, error) {
	if inSendNow() {
		c.byCaller.Add(1)
	} else {
		c.byWriter.Add(1)
	}
	return c.Conn.Write(b)
}

// waitIdle waits until everything queued is written and nobody writes.
func waitIdle(t *testing.T, c *Conn) {
	t.Helper()
	deadline := time.Now().Add(testWait)
	for {
		c.out.mu.Lock()
		idle := !c.out.writing && len(c.out.buf) == 0 && c.out.written == c.out.queued
		c.out.mu.Unlock()
		if idle {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("writer not idle within %v", testWait)
		}
		time.Sleep(100 * time.Microsecond)
	}
}

// helloedTCP connects a Conn over loopback TCP (through wrap, if given)
// to a raw peer that has read the Conn's HELLO; it returns the Conn's
// own socket too.
func helloedTCP(t *testing.T, wrap func(net.Conn) net.Conn) (*Conn, *rawPeer, net.Conn) {
	t.Helper()
	a, b := tcpPair(t)
	var nc net.Conn = a
	if wrap != nil {
		nc = wrap(a)
	}
	c := NewConn(nc, ConnOptions{})
	t.Cleanup(func() { c.Close() })
	p := &rawPeer{t: t, nc: b, fr: newFrameReader(b)}
	p.readType(TypeHello)
	return c, p, a
}

// On an idle connection SendNow writes on the caller's goroutine: the
// message is on the wire when it returns, with no hand-off to the writer.
func TestSendNowWritesOnCallerWhenIdle(t *testing.T) {
	var cc *callerConn
	c, p, _ := helloedTCP(t, func(a net.Conn) net.Conn { cc = &callerConn{Conn: a}; return cc })
	waitIdle(t, c)
	writerBefore := cc.byWriter.Load()

	xid, err := c.SendNow(&EchoRequest{Data: []byte("now")})
	if err != nil {
		t.Fatal(err)
	}
	if cc.byCaller.Load() != 1 || cc.byWriter.Load() != writerBefore {
		t.Fatalf("writes by the caller %d, by the writer %d (before %d): want the caller's one write",
			cc.byCaller.Load(), cc.byWriter.Load(), writerBefore)
	}
	h, body := p.read()
	if h.XID != xid || h.Type != TypeEchoRequest || string(body[HeaderLen:]) != "now" {
		t.Fatalf("peer read %v %q, want ECHO_REQUEST xid %d \"now\"", h, body[HeaderLen:], xid)
	}
	if st := c.Stats(); st.MessagesOut != 2 {
		t.Fatalf("stats count %d messages out, want 2 (HELLO and ours)", st.MessagesOut)
	}
}

// Behind queued output SendNow queues too: nothing overtakes what was
// sent before it.
func TestSendNowKeepsOrderBehindQueuedOutput(t *testing.T) {
	c, p, _ := helloedTCP(t, nil)

	const n = 2000 // about 500 KiB: the writer is still busy when SendNow comes
	ms := make([]Message, n)
	for i := range ms {
		ms[i] = &EchoRequest{Data: []byte(fmt.Sprintf("%04d%0240d", i, 0))}
	}
	if _, err := c.SendBatch(ms); err != nil {
		t.Fatal(err)
	}
	last, err := c.SendNow(&EchoRequest{Data: []byte("last")})
	if err != nil {
		t.Fatal(err)
	}
	for i := range n {
		h, body := p.read()
		if got := string(body[HeaderLen : HeaderLen+4]); got != fmt.Sprintf("%04d", i) {
			t.Fatalf("message %d arrived as %v %q...", i, h, got)
		}
	}
	if h, body := p.read(); h.XID != last || string(body[HeaderLen:]) != "last" {
		t.Fatalf("after the batch came %v %q, want SendNow's message", h, body[HeaderLen:])
	}
}

// SendNow and Send from many goroutines at once: every message arrives
// whole (no two writers interleave bytes) and each goroutine's messages
// in the order it sent them.
func TestSendNowConcurrentWithSend(t *testing.T) {
	c, p, _ := helloedTCP(t, nil)

	const senders, each = 4, 500
	var wg sync.WaitGroup
	errs := make(chan error, senders)
	for g := range senders {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range each {
				m := &EchoRequest{Data: []byte(fmt.Sprintf("%d:%04d:%0100d", g, i, 0))}
				send := c.Send
				if (g+i)%2 == 0 {
					send = c.SendNow
				}
				if _, err := send(m); err != nil {
					errs <- err
					return
				}
			}
		}()
	}
	next := make([]int, senders)
	for range senders * each {
		h, body := p.read()
		var g, i int
		if h.Type != TypeEchoRequest {
			t.Fatalf("read %v, want ECHO_REQUEST", h)
		}
		if _, err := fmt.Sscanf(string(body[HeaderLen:HeaderLen+6]), "%d:%04d", &g, &i); err != nil || g < 0 || g >= senders {
			t.Fatalf("unreadable payload %q: %v", body[HeaderLen:], err)
		}
		if i != next[g] {
			t.Fatalf("sender %d: message %d arrived, want %d", g, i, next[g])
		}
		next[g]++
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
}

// SendNow on a closed connection fails with ErrClosed and writes nothing;
// a write that fails closes the connection and says why.
func TestSendNowClosed(t *testing.T) {
	c, _, _ := helloedTCP(t, nil)
	c.Close()
	if _, err := c.SendNow(&BarrierRequest{}); !errors.Is(err, ErrClosed) {
		t.Fatalf("SendNow after Close: %v, want ErrClosed", err)
	}

	c2, _, a2 := helloedTCP(t, nil)
	waitIdle(t, c2)
	a2.Close() // our own socket gone: the next write fails
	if _, err := c2.SendNow(&BarrierRequest{}); !errors.Is(err, ErrClosed) || !strings.Contains(err.Error(), "write") {
		t.Fatalf("SendNow on a dead socket: %v, want ErrClosed saying the write failed", err)
	}
	select {
	case <-c2.Done():
	default:
		t.Fatal("a failed SendNow left the connection open")
	}
}

// gatedWriterConn holds the writer goroutine's writes until open is
// closed, and reports when the first one started; SendNow's own writes
// pass.
type gatedWriterConn struct {
	net.Conn
	started chan struct{}
	once    sync.Once
	open    chan struct{}
}

func (c *gatedWriterConn) Write(b []byte) (int, error) {
	if !inSendNow() {
		c.once.Do(func() { close(c.started) })
		<-c.open
	}
	return c.Conn.Write(b)
}

// While the writer goroutine is in the middle of a write, SendNow must
// not write past it (its message would overtake the batch the writer
// holds): it queues behind it.
func TestSendNowWaitsForTheWriter(t *testing.T) {
	a, b := tcpPair(t)
	gc := &gatedWriterConn{Conn: a, started: make(chan struct{}), open: make(chan struct{})}
	c := NewConn(gc, ConnOptions{}) // the writer blocks on HELLO
	t.Cleanup(func() { c.Close() })
	select {
	case <-gc.started:
	case <-time.After(testWait):
		t.Fatal("the writer never wrote")
	}
	if _, err := c.SendNow(&EchoRequest{Data: []byte("after hello")}); err != nil {
		t.Fatal(err)
	}
	close(gc.open)
	p := &rawPeer{t: t, nc: b, fr: newFrameReader(b)}
	if h, _ := p.read(); h.Type != TypeHello {
		t.Fatalf("first on the wire: %v, want HELLO (SendNow overtook the writer)", h)
	}
	if h, body := p.read(); h.Type != TypeEchoRequest || string(body[HeaderLen:]) != "after hello" {
		t.Fatalf("second on the wire: %v %q, want SendNow's message", h, body[HeaderLen:])
	}
}

// With the queue over MaxQueuedBytes (the peer does not read), SendNow
// and TrySend return ErrQueueFull at once and send nothing, where Send
// would wait.
func TestSendNowNeverWaitsForRoom(t *testing.T) {
	a, b := tcpPair(t)
	gc := &gatedWriterConn{Conn: a, started: make(chan struct{}), open: make(chan struct{})}
	c := NewConn(gc, ConnOptions{MaxQueuedBytes: 1024})
	t.Cleanup(func() { c.Close() })
	select {
	case <-gc.started: // the writer holds HELLO
	case <-time.After(testWait):
		t.Fatal("the writer never wrote")
	}
	if _, err := c.Send(&EchoRequest{Data: make([]byte, 2000)}); err != nil {
		t.Fatal(err)
	}
	before := c.Stats().MessagesOut
	done := make(chan error, 1)
	for name, send := range map[string]func(Message) (uint32, error){"SendNow": c.SendNow, "TrySend": c.TrySend} {
		go func() {
			_, err := send(&EchoRequest{Data: []byte("no room")})
			done <- err
		}()
		select {
		case err := <-done:
			if !errors.Is(err, ErrQueueFull) {
				t.Fatalf("%s on a full queue: %v, want ErrQueueFull", name, err)
			}
		case <-time.After(testWait):
			t.Fatalf("%s waited for room", name)
		}
	}
	if after := c.Stats().MessagesOut; after != before {
		t.Fatalf("a refused SendNow queued %d messages", after-before)
	}
	close(gc.open)
	p := &rawPeer{t: t, nc: b, fr: newFrameReader(b)}
	p.readType(TypeHello)
	if h, body := p.read(); h.Type != TypeEchoRequest || len(body) != HeaderLen+2000 {
		t.Fatalf("after HELLO: %v (%d bytes), want the 2000-byte ECHO_REQUEST", h, len(body))
	}
}
