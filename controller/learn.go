package controller

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/lorispack/loris/ofproto"
	"github.com/lorispack/loris/policy"
	"github.com/lorispack/loris/store"
	"github.com/lorispack/loris/topology"
)

// MAC learning. A container port's frames whose source MAC is not bound to
// the port reach the controller as packet-ins, through the port's meter
// (policy.PuntMeterID). Each session has a learner: the read loop only
// copies the frame into a bounded queue (never blocking, dropping and
// counting when full; a frame of a MAC whose flows are installed it
// re-injects itself, learn_fast.go), and the learner's goroutine works
// through the queue in batches, so that a flooding container costs one
// model update per batch rather than one per frame, and never stalls the
// switch's connection or any other switch.
//
// For each frame: a MAC free in the pod is bound to the port (a learned
// binding, persisted); a MAC another member holds is refused (a conflict,
// persisted, which installs a drop flow for that port and MAC on its host
// only); the port's own MACs are simply re-injected. Once the switches
// have installed the new flows, the frame is re-injected with PACKET_OUT
// (in_port = the port, output:TABLE) so it is not lost. That wait happens
// on a second goroutine (reinjectLoop), in batch order: the learner goes
// on with the next batch meanwhile, so frames queued behind a new MAC do
// not wait for every switch of its pod before they are even looked at.
//
// Release: a PORT_STATUS DELETE for a container port releases that
// attachment's learned bindings and conflicts (the container is gone or
// moved); the static MAC stays with the attachment until it is detached.
// A switch disconnecting releases nothing: vswitchd restarts keep the
// ports, and the bindings must survive them (and controller restarts,
// since they are stored).

const (
	learnQueueLen   = 512             // frames waiting per switch
	learnBatchMax   = 256             // frames handled per model update
	reinjectMax     = 64              // frames re-injected per batch
	reinjectTimeout = 3 * time.Second // wait for the switch to install learned flows
	reinjectQueue   = 64              // batches waiting for their flows
)

type learnItem struct {
	port uint32
	data []byte
}

type learner struct {
	s     *session
	queue chan learnItem
	// parser describes newly learned frames in debug logs.
	parser *packetParser
	// reinject carries each batch's frames to reinjectLoop.
	reinject chan reinjection

	dropped atomic.Uint64 // frames lost because the queue was full
	handled atomic.Uint64 // frames taken from the queue

	// The learner goroutine's index of its host's attachments by port
	// number (attachmentsByPortNo), with what it was built from. The
	// read loop's fast path reads the three versions and learnedAt, so
	// the learner writes them under fastMu.
	fastMu             sync.Mutex
	indexedAttachments uint64 // Snapshot.AttachmentsVersion
	indexedHost        string
	indexedPorts       uint64 // session.portsGen
	byPortNo           map[uint32]topology.Attachment
	// Buffers of learnBatch, reused.
	reqBuf   []learnRequest
	reqIndex map[uint64]int // by portMAC.key
	order    []*learnRequest
	// known: (port, MAC) pairs knownSnap binds, with the attachment
	// (markKnown).
	knownSnap *topology.Snapshot
	known     pairMap[string] // the attachment's id
	// learnedAt: the bound pairs this learner has seen, with the switch
	// round that installs their flows (installedBy); forgotten on any
	// release and whenever the index above is rebuilt. Under fastMu.
	learnedAt pairMap[learnedPair]
	fastSent  atomic.Uint64 // frames re-injected by the read loop (learn_fast.go)
	// fastOut is the read loop's re-injection, sent (encoded) before
	// reinjectNow returns and reused by the next.
	fastOut ofproto.PacketOut
	// slow counts the frames queued for the learner or in its hands,
	// until re-injected or dropped: while there are any, the read loop
	// takes no fast path, so that frames keep their order.
	slow atomic.Int64

	mu       sync.Mutex
	releases []string      // port names deleted from the switch
	wake     chan struct{} // signals releases
	// reconciledCh is closed (and replaced) after every successful
	// reconciliation of the switch.
	reconciledCh chan struct{}
	// limited remembers attachments already reported at their limit, so a
	// flood yields one event, not one per frame.
	limited map[string]bool
}

func newLearner(s *session) *learner {
	return &learner{s: s, queue: make(chan learnItem, learnQueueLen), parser: newPacketParser(),
		reinject: make(chan reinjection, reinjectQueue), wake: make(chan struct{}, 1),
		reconciledCh: make(chan struct{}), limited: map[string]bool{}, reqIndex: map[uint64]int{},
		learnedAt: pairMap[learnedPair]{}}
}

// packetIn runs on the connection's read loop: copy and enqueue, never
// block. It keeps nothing of m, which the read loop reuses (ServeRaw):
// not the message, its match, nor its data.
func (l *learner) packetIn(m *ofproto.PacketIn) {
	// Only the punt flows send packets here on purpose; anything else
	// (another controller's flow, a table-miss) is not learned from.
	if policy.CookieKindOf(m.Cookie) != policy.KindUnknownSource || !policy.IsLorisCookie(m.Cookie) {
		return
	}
	port, ok := m.InPort()
	if !ok || len(m.Data) == 0 {
		return
	}
	if l.reinjectNow(port, m.Data) {
		return
	}
	item := learnItem{port: port, data: append([]byte(nil), m.Data...)}
	l.slow.Add(1)
	select {
	case l.queue <- item:
	default:
		l.slow.Add(-1)
		l.dropped.Add(1)
	}
}

// portDeleted runs on the read loop too.
func (l *learner) portDeleted(name string) {
	l.mu.Lock()
	l.releases = append(l.releases, name)
	l.mu.Unlock()
	select {
	case l.wake <- struct{}{}:
	default:
	}
}

// reconciled is called by the reconcile loop after a successful round.
func (l *learner) reconciled() {
	l.mu.Lock()
	close(l.reconciledCh)
	l.reconciledCh = make(chan struct{})
	l.mu.Unlock()
}

// waitReconciled waits until the switch has applied generation gen.
func (l *learner) waitReconciled(ctx context.Context, gen uint64) bool {
	if l.s.doneGen.Load() >= gen {
		return true
	}
	ctx, cancel := context.WithTimeout(ctx, reinjectTimeout)
	defer cancel()
	for {
		l.mu.Lock()
		ch := l.reconciledCh
		l.mu.Unlock()
		if l.s.doneGen.Load() >= gen {
			return true
		}
		select {
		case <-ch:
		case <-ctx.Done():
			return false
		case <-l.s.conn.Done():
			return false
		}
	}
}

func (l *learner) run(ctx context.Context) {
	done := make(chan struct{})
	defer func() { <-done }()
	defer close(l.reinject)
	go func() {
		defer close(done)
		l.reinjectLoop(ctx)
	}()
	batch := make([]learnItem, 0, learnBatchMax)
	for {
		batch = batch[:0]
		select {
		case <-ctx.Done():
			return
		case <-l.s.conn.Done():
			return
		case <-l.wake:
		case it := <-l.queue:
			batch = append(batch, it)
		}
	drain:
		for len(batch) < learnBatchMax {
			select {
			case it := <-l.queue:
				batch = append(batch, it)
			default:
				break drain
			}
		}
		l.handled.Add(uint64(len(batch)))
		l.doReleases()
		if len(batch) > 0 && !l.learnBatch(ctx, batch) {
			l.slow.Add(-int64(len(batch)))
		}
	}
}

func (l *learner) doReleases() {
	l.mu.Lock()
	names := l.releases
	l.releases = nil
	l.mu.Unlock()
	host := l.s.hostName()
	if host == "" || len(names) == 0 {
		return
	}
	// A released MAC learned again is installed by its new learn's round.
	l.fastMu.Lock()
	clear(l.learnedAt)
	l.fastMu.Unlock()
	for _, name := range names {
		id, err := l.s.c.releasePort(host, name)
		if err != nil {
			l.s.log.Warn("releasing learned MACs failed", "port", name, "err", err)
		}
		if id != "" {
			l.mu.Lock()
			delete(l.limited, id)
			l.mu.Unlock()
		}
	}
}

func (s *session) hostName() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.host
}

// learnRequest is one (attachment, MAC) pair to learn, with the frames
// that carried it.
type learnRequest struct {
	att    topology.Attachment
	port   uint32
	mac    topology.MAC
	frames [][]byte
	// known: the snapshot already binds mac to att (learnMACs skips the
	// model for it).
	known bool
}

// learnBatch learns from a batch of frames and hands those to re-inject
// to reinjectLoop; it reports whether it did (the batch is then
// reinjectLoop's to account for in slow).
func (l *learner) learnBatch(ctx context.Context, batch []learnItem) bool {
	s := l.s
	host := s.hostName()
	if host == "" {
		return false
	}
	snap := s.c.Snapshot()
	byPortNo := l.attachmentsByPortNo(snap, host)
	order := l.requests(batch, byPortNo)
	if len(order) == 0 {
		return false
	}
	outcomes, kicked, err := s.c.learnMACs(s, l.markKnown(snap, order))
	if err != nil {
		s.log.Warn("MAC learning failed", "err", err)
		return false
	}
	// The rounds of this switch asked for so far, and the one that
	// holds this batch's new bindings.
	asked, learnedIn := s.wantGen.Load(), uint64(0)
	for _, k := range kicked {
		if k.s == s {
			learnedIn = k.gen
		}
	}
	re := reinjection{kicked: kicked, deadline: time.Now().Add(reinjectTimeout), items: len(batch)}
	debug := s.log.Enabled(ctx, slog.LevelDebug)
	for i, r := range order {
		o := outcomes[i]
		if debug && o.New {
			l.logNewMAC(r, o)
		}
		switch o.Result {
		case topology.LearnBound, topology.LearnAlreadyBound:
			re.own = max(re.own, l.installedBy(r, o, learnedIn, asked))
			for _, data := range r.frames {
				if len(re.frames) < reinjectMax {
					re.frames = append(re.frames, reinjectFrame{r.port, data})
				}
			}
		case topology.LearnLimited:
			l.mu.Lock()
			first := !l.limited[r.att.ID]
			l.limited[r.att.ID] = true
			l.mu.Unlock()
			if first {
				s.c.events.publish(Event{Kind: EventLimit, Pod: r.att.Pod, MAC: r.mac.String(), Host: r.att.Host,
					Port: r.att.Port, AttachmentID: r.att.ID,
					Message: fmt.Sprintf("%s/%s reached its limit of %d learned MACs (%d conflicts); further new source MACs are ignored",
						r.att.Host, r.att.Container, topology.MaxLearnedPerAttachment, topology.MaxConflictsPerAttachment)})
			}
		}
	}
	if len(re.frames) == 0 {
		return false
	}
	select {
	case l.reinject <- re:
		return true
	case <-ctx.Done():
	case <-s.conn.Done():
	}
	return false
}

// installedBy returns the round of this switch after which the flows of
// r's MAC are installed, so that its frames can be re-injected: for a MAC
// just learned, the round its learn asked for (learnedIn); for one this
// learner saw bound before, the round it recorded then, whatever rounds
// other switches' learns asked since (while a pod learns, this switch is
// seldom without a round in flight); for any other bound MAC, every round
// asked so far, which is recorded for its next frames. The read loop's
// fast path (learn_fast.go) reads the same record.
func (l *learner) installedBy(r *learnRequest, o topology.LearnOutcome, learnedIn, asked uint64) uint64 {
	k := portMAC{r.port, r.mac}
	l.fastMu.Lock()
	defer l.fastMu.Unlock()
	if o.New {
		if learnedIn == 0 { // not kicked: nothing tells which round holds it
			learnedIn = asked
		}
		l.learnedAt.put(k, learnedPair{gen: learnedIn, att: r.att.ID})
		return learnedIn
	}
	if e, ok := l.learnedAt.get(k); ok {
		return e.gen
	}
	// Once every round asked so far is done, the pair's flows are in;
	// its later frames need wait for nothing more.
	l.learnedAt.put(k, learnedPair{gen: asked, att: r.att.ID})
	return asked
}

// requests groups a batch's frames by (port, source MAC) into learn
// requests, in order of first appearance, dropping frames from ports that
// are no attachment's and from MACs no container may have.
func (l *learner) requests(batch []learnItem, byPortNo map[uint32]topology.Attachment) []*learnRequest {
	// The requests live in buffers the learner reuses from batch to
	// batch: a stream of frames from bound MACs allocates nothing here.
	clear(l.reqIndex)
	l.reqBuf = l.reqBuf[:0]
	for _, it := range batch {
		a, ok := byPortNo[it.port]
		if !ok {
			continue // not a container port (any more)
		}
		mac, ok := sourceMAC(it.data)
		if !ok || mac.ValidateUnicast() != nil {
			continue
		}
		k := portMAC{it.port, mac}
		i, ok := l.reqIndex[k.key()]
		if ok && (l.reqBuf[i].port != it.port || l.reqBuf[i].mac != mac) {
			i = slices.IndexFunc(l.reqBuf, func(r learnRequest) bool { return r.port == it.port && r.mac == mac })
			ok = i >= 0
		}
		if !ok {
			i = len(l.reqBuf)
			l.reqIndex[k.key()] = i
			l.reqBuf = slices.Grow(l.reqBuf, 1)[:i+1]
			l.reqBuf[i] = learnRequest{att: a, port: it.port, mac: mac, frames: l.reqBuf[i].frames[:0]}
		}
		if r := &l.reqBuf[i]; len(r.frames) < 4 {
			r.frames = append(r.frames, it.data)
		}
	}
	order := l.order[:0]
	for i := range l.reqBuf {
		order = append(order, &l.reqBuf[i])
	}
	l.order = order
	return order
}

// logNewMAC describes the frame that taught (or was refused) a MAC, for
// debugging what a container sent.
func (l *learner) logNewMAC(r *learnRequest, o topology.LearnOutcome) {
	desc := "undecodable"
	if fi, err := l.parser.parse(r.frames[0]); err == nil {
		desc = fi.String()
	}
	l.s.log.Debug("new source MAC", "attachment", r.att.ID, "mac", r.mac.String(), "result", o.Result, "frame", desc)
}

// reinjection is one batch's frames to send back once the switches hold
// the batch's flows: own is the round of this switch that must complete,
// kicked the other switches' (a batch that learned nothing new waits
// only for the rounds already asked of its own switch).
type reinjection struct {
	frames   []reinjectFrame
	own      uint64
	kicked   []kickedSession
	deadline time.Time
	items    int // the learner's batch, for slow
}

type reinjectFrame struct {
	port uint32
	data []byte
}

// reinjectLoop re-injects the batches in order as their flows are
// installed.
func (l *learner) reinjectLoop(ctx context.Context) {
	for re := range l.reinject {
		l.reinjectBatch(ctx, re)
		l.slow.Add(-int64(re.items))
	}
}

// reinjectBatch re-injects one batch's frames once their flows are
// installed.
func (l *learner) reinjectBatch(ctx context.Context, re reinjection) {
	s := l.s
	if !s.c.waitLearnedInstalled(ctx, s, re) {
		if ctx.Err() == nil {
			s.log.Warn("learned MACs not installed in time; frames not re-injected", "frames", len(re.frames))
		}
		return
	}
	sent := 0
	for _, f := range re.frames {
		m := reinjectMessage(f.port, f.data)
		if _, err := s.conn.Send(&m); err != nil {
			break
		}
		sent++
	}
	s.log.Debug("re-injected learned frames", "frames", sent)
}

// reinjectMessage sends a punted frame back through the pipeline from
// the port it came in on.
func reinjectMessage(port uint32, data []byte) ofproto.PacketOut {
	return ofproto.PacketOut{BufferID: ofproto.BufferNone, InPort: port, Actions: reinjectActions, Data: data}
}

// reinjectActions is every re-injection's action list: read-only, shared
// (a value, so no holder of a message can change it for the others).
var reinjectActions = []ofproto.Action{ofproto.ActionOutput{Port: ofproto.PortTable}}

// attachmentsByPortNo indexes host's attachments by OpenFlow port
// number, once per set of attachments and of switch ports: while neither
// changes (a stream of frames, a pod learning MACs), batches reuse it.
func (l *learner) attachmentsByPortNo(snap *topology.Snapshot, host string) map[uint32]topology.Attachment {
	s := l.s
	s.mu.Lock()
	defer s.mu.Unlock()
	if l.byPortNo != nil && l.indexedAttachments == snap.AttachmentsVersion() && l.indexedHost == host && l.indexedPorts == s.portsGen {
		return l.byPortNo
	}
	l.fastMu.Lock()
	defer l.fastMu.Unlock()
	// An attachment or port that came or went may bring a MAC back on
	// another attachment whose flows are still to be installed: forget
	// which rounds installed what (installedBy waits for every round).
	clear(l.learnedAt)
	on := snap.AttachmentsOn(host)
	byPortNo := make(map[uint32]topology.Attachment, len(on))
	for _, a := range on {
		if no, ok := s.ports[a.Port]; ok {
			byPortNo[no] = a
		}
	}
	l.indexedAttachments, l.indexedHost, l.indexedPorts, l.byPortNo = snap.AttachmentsVersion(), host, s.portsGen, byPortNo
	return byPortNo
}

// markKnown marks the requests whose MAC the snapshot already binds to
// their attachment (its own MAC or a learned one: frames that raced the
// flows) as known, so that learnMACs answers them without the model's
// lock. While the snapshot stays the same (a stream of frames from bound
// MACs changes nothing), a (port, MAC) found bound once is not looked up
// again. It returns reqs.
func (l *learner) markKnown(snap *topology.Snapshot, reqs []*learnRequest) []*learnRequest {
	if l.knownSnap != snap {
		l.knownSnap, l.known = snap, pairMap[string]{}
	}
	for _, r := range reqs {
		k := portMAC{r.port, r.mac}
		if id, ok := l.known.get(k); ok && id == r.att.ID {
			r.known = true
			continue
		}
		if r.known = snap.Holds(r.att.ID, r.mac); r.known {
			l.known.put(k, r.att.ID)
		}
	}
	return reqs
}

type portMAC struct {
	port uint32
	mac  topology.MAC
}

// key packs the pair into a map key that hashes fast (a struct key takes
// the generic hash: 25% of the learner's CPU under a packet-in stream).
// Port numbers above 16 bits may collide; users compare the pair.
func (k portMAC) key() uint64 {
	m := k.mac
	return uint64(k.port)<<48 | uint64(m[0])<<40 | uint64(m[1])<<32 | uint64(m[2])<<24 |
		uint64(m[3])<<16 | uint64(m[4])<<8 | uint64(m[5])
}

// pairMap maps (port, MAC) pairs to values under their packed key,
// checking the pair on every hit: two pairs whose keys collide replace
// each other, and neither is ever taken for the other.
type pairMap[V any] map[uint64]pairEntry[V]

type pairEntry[V any] struct {
	portMAC
	v V
}

func (m pairMap[V]) get(k portMAC) (V, bool) {
	e, ok := m[k.key()]
	if !ok || e.portMAC != k {
		var zero V
		return zero, false
	}
	return e.v, true
}

func (m pairMap[V]) put(k portMAC, v V) { m[k.key()] = pairEntry[V]{k, v} }

// waitLearnedInstalled waits until the switch of s has applied the
// batch's model change (without that the re-injected frame would be
// punted again), and then, within the same bound, until the other
// switches it concerns have too: a reply to the re-injected frame must
// find the learned MAC on its way back, and no switch still answering ARP
// for the sender with its old MAC.
func (c *Controller) waitLearnedInstalled(ctx context.Context, s *session, re reinjection) bool {
	ctx, cancel := context.WithDeadline(ctx, re.deadline)
	defer cancel()
	if !s.learn.waitReconciled(ctx, re.own) {
		return false
	}
	for _, k := range re.kicked {
		if k.s != s && k.s.learn != nil {
			k.s.learn.waitReconciled(ctx, k.gen)
		}
	}
	return true
}

// learnMACs applies a batch of learn requests in one model update and
// reports the outcome of each, with the sessions it woke. Only changes
// are persisted, after the switches were told (deferred.go): a batch
// that changes nothing neither writes the store nor wakes the switches.
func (c *Controller) learnMACs(origin *session, reqs []*learnRequest) ([]topology.LearnOutcome, []kickedSession, error) {
	outcomes := make([]topology.LearnOutcome, len(reqs))
	if !slices.ContainsFunc(reqs, func(r *learnRequest) bool { return !r.known }) {
		for i := range outcomes {
			outcomes[i] = topology.LearnOutcome{Result: topology.LearnAlreadyBound}
		}
		return outcomes, nil, nil // nothing for the model: no lock
	}
	kicked, err := c.updateDeferred(origin, func(m *topology.Model, ch *change) (func(store.Tx) error, error) {
		var changed []topology.LearnOutcome
		for i, r := range reqs {
			if r.known {
				outcomes[i] = topology.LearnOutcome{Result: topology.LearnAlreadyBound}
				continue
			}
			o, err := m.Learn(r.att.ID, r.mac)
			if errors.Is(err, topology.ErrNotFound) {
				continue // detached meanwhile
			}
			if err != nil {
				return nil, err
			}
			outcomes[i] = o
			if o.New {
				changed = append(changed, o)
				ch.member(r.att.Pod, r.att.ID, r.mac)
			}
		}
		if len(changed) == 0 {
			return nil, nil
		}
		return func(tx store.Tx) error {
			for _, o := range changed {
				var err error
				if o.Result == topology.LearnBound {
					err = tx.PutLearned(o.Binding)
				} else {
					err = tx.PutConflict(o.Conflict)
				}
				if err != nil {
					return err
				}
			}
			return nil
		}, nil
	})
	if err != nil {
		return nil, nil, err
	}
	for _, o := range outcomes {
		if o.New {
			c.scheduleFlush() // store the batch while the switches install it
			break
		}
	}
	learned := false
	for i, o := range outcomes {
		if !o.New {
			continue
		}
		r := reqs[i]
		switch o.Result {
		case topology.LearnBound:
			learned = true
			c.events.publish(Event{Kind: EventLearn, Pod: r.att.Pod, MAC: r.mac.String(), Host: r.att.Host,
				Port: r.att.Port, AttachmentID: r.att.ID,
				Message: fmt.Sprintf("learned %s on %s/%s (port %s) in pod %s", r.mac, r.att.Host, r.att.Container, r.att.Port, r.att.Pod)})
		case topology.LearnRefused:
			c.metrics.MACConflict(r.att.Pod)
			c.events.publish(Event{Kind: EventConflict, Pod: r.att.Pod, MAC: r.mac.String(), Host: r.att.Host,
				Port: r.att.Port, AttachmentID: r.att.ID, HolderID: o.Binding.AttachmentID, HolderHost: o.Binding.Host,
				Message: fmt.Sprintf("refused %s on %s/%s (port %s): pod %s already has it on %s port %s",
					r.mac, r.att.Host, r.att.Container, r.att.Port, r.att.Pod, o.Binding.Host, o.Binding.Port)})
		}
	}
	if learned {
		c.refreshLearnedGauges()
	}
	return outcomes, kicked, nil
}

// releasePort releases what the attachment on host's port had learned.
// It returns the attachment's id ("" if the port is no attachment's).
func (c *Controller) releasePort(host, port string) (string, error) {
	var id string
	var released []topology.Binding
	var cleared []topology.Conflict
	err := c.update(func(m *topology.Model, ch *change) (func(store.Tx) error, error) {
		if a, ok := m.AttachmentOnPort(host, port); ok {
			id = a.ID
		}
		if id == "" {
			return nil, nil
		}
		released, cleared = m.ReleaseLearned(id)
		if len(released)+len(cleared) == 0 {
			return nil, nil
		}
		for _, b := range released {
			ch.memberAll(b.Pod, b.AttachmentID)
		}
		for _, cf := range cleared {
			ch.memberAll(cf.Pod, cf.AttachmentID)
		}
		return func(tx store.Tx) error {
			for _, b := range released {
				if err := tx.DeleteLearned(b.AttachmentID, b.MAC); err != nil {
					return err
				}
			}
			for _, cf := range cleared {
				if err := tx.DeleteConflict(cf.AttachmentID, cf.MAC); err != nil {
					return err
				}
			}
			return nil
		}, nil
	})
	if err != nil {
		return id, err
	}
	for _, b := range released {
		c.events.publish(Event{Kind: EventRelease, Pod: b.Pod, MAC: b.MAC.String(), Host: b.Host, Port: b.Port,
			AttachmentID: b.AttachmentID,
			Message:      fmt.Sprintf("released %s in pod %s: port %s left %s", b.MAC, b.Pod, b.Port, b.Host)})
	}
	if len(released) > 0 {
		c.refreshLearnedGauges()
	}
	return id, nil
}

// refreshLearnedGauges sets every pod's learned-MAC gauge from the model.
func (c *Controller) refreshLearnedGauges() {
	snap := c.Snapshot()
	for _, p := range snap.Pods {
		c.metrics.SetLearnedMACs(p.Name, snap.LearnedCount(p.Name))
	}
}

// noteAttachRefused reports an attach refused because its MAC is taken in
// the pod, as a conflict event.
func (c *Controller) noteAttachRefused(a topology.Attachment, err error) {
	if !errors.Is(err, topology.ErrConflict) || a.MAC.IsZero() {
		return
	}
	pod := a.Pod
	if pod == "" {
		pod = topology.DefaultPod
	}
	c.mu.Lock()
	holder, held := c.model.BindingOf(pod, a.MAC)
	c.mu.Unlock()
	if !held {
		return
	}
	c.metrics.MACConflict(pod)
	c.events.publish(Event{Kind: EventConflict, Pod: pod, MAC: a.MAC.String(), Host: a.Host,
		HolderID: holder.AttachmentID, HolderHost: holder.Host,
		Message: fmt.Sprintf("refused attach of %s/%s/%s with %s: pod %s already has it on %s port %s",
			a.Host, a.Container, a.IfName, a.MAC, pod, holder.Host, holder.Port)})
}
