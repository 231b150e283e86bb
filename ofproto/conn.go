package ofproto

import (
	"errors"
	"fmt"
	"log/slog"
	"net"
	"sync"
	"sync/atomic"
	"time"
)

// ConnOptions tunes a Conn. Zero fields take the documented defaults.
type ConnOptions struct {
	// EchoInterval is how long the peer may stay silent before Serve sends
	// an ECHO_REQUEST to prove it alive. Default 5s.
	EchoInterval time.Duration
	// DeadTimeout closes the connection with ErrDeadPeer when no byte has
	// arrived from the peer for that long. Default 15s.
	DeadTimeout time.Duration
	// WriteTimeout bounds every write syscall; a peer that does not drain
	// its socket for that long closes the connection. Default 10s.
	WriteTimeout time.Duration
	// MaxBatchBytes caps how many queued bytes one write syscall carries.
	// Default 64 KiB.
	MaxBatchBytes int
	// MaxQueuedBytes is how much encoded output may wait for the writer
	// before Send blocks (until the writer catches up or the connection
	// closes). Default 4 MiB.
	MaxQueuedBytes int
	// Logger receives connection-level events (disconnect reasons) at debug
	// level. Default: discard.
	Logger *slog.Logger
}

func (o ConnOptions) withDefaults() ConnOptions {
	if o.EchoInterval <= 0 {
		o.EchoInterval = 5 * time.Second
	}
	if o.DeadTimeout <= 0 {
		o.DeadTimeout = 15 * time.Second
	}
	if o.WriteTimeout <= 0 {
		o.WriteTimeout = 10 * time.Second
	}
	if o.MaxBatchBytes <= 0 {
		o.MaxBatchBytes = 64 << 10
	}
	if o.MaxQueuedBytes <= 0 {
		o.MaxQueuedBytes = 4 << 20
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	return o
}

// Conn is one OpenFlow 1.3 connection (controller or switch side; nothing in
// it is specific to either role).
//
// Output goes through a single writer goroutine that coalesces everything
// queued into as few write syscalls as possible. Input is read by Serve,
// which hands replies to the Request/Multipart/Apply/ApplyBundle/Barrier
// call waiting for their xid, answers ECHO_REQUEST itself and passes every
// other message to a Handler.
//
// Message ownership: Send and friends encode a message before returning,
// so the caller may reuse it at once. Replies returned to callers own their
// bytes. Messages given to a Handler alias the connection's read buffer and
// are valid only during the call (Clone keeps one).
//
// The Conn owns nc and closes it. All methods are safe for concurrent use.
type Conn struct {
	nc   net.Conn
	opt  ConnOptions
	log  *slog.Logger
	in   *frameReader
	out  *writeQueue
	next atomic.Uint32 // last xid handed out

	lastRead atomic.Int64 // unix nanos of the last byte received

	msgsIn, bytesIn        atomic.Uint64
	msgsOut, bytesOut      atomic.Uint64
	writeCalls, keepalives atomic.Uint64

	handshakeStarted atomic.Bool
	handshook        chan struct{} // closed when the handshake succeeded
	serving          atomic.Bool

	pendMu  sync.Mutex
	pending map[uint32]*waiter

	closeOnce sync.Once
	done      chan struct{}
	err       error // why the connection closed; written once before done closes
	waitErr   error // what waiters get: ErrClosed wrapping err
}

// NewConn wraps nc, starts its writer and queues our HELLO. Then call
// Handshake (or let Serve call it) to check the peer's HELLO; messages sent
// before it finishes are queued behind our HELLO.
func NewConn(nc net.Conn, opt ConnOptions) *Conn {
	opt = opt.withDefaults()
	c := &Conn{
		nc:        nc,
		opt:       opt,
		log:       opt.Logger.With("remote", addrString(nc.RemoteAddr())),
		pending:   make(map[uint32]*waiter),
		done:      make(chan struct{}),
		handshook: make(chan struct{}),
	}
	c.lastRead.Store(time.Now().UnixNano())
	c.in = newFrameReader(&deadlineReader{c: c})
	c.out = newWriteQueue(opt.MaxQueuedBytes)
	// HELLO goes first, before anything a caller may send while the
	// handshake is still running (a peer closes on anything else first).
	xids, hello := [1]uint32{c.nextXID()}, [1]Message{&Hello{Versions: []uint8{Version}}}
	c.out.enqueue(xids[:], hello[:])
	go c.writeLoop()
	return c
}

func addrString(a net.Addr) string {
	if a == nil {
		return ""
	}
	return a.String()
}

// RemoteAddr is the peer's network address.
func (c *Conn) RemoteAddr() net.Addr { return c.nc.RemoteAddr() }

// Done is closed when the connection has closed, for whatever reason.
func (c *Conn) Done() <-chan struct{} { return c.done }

// Err is nil while the connection is open; afterwards it says why it closed
// (ErrClosed after Close, ErrDeadPeer, a *FrameError, a *DecodeError naming
// the message and offset, a network error...).
func (c *Conn) Err() error {
	select {
	case <-c.done:
		return c.err
	default:
		return nil
	}
}

// Close closes the connection. Requests still waiting fail with ErrClosed;
// output not yet written is dropped. Calling Close again does nothing.
func (c *Conn) Close() error {
	c.closeWithError(ErrClosed)
	return nil
}

// closeWithError closes the connection recording cause as the reason; only
// the first cause is kept.
func (c *Conn) closeWithError(cause error) {
	c.closeOnce.Do(func() {
		c.err = cause
		c.waitErr = ErrClosed
		if !errors.Is(cause, ErrClosed) {
			c.waitErr = fmt.Errorf("%w: %w", ErrClosed, cause)
		}
		close(c.done)
		c.nc.Close()
		c.out.close()
		c.failPending(c.waitErr)
		if cause != ErrClosed {
			c.log.Debug("openflow connection closed", "reason", cause)
		}
	})
}

// nextXID hands out transaction ids; 0 is skipped because it is what
// unsolicited switch messages carry.
func (c *Conn) nextXID() uint32 {
	for {
		if x := c.next.Add(1); x != 0 {
			return x
		}
	}
}

// deadlineReader reads from the network connection, pushing the read
// deadline forward before each read: a read that gets no byte for
// DeadTimeout fails, which is how a dead peer is noticed.
type deadlineReader struct{ c *Conn }

func (r *deadlineReader) Read(p []byte) (int, error) {
	c := r.c
	now := time.Now()
	// A failure to set the deadline means the connection is going away;
	// the read reports that better (EOF from a peer that closed cleanly).
	_ = c.nc.SetReadDeadline(now.Add(c.opt.DeadTimeout))
	n, err := c.nc.Read(p)
	if n > 0 {
		c.lastRead.Store(time.Now().UnixNano())
	}
	var ne net.Error
	if err != nil && errors.As(err, &ne) && ne.Timeout() {
		err = ErrDeadPeer
	}
	return n, err
}

// ConnStats counts a connection's traffic since NewConn.
type ConnStats struct {
	MessagesIn, BytesIn   uint64
	MessagesOut, BytesOut uint64 // queued for writing
	WriteCalls            uint64 // write syscalls: MessagesOut/WriteCalls is the batching factor
	EchoKeepalives        uint64 // ECHO_REQUESTs sent because the peer was idle
}

// Stats returns the connection's counters.
func (c *Conn) Stats() ConnStats {
	c.out.mu.Lock()
	msgsOut, bytesOut := c.out.msgs, c.out.queued
	c.out.mu.Unlock()
	return ConnStats{
		MessagesIn: c.msgsIn.Load(), BytesIn: c.bytesIn.Load(),
		MessagesOut: msgsOut, BytesOut: bytesOut,
		WriteCalls: c.writeCalls.Load(), EchoKeepalives: c.keepalives.Load(),
	}
}
