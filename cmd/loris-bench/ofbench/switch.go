// Package ofbench emulates OpenFlow 1.3 switches for benchmarking a
// controller, in the manner of cbench: each Switch connects to the
// controller, answers what a controller asks of a switch (features, port
// descriptions, barriers, flow and group dumps of an empty switch, bundles)
// and can stream PACKET_INs with new source MACs, counting the controller's
// answers.
//
// A Switch keeps no flow table: it acknowledges what it is sent and counts
// it, so what is measured is the controller, not a datapath.
package ofbench

import (
	"context"
	"errors"
	"fmt"
	"net"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/lorispack/loris/ofproto"
)

// SwitchConfig describes one emulated switch.
type SwitchConfig struct {
	DatapathID uint64
	// Ports are reported in PORT_DESC replies; packet-ins arrive on them
	// in turn.
	Ports []ofproto.Port
	// ExtraPorts are reported too, but no packet-in arrives on them (a
	// controller's tunnel port, say).
	ExtraPorts []ofproto.Port
	// Index numbers the switch within a run; it is part of the source MACs
	// the switch generates, so MACs never repeat across switches.
	Index int
}

// Counters are what a switch has received from the controller.
type Counters struct {
	FlowMods, PacketOuts, GroupMods, MeterMods uint64
	Barriers, Multiparts, BundleAdds           uint64
	Other                                      uint64
	// Messages counts everything the controller sent.
	Messages uint64
}

// Switch is one emulated switch connected to a controller.
type Switch struct {
	cfg  SwitchConfig
	conn *ofproto.Conn

	flowMods, packetOuts, groupMods, meterMods atomic.Uint64
	barriers, multiparts, bundleAdds, other    atomic.Uint64
	// messages counts what the controller sent (WaitQuiet). A counter,
	// not a time: reading the clock per message cost the machine the
	// benchmark measures a few percent of its CPU.
	messages         atomic.Uint64
	portDescAnswered chan struct{}
	portDescOnce     sync.Once

	served chan error

	// load is set while packet-ins are being generated.
	loadMu sync.Mutex
	load   *switchLoad
}

// Dial connects a switch to the controller at addr and starts serving it.
// The controller drives the handshake; use WaitReady to know when it is
// done with its initial requests.
func Dial(ctx context.Context, addr string, cfg SwitchConfig) (*Switch, error) {
	var d net.Dialer
	nc, err := d.DialContext(ctx, "tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("switch %016x: %w", cfg.DatapathID, err)
	}
	return Serve(nc, cfg), nil
}

// Serve runs a switch over an established connection (for in-process
// benchmarks over net.Pipe or a loopback socket).
func Serve(nc net.Conn, cfg SwitchConfig) *Switch {
	s := &Switch{
		cfg:              cfg,
		conn:             ofproto.NewConn(nc, ofproto.ConnOptions{DeadTimeout: time.Minute, MaxQueuedBytes: 16 << 20}),
		portDescAnswered: make(chan struct{}),
		served:           make(chan error, 1),
	}
	go func() { s.served <- s.conn.Serve(switchHandler{s}) }()
	return s
}

// Config returns what the switch was created with.
func (s *Switch) Config() SwitchConfig { return s.cfg }

// Close disconnects the switch and waits for its read loop to end.
func (s *Switch) Close() error {
	s.conn.Close()
	<-s.served
	return nil
}

// Done is closed when the connection has ended.
func (s *Switch) Done() <-chan struct{} { return s.conn.Done() }

// Err says why the connection ended (nil while it is open).
func (s *Switch) Err() error { return s.conn.Err() }

// Counters returns what the switch has received so far.
func (s *Switch) Counters() Counters {
	return Counters{
		FlowMods: s.flowMods.Load(), PacketOuts: s.packetOuts.Load(), GroupMods: s.groupMods.Load(),
		MeterMods: s.meterMods.Load(), Barriers: s.barriers.Load(), Multiparts: s.multiparts.Load(),
		BundleAdds: s.bundleAdds.Load(), Other: s.other.Load(),
		Messages: s.messages.Load(),
	}
}

// WaitReady waits until the controller has read the switch's ports and
// then stayed silent for quiet (it has installed whatever it installs on a
// new switch), or ctx ends.
func (s *Switch) WaitReady(ctx context.Context, quiet time.Duration) error {
	select {
	case <-s.portDescAnswered:
	case <-s.conn.Done():
		return fmt.Errorf("switch %016x: connection closed before the controller read its ports: %w", s.cfg.DatapathID, s.conn.Err())
	case <-ctx.Done():
		return fmt.Errorf("switch %016x: controller never asked for port descriptions: %w", s.cfg.DatapathID, ctx.Err())
	}
	return s.WaitQuiet(ctx, quiet)
}

// WaitQuiet waits until the controller has sent nothing for quiet.
func (s *Switch) WaitQuiet(ctx context.Context, quiet time.Duration) error {
	for {
		before := s.messages.Load()
		t := time.NewTimer(quiet)
		select {
		case <-t.C:
			if s.messages.Load() == before {
				return nil
			}
		case <-s.conn.Done():
			t.Stop()
			return fmt.Errorf("switch %016x: connection closed: %w", s.cfg.DatapathID, s.conn.Err())
		case <-ctx.Done():
			t.Stop()
			return fmt.Errorf("switch %016x: controller did not go quiet: %w", s.cfg.DatapathID, ctx.Err())
		}
	}
}

// handle answers the controller. It runs on the read loop; m aliases the
// read buffer, so anything kept is copied.
func (s *Switch) handle(c *ofproto.Conn, h ofproto.Header, m ofproto.Message) {
	s.messages.Add(1)
	var err error
	switch m := m.(type) {
	case *ofproto.FeaturesRequest:
		err = c.Reply(h, &ofproto.FeaturesReply{DatapathID: s.cfg.DatapathID, NTables: 254,
			Capabilities: ofproto.CapFlowStats | ofproto.CapTableStats | ofproto.CapPortStats | ofproto.CapGroupStats})
	case *ofproto.MultipartRequest:
		s.multiparts.Add(1)
		err = s.multipart(c, h, m)
	case *ofproto.BarrierRequest:
		s.barriers.Add(1)
		err = c.Reply(h, &ofproto.BarrierReply{})
	case *ofproto.GetConfigRequest:
		err = c.Reply(h, &ofproto.GetConfigReply{MissSendLen: 0xffff})
	case *ofproto.RoleRequest:
		err = c.Reply(h, &ofproto.RoleReply{Role: m.Role, GenerationID: m.GenerationID})
	case *ofproto.BundleControl:
		err = c.Reply(h, &ofproto.BundleControl{BundleID: m.BundleID, CtrlType: m.CtrlType + 1})
	case *ofproto.BundleAdd:
		s.bundleAdds.Add(1)
		if _, ok := m.Message.(*ofproto.FlowMod); ok {
			s.flowMods.Add(1)
		}
	case *ofproto.FlowMod:
		s.flowMods.Add(1)
		s.answeredByFlowMod(m)
	case *ofproto.PacketOut:
		s.packetOuts.Add(1)
		s.answeredByPacketOut(m)
	case *ofproto.GroupMod:
		s.groupMods.Add(1)
	case *ofproto.MeterMod:
		s.meterMods.Add(1)
	default:
		s.other.Add(1)
	}
	if err != nil && !errors.Is(err, ofproto.ErrClosed) {
		c.Close()
	}
}

// multipart answers as an empty switch would: its ports for PORT_DESC, a
// description for DESC, and an empty list for everything else.
func (s *Switch) multipart(c *ofproto.Conn, h ofproto.Header, m *ofproto.MultipartRequest) error {
	var body ofproto.MultipartBody
	switch m.Body.MultipartType() {
	case ofproto.MultipartPortDesc:
		defer s.portDescOnce.Do(func() { close(s.portDescAnswered) })
		// A message holds at most 64 KiB: 512 ports (32 KiB) per part.
		const perPart = 512
		ports := append(slices.Clip(s.cfg.Ports), s.cfg.ExtraPorts...)
		for len(ports) > perPart {
			if err := c.Reply(h, &ofproto.MultipartReply{Flags: ofproto.MultipartReplyMore, Body: &ofproto.PortDescReply{Ports: ports[:perPart]}}); err != nil {
				return err
			}
			ports = ports[perPart:]
		}
		body = &ofproto.PortDescReply{Ports: ports}
	case ofproto.MultipartDesc:
		body = &ofproto.DescReply{MfrDesc: "loris-bench", HWDesc: "emulated", SWDesc: "loris-bench", DPDesc: "loris-bench switch"}
	default:
		body = &ofproto.MultipartRaw{MPType: m.Body.MultipartType()}
	}
	return c.Reply(h, &ofproto.MultipartReply{Body: body})
}
