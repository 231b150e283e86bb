package ofbench

import (
	"context"
	"errors"
	"time"

	"github.com/lorispack/loris/ofproto"
)

// LoadConfig says how a switch generates packet-ins.
type LoadConfig struct {
	// Window is how many packet-ins may be unanswered at once (1 for
	// latency mode).
	Window int
	// Timeout is how long an unanswered packet-in holds a window slot
	// before it is counted lost.
	Timeout time.Duration
	// MACsPerPort bounds the distinct source MACs per port; after that the
	// port's MACs repeat from the first. 0: every packet-in has a new one.
	MACsPerPort int
	// Reason, TableID and Cookie are written into every PACKET_IN, as the
	// flow that sent the packet to the controller would set them.
	Reason  uint8
	TableID uint8
	Cookie  uint64
	// DstMAC is the destination of every generated frame (broadcast when
	// zero, so a learning switch floods and answers with one PACKET_OUT).
	DstMAC [6]byte
}

// switchLoad is the state of one switch's packet-in stream. outstanding
// maps each unanswered packet's source MAC to when it was sent.
type switchLoad struct {
	cfg         LoadConfig
	slots       chan struct{}
	outstanding map[[6]byte]time.Time
	// measureFrom: only packet-ins sent at or after it count in the
	// results (earlier ones are warm-up).
	measureFrom time.Time
	res         Result
}

// Generate streams packet-ins until ctx ends and returns what happened to
// those sent at or after measureFrom. The switch's ports take turns.
func (s *Switch) Generate(ctx context.Context, cfg LoadConfig, measureFrom time.Time) Result {
	if cfg.Window <= 0 {
		cfg.Window = 1
	}
	if cfg.Timeout <= 0 {
		cfg.Timeout = time.Second
	}
	if cfg.DstMAC == ([6]byte{}) {
		cfg.DstMAC = [6]byte{0xff, 0xff, 0xff, 0xff, 0xff, 0xff}
	}
	l := &switchLoad{
		cfg:         cfg,
		slots:       make(chan struct{}, cfg.Window),
		outstanding: make(map[[6]byte]time.Time, cfg.Window),
		measureFrom: measureFrom,
	}
	for range cfg.Window {
		l.slots <- struct{}{}
	}
	s.loadMu.Lock()
	s.load = l
	s.loadMu.Unlock()

	reapEvery := cfg.Timeout / 4
	reaper := time.NewTicker(reapEvery)
	defer reaper.Stop()

	frame := newFrame(cfg.DstMAC)
	pi := &ofproto.PacketIn{BufferID: ofproto.BufferNone, Reason: cfg.Reason, TableID: cfg.TableID, Cookie: cfg.Cookie,
		Match: ofproto.Match{Fields: []ofproto.OXM{ofproto.InPort(0)}}}
	var seq uint32
	ports := s.cfg.Ports
	// One at a time, each packet-in goes out at once rather than through
	// the connection's writer goroutine: a hand-off fewer on every round
	// trip measured, whichever controller is measured.
	send := s.conn.Send
	if cfg.Window == 1 {
		send = func(m ofproto.Message) (uint32, error) {
			xid, err := s.conn.SendNow(m)
			if errors.Is(err, ofproto.ErrQueueFull) { // never with one at a time, but then wait
				return s.conn.Send(m)
			}
			return xid, err
		}
	}
loop:
	for {
		select {
		case <-ctx.Done():
			break loop
		case <-s.conn.Done():
			break loop
		case <-reaper.C:
			s.reap(time.Now())
			continue
		case <-l.slots:
		}
		port := ports[int(seq)%len(ports)]
		macSeq := seq
		if cfg.MACsPerPort > 0 {
			round := seq / uint32(len(ports)) % uint32(cfg.MACsPerPort)
			macSeq = round*uint32(len(ports)) + seq%uint32(len(ports))
		}
		seq++
		mac := SourceMAC(s.cfg.Index, macSeq)
		frame.setSource(mac)
		pi.Match.Fields[0] = ofproto.InPort(port.PortNo)
		pi.TotalLen = uint16(len(frame))
		pi.Data = frame

		now := time.Now()
		s.loadMu.Lock()
		if _, dup := l.outstanding[mac]; dup {
			// The same MAC is still in flight (MACsPerPort small): give
			// the slot back and try the next one.
			s.loadMu.Unlock()
			l.slots <- struct{}{}
			continue
		}
		l.outstanding[mac] = now
		if !now.Before(l.measureFrom) {
			l.res.Sent++
		}
		s.loadMu.Unlock()
		if _, err := send(pi); err != nil {
			break
		}
	}
	s.loadMu.Lock()
	defer s.loadMu.Unlock()
	s.load = nil
	// Whatever is still outstanding when the run ends was neither answered
	// nor timed out: not counted as lost, the run just ended.
	l.res.Unanswered = uint64(len(l.outstanding))
	return l.res
}

// reap frees the slots of packet-ins that waited longer than the timeout.
func (s *Switch) reap(now time.Time) {
	s.loadMu.Lock()
	defer s.loadMu.Unlock()
	l := s.load
	if l == nil {
		return
	}
	for mac, sent := range l.outstanding {
		if now.Sub(sent) < l.cfg.Timeout {
			continue
		}
		delete(l.outstanding, mac)
		if !sent.Before(l.measureFrom) {
			l.res.Lost++
		}
		l.slots <- struct{}{}
	}
}

// answered settles the packet-in with source mac, if one is outstanding.
// The first answer counts; later ones (a FLOW_MOD after the PACKET_OUT)
// find nothing and are ignored.
func (s *Switch) answered(mac [6]byte, byFlowMod bool) {
	now := time.Now()
	s.loadMu.Lock()
	defer s.loadMu.Unlock()
	l := s.load
	if l == nil {
		return
	}
	sent, ok := l.outstanding[mac]
	if !ok {
		return
	}
	delete(l.outstanding, mac)
	if !sent.Before(l.measureFrom) {
		l.res.Answered++
		l.res.Latencies = append(l.res.Latencies, now.Sub(sent))
		if byFlowMod {
			l.res.FlowModLatencies = append(l.res.FlowModLatencies, now.Sub(sent))
		} else {
			l.res.PacketOutLatencies = append(l.res.PacketOutLatencies, now.Sub(sent))
		}
	}
	l.slots <- struct{}{}
}

// answeredByPacketOut: a PACKET_OUT carrying our frame answers it.
func (s *Switch) answeredByPacketOut(m *ofproto.PacketOut) {
	if len(m.Data) >= 12 {
		s.answered([6]byte(m.Data[6:12]), false)
	}
}

// answeredByFlowMod: a FLOW_MOD matching our frame's source MAC (learned)
// answers it.
func (s *Switch) answeredByFlowMod(m *ofproto.FlowMod) {
	for _, f := range m.Match.Fields {
		if f.Class == ofproto.OXMClassOpenFlowBasic && (f.Field == ofproto.OXMEthSrc || f.Field == ofproto.OXMEthDst) && len(f.Value) == 6 && f.Mask == nil {
			s.answered([6]byte(f.Value), true)
		}
	}
}
