package ofproto

import (
	"bytes"
	"net"
	"testing"
	"time"
)

// replayConn is a net.Conn whose peer "sends" a fixed byte string and then
// closes; writes are discarded.
type replayConn struct{ r *bytes.Reader }

func (c *replayConn) Read(b []byte) (int, error)       { return c.r.Read(b) }
func (c *replayConn) Write(b []byte) (int, error)      { return len(b), nil }
func (c *replayConn) Close() error                     { return nil }
func (c *replayConn) LocalAddr() net.Addr              { return nil }
func (c *replayConn) RemoteAddr() net.Addr             { return nil }
func (c *replayConn) SetDeadline(time.Time) error      { return nil }
func (c *replayConn) SetReadDeadline(time.Time) error  { return nil }
func (c *replayConn) SetWriteDeadline(time.Time) error { return nil }

// FuzzReadFrame feeds arbitrary bytes to the read loop of an established
// connection: it must end with an error (at the latest at end of input)
// and never panic.
func FuzzReadFrame(f *testing.F) {
	f.Add(Append(nil, 1, &EchoRequest{Data: []byte("hi")}))
	f.Add(Append(Append(nil, 2, &BarrierReply{}), 3, &EchoReply{Data: []byte{1, 2}}))
	f.Add(Append(nil, 1, &Hello{Versions: []uint8{1, 4}}))
	f.Add([]byte{0x04, 0x02, 0x00, 0x04, 0, 0, 0, 1})
	f.Add([]byte{0x04, 0x02, 0xff, 0xff, 0, 0, 0, 1, 5})
	f.Add([]byte{0x01, 0x02, 0x00, 0x08, 0, 0, 0, 1})
	f.Fuzz(func(t *testing.T, in []byte) {
		c := NewConn(&replayConn{r: bytes.NewReader(in)}, ConnOptions{})
		c.handshakeStarted.Store(true)
		close(c.handshook)
		// Replies to xid 2 go to a waiter, everything else to the handler,
		// so both decode paths run.
		w := newWaiter(acceptSingle, 2)
		if err := c.register(w); err != nil {
			t.Fatal(err)
		}
		err := c.Serve(HandlerFunc(func(c *Conn, h Header, m Message) {
			if _, err := Clone(m); err != nil {
				t.Errorf("decoded %s does not clone: %v", h.Type, err)
			}
		}))
		if err == nil {
			t.Fatal("Serve returned nil")
		}
	})
}
