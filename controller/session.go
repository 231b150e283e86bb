package controller

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"net"
	"sync"
	"sync/atomic"
	"time"

	"github.com/lorispack/loris/ofproto"
	"github.com/lorispack/loris/policy"
	"github.com/lorispack/loris/topology"
)

// missSendLen is how many bytes of a packet the switch sends to us.
const missSendLen = 0xffff

// session is one connected switch. Its reconcile loop is the only goroutine
// that sends flow and group changes, so the installed-state cache needs no
// lock of its own beyond mu for the fields the API reads.
type session struct {
	c      *Controller
	conn   *ofproto.Conn
	log    *slog.Logger
	dpid   topology.DatapathID
	remote string
	since  time.Time
	kickCh chan struct{}
	// budget limits asynchronous messages; flooding is set once a flood
	// has closed the connection.
	budget   *msgBudget
	flooding atomic.Bool
	// noBundles is set once the switch refused a bundle.
	noBundles atomic.Bool
	// wantGen counts kicks; doneGen is the wantGen a successful round
	// started from. The session is converged when they are equal.
	wantGen, doneGen atomic.Uint64
	// kickPending: a kickSoon timer runs.
	kickPending atomic.Bool

	mu            sync.Mutex
	ports         policy.Ports // port name -> OpenFlow port number; replaced, never changed in place
	portsGen      uint64       // counts changes of ports
	host          string       // empty while the datapath is not registered
	lastReconcile time.Time
	lastErr       string
	stats         switchCounters

	// polled is the latest counters from the stats poller.
	polled polledStats

	// work is what changed since the last round (markAffected); base is
	// what the switch holds, as the inputs that compile to it. base.snap
	// nil: unknown, read the switch. The session keeps no flows of its
	// own: a round recompiles the changed pods from base and from the
	// current snapshot and sends the difference.
	work sessionWork
	base reconciledBase
	// snap is the controller's snapshot as of the last change published
	// (markAffected sets it with work): what a round compiles to.
	snap *topology.Snapshot
	// podCache: the last compile of a few pods from base, owned by the
	// reconcile loop (keepCompiled).
	podCache map[string]*policy.FlowSet

	learn *learner // MAC learning from packet-ins (learn.go)
	// pin is the read loop's PACKET_IN, decoded anew for each (ServeRaw).
	pin ofproto.PacketIn
	// packetIns caches the packet-in counter for the read loop.
	packetIns packetInCounter

	// Pipelined rounds (pipeline.go): sent by the reconcile loop,
	// confirmed in order by confirmLoop.
	inflight   chan inflightRound
	inflightWG sync.WaitGroup
	pipeFailed atomic.Bool
}

// switchCounters are what the session reports through the status API.
type switchCounters struct {
	Flows, Groups                   int
	FlowAdds, FlowDeletes, FlowMods uint64
	GroupMods                       uint64
	Reconciles                      uint64
}

// kick asks the reconcile loop for another round; it never blocks.
func (s *session) kick() {
	s.wantGen.Add(1)
	s.wake()
}

func (s *session) wake() {
	select {
	case s.kickCh <- struct{}{}:
	default:
	}
}

// kickSoon asks for a round within d (at once if d <= 0): every kickSoon
// until then shares that round. The caller marked the work before, so a
// round that starts earlier for any other reason takes it along; the
// generation counts now, so that waiters know which round holds it.
func (s *session) kickSoon(d time.Duration) {
	if d <= 0 {
		s.kick()
		return
	}
	s.wantGen.Add(1)
	if s.kickPending.CompareAndSwap(false, true) {
		time.AfterFunc(d, func() {
			s.kickPending.Store(false)
			s.wake()
		})
	}
}

func (c *Controller) runSession(ctx context.Context, nc net.Conn) {
	remote := nc.RemoteAddr().String()
	log := c.log.With("switch", remote)
	if err := tlsHandshake(ctx, nc); err != nil {
		log.Warn("switch refused: TLS handshake failed", "err", err)
		nc.Close()
		return
	}
	conn := ofproto.NewConn(c.metrics.countingConn(nc), ofproto.ConnOptions{
		EchoInterval: c.cfg.EchoInterval,
		DeadTimeout:  c.cfg.DeadTimeout,
		Logger:       log,
	})
	defer conn.Close()

	hctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if err := conn.Handshake(hctx); err != nil {
		log.Warn("switch handshake failed", "err", err)
		return
	}
	// The read loop must run before any request can see its reply.
	s := &session{c: c, conn: conn, remote: remote, since: time.Now(), kickCh: make(chan struct{}, 1),
		budget: newMsgBudget(c.cfg.SwitchMsgRate, c.cfg.SwitchMsgBurst, nil), work: sessionWork{full: true},
		inflight: make(chan inflightRound, pipelineDepth)}
	s.learn = newLearner(s)
	served := make(chan error, 1)
	go func() { served <- conn.Serve(s) }()

	_, fm, err := conn.Request(hctx, &ofproto.FeaturesRequest{})
	if err != nil {
		log.Warn("switch features request failed", "err", err)
		return
	}
	features, ok := fm.(*ofproto.FeaturesReply)
	if !ok {
		log.Warn("switch answered FEATURES_REQUEST with the wrong message", "type", fm.Type())
		return
	}
	s.dpid = topology.DatapathID(features.DatapathID)
	s.log = log.With("dpid", s.dpid.String())
	if _, err := conn.Send(&ofproto.SetConfig{MissSendLen: missSendLen}); err != nil {
		s.log.Warn("set config failed", "err", err)
		return
	}
	ports, err := s.readPorts(hctx)
	if err != nil {
		s.log.Warn("reading switch ports failed", "err", err)
		return
	}
	s.mu.Lock()
	s.setPorts(ports)
	s.mu.Unlock()
	cancel()

	c.attachSession(s)
	defer c.detachSession(s)
	s.log.Info("switch connected", "ports", len(ports))
	c.switchEvent(EventSwitchConnect, s, "")
	c.metrics.switchConnected(s)
	defer c.metrics.switchDisconnected(s)
	stopPolling := s.startStatsPolling(ctx)
	defer stopPolling()

	s.kick()
	go s.learn.run(ctx)
	loopDone := make(chan struct{})
	go func() {
		defer close(loopDone)
		confirmed := make(chan struct{})
		go func() {
			defer close(confirmed)
			s.confirmLoop(ctx)
		}()
		s.reconcileLoop(ctx)
		close(s.inflight)
		<-confirmed
	}()
	select {
	case err = <-served:
	case <-ctx.Done():
		err = ctx.Err()
	}
	conn.Close()
	<-loopDone
	c.switchEvent(EventSwitchDisconnect, s, fmt.Sprint(err))
	if isOrderlyClose(err) {
		s.log.Info("switch disconnected", "reason", err)
	} else {
		s.log.Warn("switch disconnected", "reason", err)
	}
}

// attachSession makes s the session of its datapath, closing an older one.
func (c *Controller) attachSession(s *session) {
	c.mu.Lock()
	old := c.sessions[s.dpid]
	c.sessions[s.dpid] = s
	s.mu.Lock()
	s.snap = c.snap
	s.mu.Unlock()
	c.mu.Unlock()
	if old != nil {
		old.log.Info("replaced by a new connection from the same datapath")
		old.conn.Close()
	}
}

func (c *Controller) detachSession(s *session) {
	c.mu.Lock()
	if c.sessions[s.dpid] == s {
		delete(c.sessions, s.dpid)
	}
	c.mu.Unlock()
}

// ServeOpenFlow receives the switch's asynchronous messages (handle).
func (s *session) ServeOpenFlow(c *ofproto.Conn, h ofproto.Header, m ofproto.Message) {
	s.handle(c, h, m)
}

// ServeRaw decodes a PACKET_IN into the one PacketIn the read loop reuses
// (pin), and hands it to handle, which keeps nothing of it (the learner
// copies the frames it queues; a re-injection is encoded before it
// returns). Under a packet-in stream a new PacketIn and match for every
// frame were most of the read loop's allocations. Other messages, and a
// PACKET_IN that does not decode, take the usual way (Decode reports it).
// The frame's version and length were checked by the connection before.
func (s *session) ServeRaw(c *ofproto.Conn, h ofproto.Header, frame []byte) bool {
	if h.Type != ofproto.TypePacketIn || s.pin.DecodeBody(frame[ofproto.HeaderLen:]) != nil {
		return false
	}
	s.handle(c, h, &s.pin)
	return true
}

// handle receives the switch's asynchronous messages. It keeps no message
// after it returns (ServeRaw reuses one).
func (s *session) handle(_ *ofproto.Conn, _ ofproto.Header, m ofproto.Message) {
	s.c.metrics.asyncMessage(&s.packetIns, s.hostLabel(), m)
	if !s.admit() {
		return
	}
	switch m := m.(type) {
	case *ofproto.PortStatus:
		s.portStatus(m)
	case *ofproto.PacketIn:
		s.learn.packetIn(m)
	case *ofproto.ErrorMsg:
		if s.log != nil {
			s.log.Warn("switch reported an error", "err", m.Error())
		}
	}
}

func (s *session) portStatus(m *ofproto.PortStatus) {
	name := m.Port.Name
	s.mu.Lock()
	changed := false
	switch m.Reason {
	case ofproto.PortReasonDelete:
		defer s.learn.portDeleted(name) // after s.mu is released
		if _, ok := s.ports[name]; ok {
			ports := maps.Clone(s.ports)
			delete(ports, name)
			s.setPorts(ports)
			changed = true
		}
	default:
		if s.ports[name] != m.Port.PortNo {
			ports := maps.Clone(s.ports)
			if ports == nil {
				ports = policy.Ports{}
			}
			ports[name] = m.Port.PortNo
			s.setPorts(ports)
			changed = true
		}
	}
	s.mu.Unlock()
	if changed {
		if s.log != nil {
			s.log.Info("port changed", "port", name, "ofport", m.Port.PortNo, "reason", m.Reason)
		}
		s.kick()
	}
}

// setPorts makes ports the switch's ports. Called with s.mu held. A
// round and the learner read the map without the lock once they took it,
// so it is replaced, never changed.
func (s *session) setPorts(ports policy.Ports) {
	s.ports = ports
	s.portsGen++
}

func (s *session) readPorts(ctx context.Context) (policy.Ports, error) {
	replies, err := s.conn.Multipart(ctx, &ofproto.MultipartRequest{Body: &ofproto.PortDescRequest{}})
	if err != nil {
		return nil, err
	}
	ports := policy.Ports{}
	for _, r := range replies {
		pd, ok := r.Body.(*ofproto.PortDescReply)
		if !ok {
			return nil, fmt.Errorf("unexpected multipart reply %T to PORT_DESC", r.Body)
		}
		for _, p := range pd.Ports {
			if p.PortNo <= ofproto.PortMax {
				ports[p.Name] = p.PortNo
			}
		}
	}
	return ports, nil
}

// reconcileLoop runs one reconciliation per kick until the connection ends.
func (s *session) reconcileLoop(ctx context.Context) {
	for {
		select {
		case <-s.conn.Done():
			return
		case <-ctx.Done():
			return
		case <-s.kickCh:
		}
		s.recoverPipeline()
		gen := s.wantGen.Load()
		// A full round waits for its turn before its time starts.
		slot := &roundSlot{c: s.c}
		if s.nextRoundFull() && slot.take(ctx) != nil {
			return
		}
		rctx, cancel := context.WithTimeout(ctx, s.c.cfg.ReconcileTimeout)
		started := time.Now()
		pipelined, err := s.reconcile(rctx, slot, gen)
		cancel()
		slot.release()
		s.c.metrics.reconciled(s.hostLabel(), time.Since(started), err)
		s.mu.Lock()
		s.lastReconcile = time.Now()
		if err != nil {
			s.lastErr = err.Error()
		} else if !pipelined { // confirmLoop confirms pipelined rounds
			s.lastErr = ""
			s.doneGen.Store(gen)
			s.learn.reconciled()
		}
		s.mu.Unlock()
		if err != nil && !errors.Is(err, ofproto.ErrClosed) {
			s.log.Warn("reconciliation failed", "err", err)
			s.forgetSwitchState()
		}
	}
}

// forgetSwitchState makes the next round read the switch and compare
// everything: after a failed round what the switch holds is unknown, and
// compiles cached from the old base no longer describe it. Called by the
// reconcile loop, which owns podCache.
func (s *session) forgetSwitchState() {
	s.mu.Lock()
	s.base = reconciledBase{}
	s.mu.Unlock()
	s.podCache = nil
}

// kickAll kicks sessions; it never blocks, so callers may hold c.mu.
func kickAll(sessions []*session) {
	for _, s := range sessions {
		s.kick()
	}
}

// reconcile brings the switch to the desired state of its host. It
// reports whether the round was pipelined (sent, to be confirmed by
// confirmLoop) rather than applied and confirmed.
func (s *session) reconcile(ctx context.Context, slot *roundSlot, gen uint64) (bool, error) {
	snap, work, base := s.takeWork()
	host, ok := snap.HostByDatapathID(s.dpid)
	s.mu.Lock()
	if ok {
		s.host = host.Name
	} else {
		s.host = ""
	}
	ports, portsGen := s.ports, s.portsGen // never changed in place (setPorts)
	s.mu.Unlock()
	if !ok {
		// An unregistered datapath gets nothing: fail_mode=secure keeps
		// it dropping until `lorisctl host init` registers it.
		s.log.Info("switch is not a registered host yet; waiting")
		s.setBase(reconciledBase{})
		return false, s.drainPipeline()
	}
	r, err := s.plan(ctx, host.Name, snap, ports, portsGen, work, base, slot)
	slot.release()
	if err != nil {
		return false, err
	}
	p := r.plan
	start := time.Now()
	pipelined := pipelinable(r) && !s.pipeFailed.Load()
	s.c.metrics.planSent(host.Name, p)
	if pipelined {
		if err := s.sendPipelined(ctx, p, gen, host.Name); err != nil {
			return false, err
		}
	} else {
		if err := s.drainPipeline(); err != nil {
			return false, err
		}
		if err := s.apply(ctx, p); err != nil {
			return false, err
		}
	}
	s.keepCompiled(r)
	s.mu.Lock()
	// advance may have moved base past snap meanwhile, but only over
	// changes that do not concern this switch: snap compiles the same.
	s.base = reconciledBase{snap: snap, ports: ports, portsGen: portsGen}
	if r.full {
		s.stats.Flows, s.stats.Groups = r.flows, r.groups
	} else {
		s.stats.Flows += r.flows
		s.stats.Groups += r.groups
	}
	s.stats.Reconciles++
	s.c.metrics.planApplied(host.Name, p)
	s.stats.FlowAdds += uint64(p.flowAdds)
	s.stats.FlowDeletes += uint64(p.flowDeletes)
	s.stats.FlowMods += uint64(p.flowAdds + p.flowDeletes)
	s.stats.GroupMods += uint64(len(p.groupAdds) + len(p.groupDeletes))
	s.mu.Unlock()
	if !p.empty() {
		s.log.Info("reconciled", "host", host.Name, "flow_adds", p.flowAdds, "flow_deletes", p.flowDeletes,
			"group_changes", len(p.groupAdds)+len(p.groupDeletes), "pods", r.pods, "pipelined", pipelined,
			"took", time.Since(start))
	}
	return pipelined, nil
}

// apply sends a plan in three confirmed steps so that no flow ever points
// at a missing group: groups first, then flows, then group removals;
// meters before and after them likewise. A large plan goes as one ordered
// bundle instead (applyBundled).
func (s *session) apply(ctx context.Context, p *plan) error {
	if len(p.groupAdds)+len(p.flows)+len(p.groupDeletes) >= bundleMinMessages && !s.noBundles.Load() {
		bundled, err := s.applyBundled(ctx, p)
		if err != nil {
			return err
		}
		if bundled {
			return nil
		}
	}
	for _, step := range [][]ofproto.Message{p.meterAdds, p.groupAdds, p.flows, p.groupDeletes, p.meterDeletes} {
		if len(step) == 0 {
			continue
		}
		if err := s.conn.Apply(ctx, step); err != nil {
			return err
		}
	}
	return nil
}

// readState reads the flows and groups the switch holds.
func (s *session) readState(ctx context.Context) (*switchState, error) {
	st := newSwitchState()
	replies, err := s.conn.Multipart(ctx, &ofproto.MultipartRequest{Body: &ofproto.FlowStatsRequest{
		TableID: ofproto.TableAll, OutPort: ofproto.PortAny, OutGroup: ofproto.GroupAny,
	}})
	if err != nil {
		return nil, err
	}
	for _, r := range replies {
		fr, ok := r.Body.(*ofproto.FlowStatsReply)
		if !ok {
			return nil, fmt.Errorf("unexpected multipart reply %T to FLOW", r.Body)
		}
		for i := range fr.Flows {
			st.addFlowStats(&fr.Flows[i])
		}
	}
	replies, err = s.conn.Multipart(ctx, &ofproto.MultipartRequest{Body: &ofproto.GroupDescRequest{}})
	if err != nil {
		return nil, err
	}
	for _, r := range replies {
		gr, ok := r.Body.(*ofproto.GroupDescReply)
		if !ok {
			return nil, fmt.Errorf("unexpected multipart reply %T to GROUP_DESC", r.Body)
		}
		for i := range gr.Groups {
			st.addGroupDesc(&gr.Groups[i])
		}
	}
	if err := s.readMeters(ctx, st); err != nil {
		return nil, err
	}
	return st, nil
}
