package ofproto

import (
	"testing"
	"time"
)

// rawTaker takes the messages whose xid is odd before they are decoded
// and leaves the others to ServeOpenFlow.
type rawTaker struct {
	*collector
	raw chan uint32
}

func (r rawTaker) ServeRaw(_ *Conn, h Header, frame []byte) bool {
	if h.XID%2 == 0 {
		return false
	}
	if len(frame) != int(h.Length) {
		panic("ServeRaw got a partial frame")
	}
	r.raw <- h.XID
	return true
}

// A RawHandler sees a message before it is decoded and keeps it from the
// decoder when it says so (even one the decoder would refuse); what it
// declines is decoded and handled as usual.
func TestRawHandlerTakesMessagesBeforeDecoding(t *testing.T) {
	h := rawTaker{collector: newCollector(), raw: make(chan uint32, 8)}
	_, p, _ := servedRaw(t, ConnOptions{}, h)
	p.send(1, &PacketIn{BufferID: BufferNone, Data: []byte("taken raw")})
	p.send(2, &PacketIn{BufferID: BufferNone, Data: []byte("decoded")})
	// A PACKET_IN cut short: the decoder would close the connection.
	bad := Append(nil, 3, &PacketIn{BufferID: BufferNone})[:HeaderLen+4]
	bad[3] = byte(len(bad))
	p.write(bad)
	p.send(4, &PacketIn{BufferID: BufferNone, Data: []byte("decoded too")})
	for _, want := range []uint32{1, 3} {
		select {
		case got := <-h.raw:
			if got != want {
				t.Fatalf("ServeRaw got xid %d, want %d", got, want)
			}
		case <-time.After(testWait):
			t.Fatalf("ServeRaw never got xid %d", want)
		}
	}
	for _, want := range []uint32{2, 4} {
		if got := h.next(t); got.h.XID != want || got.h.Type != TypePacketIn {
			t.Fatalf("ServeOpenFlow got %v, want PACKET_IN xid %d", got.h, want)
		}
	}
}
