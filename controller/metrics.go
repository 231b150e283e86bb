package controller

import (
	"errors"
	"runtime"
	"strconv"
	"sync"
	"time"

	"github.com/lorispack/loris/ofproto"
	"github.com/lorispack/loris/topology"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
)

// Metrics holds the controller's event counters and histograms. Gauges that
// mirror state (switches, pods, flows, polled switch counters) are not kept
// here: stateCollector reads them from the controller at scrape time, so
// there is one source of truth.
//
// Every metric is registered on the registry given to newMetrics; nothing
// is global, so tests can run several controllers side by side.
//
// The MAC learning metrics (issue 4) are defined here so that their names
// are fixed in one place; the learning code calls MACConflict and
// SetLearnedMACs.
type Metrics struct {
	reg *prometheus.Registry

	switchConnects    *prometheus.CounterVec // host
	switchDisconnects *prometheus.CounterVec // host
	ofMessagesIn      *prometheus.CounterVec // type
	ofMessagesOut     *prometheus.CounterVec // type
	packetIns         *prometheus.CounterVec // host, reason
	flowMods          *prometheus.CounterVec // host
	groupMods         *prometheus.CounterVec // host
	ofErrors          *prometheus.CounterVec // host, type, code

	reconciles        *prometheus.CounterVec   // host
	reconcileFailures *prometheus.CounterVec   // host
	reconcileDuration *prometheus.HistogramVec // host
	flowsAdded        *prometheus.CounterVec   // host
	flowsRemoved      *prometheus.CounterVec   // host

	statsPolls      *prometheus.CounterVec // host, kind
	statsPollErrors *prometheus.CounterVec // host, kind

	apiRequests *prometheus.CounterVec   // route, method, code
	apiDuration *prometheus.HistogramVec // route, method

	storeDuration *prometheus.HistogramVec // op
	storeErrors   *prometheus.CounterVec   // op

	macConflicts *prometheus.CounterVec // pod
	learnedMACs  *prometheus.GaugeVec   // pod

	podsMu sync.Mutex
	pods   map[string]bool // pods whose series exist
}

// Metric names other code and the examples refer to.
const (
	MetricSwitchesConnected      = "loris_switches_connected"
	MetricPacketIns              = "loris_openflow_packet_ins_total"
	MetricFlowMods               = "loris_openflow_flow_mods_total"
	MetricMACConflicts           = "loris_mac_conflicts_total"
	MetricLearnedMACs            = "loris_pod_learned_macs"
	MetricPortSecurityDrops      = "loris_port_security_dropped_packets_total"
	MetricPodAttachments         = "loris_pod_attachments"
	MetricPodPackets             = "loris_pod_packets_total"
	MetricReconcileFailures      = "loris_reconciliation_failures_total"
	MetricOpenFlowErrors         = "loris_openflow_errors_total"
	MetricBuildInfo              = "loris_build_info"
	MetricAPIRequests            = "loris_api_requests_total"
	MetricStoreOperationDuration = "loris_store_operation_duration_seconds"
)

// newMetrics creates the event metrics and registers them, the state
// collector's descriptions, the build info and the Go runtime and process
// collectors on reg.
func newMetrics(reg *prometheus.Registry, version string) *Metrics {
	f := factory{reg: reg}
	m := &Metrics{
		reg: reg,
		switchConnects: f.counter("loris_switch_connects_total",
			"Switch connections that completed the handshake, by host (the datapath id while unregistered).", "host"),
		switchDisconnects: f.counter("loris_switch_disconnects_total",
			"Switch connections that ended after the handshake, by host.", "host"),
		ofMessagesIn: f.counter("loris_openflow_messages_received_total",
			"OpenFlow messages received from switches, by message type.", "type"),
		ofMessagesOut: f.counter("loris_openflow_messages_sent_total",
			"OpenFlow messages sent to switches, by message type.", "type"),
		packetIns: f.counter(MetricPacketIns,
			"PACKET_IN messages received, by host and reason (no_match, action, invalid_ttl).", "host", "reason"),
		flowMods: f.counter(MetricFlowMods,
			"FLOW_MOD messages sent by reconciliation, by host.", "host"),
		groupMods: f.counter("loris_openflow_group_mods_total",
			"GROUP_MOD messages sent by reconciliation, by host.", "host"),
		ofErrors: f.counter(MetricOpenFlowErrors,
			"OpenFlow ERROR messages returned by switches, by host, error type and code.", "host", "type", "code"),
		reconciles: f.counter("loris_reconciliations_total",
			"Reconciliation rounds run, successful or not, by host.", "host"),
		reconcileFailures: f.counter(MetricReconcileFailures,
			"Reconciliation rounds that failed, by host.", "host"),
		reconcileDuration: f.histogram("loris_reconciliation_duration_seconds",
			"Time one reconciliation round took, from compile to the last barrier reply.",
			prometheus.ExponentialBuckets(0.0005, 4, 10), "host"),
		flowsAdded: f.counter("loris_reconciliation_flows_added_total",
			"Flows added or replaced on switches by reconciliation, by host.", "host"),
		flowsRemoved: f.counter("loris_reconciliation_flows_removed_total",
			"Flows deleted from switches by reconciliation, by host.", "host"),
		statsPolls: f.counter("loris_stats_polls_total",
			"Statistics polls sent to switches, by host and kind (port, flow).", "host", "kind"),
		statsPollErrors: f.counter("loris_stats_poll_errors_total",
			"Statistics polls that failed, by host and kind (port, flow).", "host", "kind"),
		apiRequests: f.counter(MetricAPIRequests,
			"HTTP API requests served, by route pattern, method and status code.", "route", "method", "code"),
		apiDuration: f.histogram("loris_api_request_duration_seconds",
			"HTTP API request latency, by route pattern and method.",
			prometheus.ExponentialBuckets(0.0001, 4, 10), "route", "method"),
		storeDuration: f.histogram(MetricStoreOperationDuration,
			"Latency of state store operations, by operation (load, update).",
			prometheus.ExponentialBuckets(0.0001, 4, 10), "op"),
		storeErrors: f.counter("loris_store_operation_errors_total",
			"State store operations that failed, by operation.", "op"),
		macConflicts: f.counter(MetricMACConflicts,
			"MAC addresses refused because another member of the same pod holds them, by pod.", "pod"),
		learnedMACs: f.gauge(MetricLearnedMACs,
			"MAC addresses learned from packet-ins and currently bound, by pod.", "pod"),
	}
	build := prometheus.NewGaugeVec(prometheus.GaugeOpts{
		Name: MetricBuildInfo,
		Help: "Always 1; the labels say which controller build is running.",
	}, []string{"version", "goversion"})
	build.WithLabelValues(version, runtime.Version()).Set(1)
	reg.MustRegister(build,
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return m
}

// factory registers metrics as it makes them.
type factory struct{ reg *prometheus.Registry }

func (f factory) counter(name, help string, labels ...string) *prometheus.CounterVec {
	v := prometheus.NewCounterVec(prometheus.CounterOpts{Name: name, Help: help}, labels)
	f.reg.MustRegister(v)
	return v
}

func (f factory) gauge(name, help string, labels ...string) *prometheus.GaugeVec {
	v := prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: name, Help: help}, labels)
	f.reg.MustRegister(v)
	return v
}

func (f factory) histogram(name, help string, buckets []float64, labels ...string) *prometheus.HistogramVec {
	v := prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: name, Help: help, Buckets: buckets}, labels)
	f.reg.MustRegister(v)
	return v
}

// Registry is where the controller's metrics live (serve it with
// promhttp.HandlerFor).
func (m *Metrics) Registry() *prometheus.Registry { return m.reg }

// MACConflict counts a MAC refused in pod because another member holds it.
func (m *Metrics) MACConflict(pod string) { m.macConflicts.WithLabelValues(pod).Inc() }

// SetLearnedMACs records how many learned MACs pod currently has.
func (m *Metrics) SetLearnedMACs(pod string, n int) {
	m.learnedMACs.WithLabelValues(pod).Set(float64(n))
}

// modelChanged creates the per-pod event series at zero for new pods and
// drops those of deleted pods. Starting a counter at zero matters: a series
// that first appears with value 1 is invisible to increase() and rate(),
// so the first MAC conflict of a pod would never alert.
func (m *Metrics) modelChanged(snap *topology.Snapshot) {
	m.podsMu.Lock()
	defer m.podsMu.Unlock()
	if m.pods == nil {
		m.pods = map[string]bool{}
	}
	current := make(map[string]bool, len(snap.Pods))
	for _, p := range snap.Pods {
		current[p.Name] = true
		if !m.pods[p.Name] {
			m.macConflicts.WithLabelValues(p.Name)
			m.learnedMACs.WithLabelValues(p.Name)
		}
	}
	for pod := range m.pods {
		if !current[pod] {
			m.macConflicts.DeleteLabelValues(pod)
			m.learnedMACs.DeleteLabelValues(pod)
		}
	}
	m.pods = current
}

// packetInReasons names ofp_packet_in_reason values for labels.
var packetInReasons = [...]string{"no_match", "action", "invalid_ttl"}

func packetInReason(r uint8) string {
	if int(r) < len(packetInReasons) {
		return packetInReasons[r]
	}
	return "reason_" + strconv.Itoa(int(r))
}

// asyncMessage counts what a switch sends on its own: packet-ins and errors
// that no request waited for. pin is the calling session's packet-in
// counter cache; the read loop is its only user.
func (m *Metrics) asyncMessage(pin *packetInCounter, host string, msg ofproto.Message) {
	switch msg := msg.(type) {
	case *ofproto.PacketIn:
		if pin.c == nil || pin.host != host || pin.reason != msg.Reason {
			*pin = packetInCounter{host: host, reason: msg.Reason,
				c: m.packetIns.WithLabelValues(host, packetInReason(msg.Reason))}
		}
		pin.c.Inc()
	case *ofproto.ErrorMsg:
		m.switchError(host, msg)
	}
}

// packetInCounter is the packet-in counter of one (host, reason), kept by
// a session: looking the series up by its labels for every packet-in cost
// 4% of the CPU under a packet-in stream. Series are never deleted, so a
// kept counter stays the registered one.
type packetInCounter struct {
	host   string
	reason uint8
	c      prometheus.Counter
}

func (m *Metrics) switchError(host string, e *ofproto.ErrorMsg) {
	m.ofErrors.WithLabelValues(host, e.ErrType.String(), ofproto.ErrorCodeName(e.ErrType, e.Code)).Inc()
}

// planSent counts the modification messages of one reconciliation plan as
// it goes to the switch.
func (m *Metrics) planSent(host string, p *plan) {
	if n := len(p.flows); n > 0 {
		m.flowMods.WithLabelValues(host).Add(float64(n))
	}
	if n := len(p.groupAdds) + len(p.groupDeletes); n > 0 {
		m.groupMods.WithLabelValues(host).Add(float64(n))
	}
}

// planApplied counts the flows a successful reconciliation round changed.
// A failed round counts nothing here: it is retried from a fresh read of
// the switch.
func (m *Metrics) planApplied(host string, p *plan) {
	if p.flowAdds > 0 {
		m.flowsAdded.WithLabelValues(host).Add(float64(p.flowAdds))
	}
	if p.flowDeletes > 0 {
		m.flowsRemoved.WithLabelValues(host).Add(float64(p.flowDeletes))
	}
}

// reconciled records one reconciliation round and, for a rejected batch,
// the switch's errors. A round cut short by the connection closing is not
// a failure of reconciliation.
func (m *Metrics) reconciled(host string, took time.Duration, err error) {
	if host == "" {
		host = unregisteredHost
	}
	m.reconciles.WithLabelValues(host).Inc()
	m.reconcileDuration.WithLabelValues(host).Observe(took.Seconds())
	if err == nil || errors.Is(err, ofproto.ErrClosed) {
		return
	}
	m.reconcileFailures.WithLabelValues(host).Inc()
	var be *ofproto.BatchError
	if errors.As(err, &be) {
		for _, f := range be.Failures {
			var em *ofproto.ErrorMsg
			if errors.As(f.Err, &em) {
				m.switchError(host, em)
			}
		}
	}
}

// unregisteredHost labels switches whose datapath no host claims.
const unregisteredHost = "unregistered"

// hostLabel is the host of s for metric labels.
func (s *session) hostLabel() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.host == "" {
		return unregisteredHost
	}
	return s.host
}

// switchConnected counts a completed switch handshake. The host is looked
// up now, as the session learns it only in its first reconciliation.
func (m *Metrics) switchConnected(s *session) {
	host := sessionHost(s)
	m.switchConnects.WithLabelValues(host).Inc()
	// The host's event series start at zero (see modelChanged for why).
	m.switchDisconnects.WithLabelValues(host)
	for _, reason := range packetInReasons {
		m.packetIns.WithLabelValues(host, reason)
	}
	for _, v := range []*prometheus.CounterVec{m.flowMods, m.groupMods, m.reconciles, m.reconcileFailures,
		m.flowsAdded, m.flowsRemoved} {
		v.WithLabelValues(host)
	}
}

func (m *Metrics) switchDisconnected(s *session) {
	m.switchDisconnects.WithLabelValues(sessionHost(s)).Inc()
}

func sessionHost(s *session) string {
	if h, ok := hostByDPID(s.c.Snapshot(), s.dpid); ok {
		return h.Name
	}
	return unregisteredHost
}
