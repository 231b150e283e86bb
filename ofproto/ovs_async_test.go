package ofproto

import (
	"bytes"
	"encoding/binary"
	"io"
	"net"
	"testing"
	"time"
)

// rawOVSSession is a bare OpenFlow session on a bridge's management
// socket, framed by hand so that this test depends on nothing but the
// codec.
type rawOVSSession struct {
	t *testing.T
	c net.Conn
}

func dialRawOVS(t *testing.T, s *ovsSwitch) *rawOVSSession {
	t.Helper()
	c, err := net.Dial("unix", s.path(s.bridge+".mgmt"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	if err := c.SetDeadline(time.Now().Add(15 * time.Second)); err != nil {
		t.Fatal(err)
	}
	r := &rawOVSSession{t: t, c: c}
	r.send(1, &Hello{Versions: []uint8{Version}})
	if _, m := r.read(); m.Type() != TypeHello {
		t.Fatalf("switch opened with %s", m.Type())
	}
	return r
}

func (r *rawOVSSession) send(xid uint32, m Message) {
	r.t.Helper()
	if _, err := r.c.Write(Append(nil, xid, m)); err != nil {
		r.t.Fatal(err)
	}
}

// read returns the next message, failing the test on any decode error
// and on any message whose re-encoding differs from OVS's bytes.
func (r *rawOVSSession) read() (Header, Message) {
	r.t.Helper()
	hdr := make([]byte, HeaderLen)
	if _, err := io.ReadFull(r.c, hdr); err != nil {
		r.t.Fatal(err)
	}
	msg := make([]byte, binary.BigEndian.Uint16(hdr[2:]))
	copy(msg, hdr)
	if _, err := io.ReadFull(r.c, msg[HeaderLen:]); err != nil {
		r.t.Fatal(err)
	}
	h, m, err := Decode(msg)
	if err != nil {
		r.t.Fatalf("decoding %x: %v", msg, err)
	}
	if _, ok := m.(*Hello); !ok {
		if again := Append(nil, h.XID, m); !bytes.Equal(again, msg) {
			r.t.Errorf("%s changes when re-encoded\nOVS: %x\nour: %x", h.Type, msg, again)
		}
	}
	return h, m
}

// TestOVSAsyncMessagesDecode has Open vSwitch send the asynchronous
// messages a controller lives on, PACKET_IN and PORT_STATUS, after our
// SET_ASYNC and SET_CONFIG asked for them.
func TestOVSAsyncMessagesDecode(t *testing.T) {
	s := startOVS(t)
	r := dialRawOVS(t, s)
	r.send(2, &SetAsync{PacketInMask: [2]uint32{0x7, 0x7}, PortStatusMask: [2]uint32{0x7, 0x7}})
	r.send(3, &SetConfig{MissSendLen: ControllerMaxLenNoBuffer})
	r.send(4, &GetAsyncRequest{})
	r.send(5, &BarrierRequest{})
	for {
		h, m := r.read()
		if ga, ok := m.(*GetAsyncReply); ok && (ga.PacketInMask[0] != 7 || ga.PortStatusMask[0] != 7) {
			t.Errorf("switch did not take our SET_ASYNC: %+v", ga)
		}
		if e, ok := m.(*ErrorMsg); ok {
			t.Fatalf("switch rejected xid %d: %v", h.XID, e)
		}
		if h.Type == TypeBarrierReply && h.XID == 5 {
			break
		}
	}

	arp := "ffffffffffff0200000000010806" + "0001080006040001" + "020000000001" + "0af40001" + "000000000000" + "0af40002"
	s.run("ovs-ofctl", "-O", "OpenFlow13", "packet-out", "unix:"+s.path(s.bridge+".mgmt"),
		"in_port=controller packet="+arp+" actions=controller")
	port := s.bridge + "p9"
	s.vsctl("add-port", s.bridge, port, "--", "set", "interface", port, "type=dummy", "ofport_request=9")

	var pin *PacketIn
	var status *PortStatus
	for pin == nil || status == nil {
		_, m := r.read()
		switch m := m.(type) {
		case *PacketIn:
			pin = m
		case *PortStatus:
			if m.Port.PortNo == 9 && m.Reason == PortReasonAdd {
				status = m
			}
		}
	}
	if in, ok := pin.InPort(); !ok || in != PortController {
		t.Errorf("packet-in in_port %d %v, want CONTROLLER", in, ok)
	}
	if len(pin.Data) != 42 || pin.TotalLen != 42 || pin.BufferID != BufferNone || pin.Reason != PacketInReasonAction {
		t.Errorf("packet-in %s", pin)
	}
	if status.Port.Name != port {
		t.Errorf("port status for %s", status.Port)
	}
}
