package controller

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"runtime"
	"sync"
	"sync/atomic"
	"time"

	"github.com/lorispack/loris/store"
	"github.com/lorispack/loris/topology"
	"github.com/prometheus/client_golang/prometheus"
)

// Config holds what a Controller needs; zero values get sensible defaults.
type Config struct {
	Store        store.Store
	Logger       *slog.Logger
	Version      string
	EchoInterval time.Duration // keepalive period towards switches (default 5s)
	DeadTimeout  time.Duration // a silent switch is dropped after this (default 15s)
	// ReconcileTimeout bounds one reconciliation round with a switch.
	ReconcileTimeout time.Duration
	// Registry receives the controller's metrics; nil creates one (see
	// Controller.Metrics().Registry()).
	Registry *prometheus.Registry
	// StatsInterval is how often port and flow counters are polled from
	// each switch (default 15s; negative disables polling).
	StatsInterval time.Duration
	// SwitchMsgRate and SwitchMsgBurst bound the asynchronous messages a
	// switch may send (token bucket); a switch over it is disconnected.
	SwitchMsgRate, SwitchMsgBurst int
	// PeerLearnDelay is how long the other hosts of a pod may wait for
	// the flows of a MAC learned on one host, so that a burst of learns
	// costs each of them one round rather than one per MAC; the learning
	// host is programmed at once. A new MAC's first frame is re-injected
	// once every host has them, so it waits this much longer. 0 takes
	// the default (defaultPeerLearnDelay); negative: no wait.
	PeerLearnDelay time.Duration
}

// defaultPeerLearnDelay: in a learn storm with tunnels (16 switches each
// learning one MAC after another, the benchmark's latency mode) the
// pod's hosts answer 16% more learns in the same time than with no wait
// (2 ms: 9%), for at most 5 ms more before a new MAC's first frame goes on.
const defaultPeerLearnDelay = 5 * time.Millisecond

// Controller is the control plane: model, persistence and switch sessions.
type Controller struct {
	cfg     Config
	log     *slog.Logger
	started time.Time

	mu sync.Mutex // guards model, snap, sessions and deferred
	// persistMu orders store transactions: it is taken with mu held, so
	// transactions commit in the order their changes were made, and a
	// deferred flush (deferred.go) may finish its commit without mu.
	persistMu sync.Mutex
	// deferred holds store writes of learned state made in the model but
	// not yet committed (deferred.go).
	deferred  []func(store.Tx) error
	flushing  atomic.Bool // a flusher goroutine runs (scheduleFlush)
	lastFlush time.Time   // when the last flusher's commit started
	model     *topology.Model
	snap      *topology.Snapshot
	// current is snap for readers that take no lock (Snapshot): the read
	// loop's fast path asks for it on every punted frame.
	current atomic.Pointer[topology.Snapshot]
	// sessions holds the live switch sessions by datapath id. A second
	// connection from the same datapath replaces the first.
	sessions map[topology.DatapathID]*session

	wg sync.WaitGroup
	// fullRounds bounds how many sessions compute a whole desired state
	// at once (fullRoundSlot): each needs tens of MiB while it runs.
	fullRounds chan struct{}

	metrics         *Metrics
	events          *eventLog   // recent events for GET /v1/events (events.go)
	openflowServing atomic.Bool // readiness: ServeOpenFlow is accepting
}

// New loads the model from the store and returns a controller ready to
// serve switches and the API.
func New(cfg Config) (*Controller, error) {
	if cfg.Store == nil {
		return nil, errors.New("controller: no store")
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if cfg.EchoInterval == 0 {
		cfg.EchoInterval = 5 * time.Second
	}
	if cfg.DeadTimeout == 0 {
		cfg.DeadTimeout = 15 * time.Second
	}
	if cfg.SwitchMsgRate <= 0 {
		cfg.SwitchMsgRate = defaultSwitchMsgRate
	}
	if cfg.SwitchMsgBurst <= 0 {
		cfg.SwitchMsgBurst = defaultSwitchMsgBurst
	}
	if cfg.PeerLearnDelay == 0 {
		cfg.PeerLearnDelay = defaultPeerLearnDelay
	}
	if cfg.ReconcileTimeout == 0 {
		cfg.ReconcileTimeout = 30 * time.Second
	}
	metrics := setupMetrics(&cfg)
	st, err := cfg.Store.Load()
	if err != nil {
		return nil, fmt.Errorf("controller: load state: %w", err)
	}
	m, err := topology.FromState(st)
	if err != nil {
		return nil, fmt.Errorf("controller: stored state is invalid: %w", err)
	}
	c := &Controller{
		cfg:      cfg,
		log:      cfg.Logger,
		started:  time.Now(),
		model:    m,
		snap:     m.Snapshot(),
		sessions: make(map[topology.DatapathID]*session),
		metrics:  metrics,
		events:   newEventLog(eventRingSize),

		fullRounds: make(chan struct{}, runtime.GOMAXPROCS(0)),
	}
	c.current.Store(c.snap)
	metrics.observe(c)
	c.log.Info("state loaded", "hosts", len(st.Hosts), "pods", len(st.Pods), "attachments", len(st.Attachments))
	return c, nil
}

// Snapshot returns the current immutable view of the model.
func (c *Controller) Snapshot() *topology.Snapshot { return c.current.Load() }

// update runs one model change: mutate changes the model, records in ch
// what it touched and returns the store writes in tx order. If persisting
// fails the model is reloaded from the store (the failed transaction wrote
// nothing), so a failed call changes nothing. On success only the sessions
// of the hosts the change concerns are woken (markAffected). A mutate that
// returns no persist function and no error changed nothing: no snapshot is
// taken and no session is woken (MAC learning relies on this to make
// repeated packet-ins cheap).
//
// The writes of learned state still waiting to be stored (deferred.go)
// go first in the same transaction, so the store sees every change in
// the order the model made them.
func (c *Controller) update(mutate func(m *topology.Model, ch *change) (persist func(store.Tx) error, err error)) error {
	c.mu.Lock()
	ch := &change{}
	persist, err := mutate(c.model, ch)
	if err != nil {
		c.mu.Unlock()
		return err
	}
	if persist == nil {
		c.mu.Unlock()
		return nil
	}
	writes := append(c.takeDeferred(), persist)
	c.persistMu.Lock()
	err = c.cfg.Store.Update(inOrder(writes))
	c.persistMu.Unlock()
	if err != nil {
		var kick []*session
		if len(writes) > 1 {
			// The reload also drops learned state the switches may
			// already hold: every switch goes back to the stored state.
			kick = c.reloadAndMarkAll()
		} else if rerr := c.reloadModel(); rerr != nil {
			err = fmt.Errorf("%w (and reloading the model failed: %v)", err, rerr)
		}
		c.mu.Unlock()
		kickAll(kick)
		return fmt.Errorf("persist: %w", err)
	}
	kick := c.publish(ch)
	c.mu.Unlock()
	kickAll(kick)
	return nil
}

// publish makes the changed model the current snapshot and marks the
// sessions the change concerns, to be kicked once c.mu is released.
// Called with c.mu held.
func (c *Controller) publish(ch *change) []*session {
	before := c.snap
	c.snap = c.model.Snapshot()
	c.metrics.modelChanged(c.snap)
	kick := c.markAffected(before, c.snap, ch)
	// Readers without the lock see the change once its work is marked,
	// as readers with it did.
	c.current.Store(c.snap)
	return kick
}

// reloadModel replaces the model by the stored state after a failed write
// left the model ahead of the store. Called with c.mu held.
func (c *Controller) reloadModel() error {
	st, err := c.cfg.Store.Load()
	if err != nil {
		return err
	}
	m, err := topology.FromState(st)
	if err != nil {
		return err
	}
	c.model = m
	return nil
}

// AddHost registers a host (idempotent).
func (c *Controller) AddHost(h topology.Host) (topology.Host, bool, error) {
	var out topology.Host
	var created bool
	err := c.update(func(m *topology.Model, ch *change) (func(store.Tx) error, error) {
		prev, existed := m.Host(h.Name)
		var err error
		out, created, err = m.AddHost(h)
		if err != nil {
			return nil, err
		}
		// Registering a host again unchanged (every `lorisctl host init`)
		// leaves every switch's flows as they are.
		ch.hosts = !existed || prev != out
		return func(tx store.Tx) error { return tx.PutHost(out) }, nil
	})
	return out, created, err
}

// RemoveHost forgets a host; with force also its attachments.
func (c *Controller) RemoveHost(name string, force bool) error {
	return c.update(func(m *topology.Model, ch *change) (func(store.Tx) error, error) {
		removed, err := m.RemoveHost(name, force)
		if err != nil {
			return nil, err
		}
		ch.hosts = true
		return func(tx store.Tx) error {
			for _, a := range removed {
				if err := tx.DeleteAttachment(a.ID); err != nil {
					return err
				}
			}
			return tx.DeleteHost(name)
		}, nil
	})
}

// AddPod creates a pod; vni 0 picks a free one.
func (c *Controller) AddPod(name string, vni uint32) (topology.Pod, error) {
	var out topology.Pod
	err := c.update(func(m *topology.Model, ch *change) (func(store.Tx) error, error) {
		var err error
		out, err = m.AddPod(name, vni)
		if err != nil {
			return nil, err
		}
		ch.pod(out.Name)
		return func(tx store.Tx) error { return tx.PutPod(out) }, nil
	})
	return out, err
}

// DeletePod removes a pod; with force also its members.
func (c *Controller) DeletePod(name string, force bool) error {
	return c.update(func(m *topology.Model, ch *change) (func(store.Tx) error, error) {
		removed, err := m.DeletePod(name, force)
		if err != nil {
			return nil, err
		}
		ch.pod(name)
		return func(tx store.Tx) error {
			for _, a := range removed {
				if err := tx.DeleteAttachment(a.ID); err != nil {
					return err
				}
			}
			return tx.DeletePod(name)
		}, nil
	})
}

// Attach adds a container attachment.
func (c *Controller) Attach(a topology.Attachment) (topology.Attachment, error) {
	var out topology.Attachment
	err := c.update(func(m *topology.Model, ch *change) (func(store.Tx) error, error) {
		var err error
		out, err = m.Attach(a)
		if err != nil {
			return nil, err
		}
		ch.pod(out.Pod)
		return func(tx store.Tx) error { return tx.PutAttachment(out) }, nil
	})
	if err != nil {
		c.noteAttachRefused(a, err)
	}
	return out, err
}

// Detach removes an attachment by id.
func (c *Controller) Detach(id string) (topology.Attachment, error) {
	var out topology.Attachment
	err := c.update(func(m *topology.Model, ch *change) (func(store.Tx) error, error) {
		var err error
		out, err = m.Detach(id)
		if err != nil {
			return nil, err
		}
		ch.pod(out.Pod)
		return func(tx store.Tx) error { return tx.DeleteAttachment(id) }, nil
	})
	if err == nil {
		c.refreshLearnedGauges() // its learned MACs left with it
	}
	return out, err
}

// ServeOpenFlow accepts switch connections until ctx ends or l fails.
func (c *Controller) ServeOpenFlow(ctx context.Context, l net.Listener) error {
	go func() {
		<-ctx.Done()
		l.Close()
	}()
	c.openflowServing.Store(true)
	defer c.openflowServing.Store(false)
	for {
		nc, err := l.Accept()
		if err != nil {
			if ctx.Err() != nil {
				return nil
			}
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() {
				continue
			}
			return err
		}
		c.wg.Add(1)
		go func() {
			defer c.wg.Done()
			c.runSession(ctx, nc)
		}()
	}
}

// Wait blocks until every switch session has ended.
func (c *Controller) Wait() { c.wg.Wait() }

// hostByDPID finds the registered host of a datapath.
func hostByDPID(snap *topology.Snapshot, dpid topology.DatapathID) (topology.Host, bool) {
	return snap.HostByDatapathID(dpid)
}
