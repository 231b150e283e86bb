package ofbench

import (
	"context"
	"errors"
	"fmt"
	"net"
	"sync"
	"time"

	"github.com/lorispack/loris/ofproto"
)

// Floor is the least a controller can do under the benchmark's learn
// load: it computes nothing, stores nothing and waits for nothing, but
// sends what loris sends for a new source MAC in a pod spread over every
// switch. That is, to the switch it came from, FloorConfig.OwnFlowMods
// FLOW_MODs naming the MAC (port security on eth_src, then deliveries on
// eth_dst) and a barrier, then a PACKET_OUT re-injecting the frame; to
// every other switch one FLOW_MOD forwarding the MAC into the tunnel and
// a barrier. A MAC seen before gets the PACKET_OUT alone.
//
// Run against the same generator in the same minutes as a controller, it
// measures what the messages alone cost this machine (the generator's
// work, the loopback, the switches' sockets): the part of a learn's
// latency no controller can remove while every learn programs every host
// of its pod. The rest is the controller's own work.
type Floor struct {
	cfg FloorConfig

	mu      sync.Mutex
	conns   []*ofproto.Conn // switches past their handshake, in order of arrival
	learned map[[6]byte]bool
	learns  uint64
}

// FloorConfig says how many messages a Floor sends per learn.
type FloorConfig struct {
	// OwnFlowMods is how many FLOW_MODs the switch that saw a new MAC
	// gets (at least 1). loris sends 20 per learn to a 16-host pod: 5 to
	// the learning host, 1 to each of the 15 others.
	OwnFlowMods int
}

// NewFloor returns a floor controller; Serve runs it.
func NewFloor(cfg FloorConfig) *Floor {
	cfg.OwnFlowMods = max(cfg.OwnFlowMods, 1)
	return &Floor{cfg: cfg, learned: map[[6]byte]bool{}}
}

// Learns is how many new source MACs the floor has answered.
func (f *Floor) Learns() uint64 {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.learns
}

// Serve accepts switches on ln until ctx ends or ln fails, and closes
// every connection before it returns.
func (f *Floor) Serve(ctx context.Context, ln net.Listener) error {
	stop := context.AfterFunc(ctx, func() { ln.Close() })
	defer stop()
	var wg sync.WaitGroup
	defer wg.Wait()
	for {
		nc, err := ln.Accept()
		if err != nil {
			if ctx.Err() != nil {
				return nil
			}
			return err
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			f.serveSwitch(ctx, nc)
		}()
	}
}

// serveSwitch does what a controller must before a switch counts as
// connected (handshake, features, port descriptions: the generator waits
// for the last) and then answers its packet-ins until either side ends.
func (f *Floor) serveSwitch(ctx context.Context, nc net.Conn) {
	conn := ofproto.NewConn(nc, ofproto.ConnOptions{DeadTimeout: time.Minute})
	defer conn.Close()
	stop := context.AfterFunc(ctx, func() { conn.Close() })
	defer stop()
	hctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if conn.Handshake(hctx) != nil {
		return
	}
	served := make(chan struct{})
	go func() {
		defer close(served)
		conn.Serve(floorHandler{f})
	}()
	defer func() { <-served }()
	if _, _, err := conn.Request(hctx, &ofproto.FeaturesRequest{}); err != nil {
		return
	}
	if _, err := conn.Multipart(hctx, &ofproto.MultipartRequest{Body: &ofproto.PortDescRequest{}}); err != nil {
		return
	}
	f.mu.Lock()
	f.conns = append(f.conns, conn)
	f.mu.Unlock()
	<-conn.Done()
	f.mu.Lock()
	for i, c := range f.conns {
		if c == conn {
			f.conns = append(f.conns[:i], f.conns[i+1:]...)
			break
		}
	}
	f.mu.Unlock()
}

type floorHandler struct{ f *Floor }

// ServeOpenFlow runs on a switch's read loop; m aliases its read buffer,
// which every Send below encodes before it returns.
func (h floorHandler) ServeOpenFlow(c *ofproto.Conn, _ ofproto.Header, m ofproto.Message) {
	pi, ok := m.(*ofproto.PacketIn)
	if !ok || len(pi.Data) < 12 {
		return
	}
	port, ok := pi.InPort()
	if !ok {
		return
	}
	f := h.f
	mac := [6]byte(pi.Data[6:12])
	f.mu.Lock()
	known := f.learned[mac]
	var others []*ofproto.Conn
	if !known {
		f.learned[mac] = true
		f.learns++
		others = make([]*ofproto.Conn, 0, len(f.conns))
		for _, o := range f.conns {
			if o != c {
				others = append(others, o)
			}
		}
	}
	f.mu.Unlock()
	reinject := &ofproto.PacketOut{BufferID: ofproto.BufferNone, InPort: port,
		Actions: []ofproto.Action{ofproto.ActionOutput{Port: ofproto.PortTable}}, Data: pi.Data}
	if known {
		// As loris's read loop answers a known MAC: the last frame read
		// goes out at once, without the writer's hand-off; within a
		// burst the writer coalesces.
		if c.ReadBuffered() == 0 {
			c.SendNow(reinject)
		} else {
			c.Send(reinject)
		}
		return
	}
	hw := net.HardwareAddr(mac[:])
	own := make([]ofproto.Message, 0, f.cfg.OwnFlowMods+2)
	own = append(own, floorFlow(0, ofproto.InPort(port), ofproto.EthSrc(hw)))
	for i := 1; i < f.cfg.OwnFlowMods; i++ {
		own = append(own, floorFlow(uint8(10*i), ofproto.Metadata(floorVNI), ofproto.EthDst(hw)))
	}
	c.SendBatch(append(own, &ofproto.BarrierRequest{}, reinject))
	remote := []ofproto.Message{floorFlow(20, ofproto.Metadata(floorVNI), ofproto.EthDst(hw)), &ofproto.BarrierRequest{}}
	for _, o := range others {
		o.SendBatch(remote)
	}
}

// floorVNI is the pod's key in the floor's flows: any value does.
const floorVNI = 5

// floorFlow is a FLOW_MOD of the size of loris's: a match, a set-field,
// an output and a goto.
func floorFlow(table uint8, fields ...ofproto.OXM) *ofproto.FlowMod {
	return &ofproto.FlowMod{Command: ofproto.FlowModAdd, TableID: table, Priority: 100, Cookie: floorVNI,
		BufferID: ofproto.BufferNone, OutPort: ofproto.PortAny, OutGroup: ofproto.GroupAny,
		Match: ofproto.Match{Fields: fields},
		Instructions: []ofproto.Instruction{
			ofproto.InstructionApplyActions{Actions: []ofproto.Action{
				ofproto.ActionSetField{Field: ofproto.TunnelID(floorVNI)}, ofproto.ActionOutput{Port: 100, MaxLen: 0xffff}}},
			ofproto.InstructionGotoTable{TableID: table + 1},
		}}
}

// ListenFloor serves a Floor on addr until ctx ends.
func ListenFloor(ctx context.Context, addr string, cfg FloorConfig) error {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("floor: %w", err)
	}
	err = NewFloor(cfg).Serve(ctx, ln)
	if errors.Is(err, net.ErrClosed) {
		return nil
	}
	return err
}
