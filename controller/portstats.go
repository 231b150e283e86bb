package controller

import (
	"context"
	"fmt"
	"strconv"
	"sync"
	"time"

	"github.com/lorispack/loris/ofproto"
	"github.com/lorispack/loris/policy"
	"github.com/lorispack/loris/topology"
	"github.com/prometheus/client_golang/prometheus"
)

// defaultStatsInterval is how often switches are polled for port and flow
// counters when Config.StatsInterval is zero.
const defaultStatsInterval = 15 * time.Second

// polledStats is the latest port and flow counters read from one switch.
// The values are the switch's own cumulative counters, exported as they
// are: Prometheus's rate() handles the reset when a switch restarts.
type polledStats struct {
	mu    sync.Mutex
	ports []ofproto.PortStats
	flows []flowCounters
}

// flowCounters is what the metrics need of one loris flow.
type flowCounters struct {
	cookie         uint64
	table          uint8
	drop           bool // no instructions: matching packets are dropped
	packets, bytes uint64
}

func (p *polledStats) setPorts(ports []ofproto.PortStats) {
	p.mu.Lock()
	p.ports = ports
	p.mu.Unlock()
}

func (p *polledStats) setFlows(flows []flowCounters) {
	p.mu.Lock()
	p.flows = flows
	p.mu.Unlock()
}

func (p *polledStats) read() ([]ofproto.PortStats, []flowCounters) {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.ports, p.flows
}

// pollStats reads the switch's port and flow counters every interval until
// the connection ends. A failed poll is counted and logged at debug level;
// the previous values stay exported until the next success.
func (s *session) pollStats(ctx context.Context, interval time.Duration) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		s.pollOnce(ctx, min(interval, 10*time.Second))
		select {
		case <-ctx.Done():
			return
		case <-s.conn.Done():
			return
		case <-t.C:
		}
	}
}

func (s *session) pollOnce(ctx context.Context, timeout time.Duration) {
	s.mu.Lock()
	host := s.host
	s.mu.Unlock()
	if host == "" {
		host = unregisteredHost
	}
	m := s.c.metrics
	pctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()

	m.statsPolls.WithLabelValues(host, "port").Inc()
	if ports, err := s.readPortStats(pctx); err != nil {
		m.statsPollErrors.WithLabelValues(host, "port").Inc()
		s.log.Debug("port stats poll failed", "err", err)
	} else {
		s.polled.setPorts(ports)
	}
	m.statsPolls.WithLabelValues(host, "flow").Inc()
	if flows, err := s.readFlowCounters(pctx); err != nil {
		m.statsPollErrors.WithLabelValues(host, "flow").Inc()
		s.log.Debug("flow stats poll failed", "err", err)
	} else {
		s.polled.setFlows(flows)
	}
}

func (s *session) readPortStats(ctx context.Context) ([]ofproto.PortStats, error) {
	replies, err := s.conn.Multipart(ctx, &ofproto.MultipartRequest{Body: &ofproto.PortStatsRequest{PortNo: ofproto.PortAny}})
	if err != nil {
		return nil, err
	}
	var out []ofproto.PortStats
	for _, r := range replies {
		ps, ok := r.Body.(*ofproto.PortStatsReply)
		if !ok {
			return nil, fmt.Errorf("unexpected multipart reply %T to PORT_STATS", r.Body)
		}
		out = append(out, ps.Ports...)
	}
	return out, nil
}

// readFlowCounters reads the counters of the flows loris owns (by cookie
// magic), leaving any other flow on the bridge out.
func (s *session) readFlowCounters(ctx context.Context) ([]flowCounters, error) {
	replies, err := s.conn.Multipart(ctx, &ofproto.MultipartRequest{Body: &ofproto.FlowStatsRequest{
		TableID: ofproto.TableAll, OutPort: ofproto.PortAny, OutGroup: ofproto.GroupAny,
		Cookie: policy.CookieMagic, CookieMask: policy.CookieMask,
	}})
	if err != nil {
		return nil, err
	}
	var out []flowCounters
	for _, r := range replies {
		fr, ok := r.Body.(*ofproto.FlowStatsReply)
		if !ok {
			return nil, fmt.Errorf("unexpected multipart reply %T to FLOW", r.Body)
		}
		for _, f := range fr.Flows {
			out = append(out, flowCounters{
				cookie: f.Cookie, table: f.TableID, drop: len(f.Instructions) == 0,
				packets: f.PacketCount, bytes: f.ByteCount,
			})
		}
	}
	return out, nil
}

var (
	portLabels = []string{"host", "port", "pod", "container"}

	descPortRxPackets = prometheus.NewDesc("loris_port_receive_packets_total",
		"Packets the switch received on the port (polled PORT_STATS).", portLabels, nil)
	descPortTxPackets = prometheus.NewDesc("loris_port_transmit_packets_total",
		"Packets the switch sent out of the port (polled PORT_STATS).", portLabels, nil)
	descPortRxBytes = prometheus.NewDesc("loris_port_receive_bytes_total",
		"Bytes the switch received on the port (polled PORT_STATS).", portLabels, nil)
	descPortTxBytes = prometheus.NewDesc("loris_port_transmit_bytes_total",
		"Bytes the switch sent out of the port (polled PORT_STATS).", portLabels, nil)
	descPortRxDropped = prometheus.NewDesc("loris_port_receive_dropped_packets_total",
		"Packets dropped on receive at the port (polled PORT_STATS).", portLabels, nil)
	descPortTxDropped = prometheus.NewDesc("loris_port_transmit_dropped_packets_total",
		"Packets dropped on transmit at the port (polled PORT_STATS).", portLabels, nil)
	descPortRxErrors = prometheus.NewDesc("loris_port_receive_errors_total",
		"Receive errors at the port (polled PORT_STATS).", portLabels, nil)
	descPortTxErrors = prometheus.NewDesc("loris_port_transmit_errors_total",
		"Transmit errors at the port (polled PORT_STATS).", portLabels, nil)

	podTrafficLabels = []string{"host", "pod", "origin"}

	descPodPackets = prometheus.NewDesc(MetricPodPackets,
		"Packets that entered the pod's pipeline on the host, from the pod's local containers (origin=local) "+
			"or from the tunnel (origin=tunnel); from the counters of the classification flows.", podTrafficLabels, nil)
	descPodBytes = prometheus.NewDesc("loris_pod_bytes_total",
		"Bytes that entered the pod's pipeline on the host; see loris_pod_packets_total.", podTrafficLabels, nil)
	descPortSecurityDrops = prometheus.NewDesc(MetricPortSecurityDrops,
		"Packets dropped by port security on the host: frames from a refused (port, source MAC) and ARP whose "+
			"sender is not bound to its port (counters of those drop flows).", []string{"host"}, nil)
	descDroppedPackets = prometheus.NewDesc("loris_dropped_packets_total",
		"Packets dropped by loris drop flows on the host, by OpenFlow table.", []string{"host", "table"}, nil)
)

func describePolledStats(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{descPortRxPackets, descPortTxPackets, descPortRxBytes, descPortTxBytes,
		descPortRxDropped, descPortTxDropped, descPortRxErrors, descPortTxErrors,
		descPodPackets, descPodBytes, descPortSecurityDrops, descDroppedPackets} {
		ch <- d
	}
}

// collectPolledStats exports the last polled counters of s, whose switch
// belongs to host, naming ports and pods from the current model.
func collectPolledStats(ch chan<- prometheus.Metric, s *session, host string, snap *topology.Snapshot) {
	ports, flows := s.polled.read()
	if ports == nil && flows == nil {
		return
	}
	counter := func(d *prometheus.Desc, v uint64, labels ...string) {
		ch <- prometheus.MustNewConstMetric(d, prometheus.CounterValue, float64(v), labels...)
	}
	s.mu.Lock()
	names := make(map[uint32]string, len(s.ports))
	for name, no := range s.ports {
		names[no] = name
	}
	s.mu.Unlock()
	byPort := map[string]topology.Attachment{}
	byCookie := map[uint32]string{}
	for _, a := range snap.AttachmentsOn(host) {
		byPort[a.Port] = a
		byCookie[policy.AttachmentCookieID(a.ID)] = a.Pod
	}

	for _, p := range ports {
		name, ok := names[p.PortNo]
		switch {
		case p.PortNo == ofproto.PortLocal:
			name = "LOCAL"
		case !ok:
			name = strconv.FormatUint(uint64(p.PortNo), 10)
		}
		a := byPort[name]
		l := []string{host, name, a.Pod, a.Container}
		counter(descPortRxPackets, p.RxPackets, l...)
		counter(descPortTxPackets, p.TxPackets, l...)
		counter(descPortRxBytes, p.RxBytes, l...)
		counter(descPortTxBytes, p.TxBytes, l...)
		counter(descPortRxDropped, p.RxDropped, l...)
		counter(descPortTxDropped, p.TxDropped, l...)
		counter(descPortRxErrors, p.RxErrors, l...)
		counter(descPortTxErrors, p.TxErrors, l...)
	}

	podByVNI := map[uint32]string{}
	for _, p := range snap.Pods {
		podByVNI[p.VNI] = p.Name
	}
	type podOrigin struct{ pod, origin string }
	type totals struct{ packets, bytes uint64 }
	traffic := map[podOrigin]totals{}
	drops := map[uint8]uint64{}
	var portSecurity uint64
	for _, f := range flows {
		low := uint32(f.cookie & policy.CookieLowMask)
		var key podOrigin
		switch policy.CookieKindOf(f.cookie) {
		case policy.KindClassifyPort:
			key = podOrigin{byCookie[low], "local"}
		case policy.KindClassifyTunnel:
			key = podOrigin{podByVNI[low], "tunnel"}
		}
		if key.pod != "" && !f.drop {
			t := traffic[key]
			traffic[key] = totals{t.packets + f.packets, t.bytes + f.bytes}
		}
		if f.drop {
			drops[f.table] += f.packets
			if isPortSecurityDrop(f) {
				portSecurity += f.packets
			}
		}
	}
	for k, t := range traffic {
		counter(descPodPackets, t.packets, host, k.pod, k.origin)
		counter(descPodBytes, t.bytes, host, k.pod, k.origin)
	}
	if flows != nil {
		counter(descPortSecurityDrops, portSecurity, host)
	}
	for table, n := range drops {
		counter(descDroppedPackets, n, host, strconv.Itoa(int(table)))
	}
}

// startStatsPolling starts the session's stats poller unless polling is
// disabled; the returned function waits for it to end, which it does when
// the connection or ctx ends.
func (s *session) startStatsPolling(ctx context.Context) (wait func()) {
	interval := s.c.cfg.StatsInterval
	if interval == 0 {
		interval = defaultStatsInterval
	}
	if interval < 0 {
		return func() {}
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		s.pollStats(ctx, interval)
	}()
	return func() { <-done }
}

// isPortSecurityDrop tells the drop flows that enforce port security (a
// refused source MAC, a spoofed ARP sender) from table-miss drops, which
// catch traffic no rule is about (an unknown port, an unknown VNI).
func isPortSecurityDrop(f flowCounters) bool {
	switch policy.CookieKindOf(f.cookie) {
	case policy.KindRefusedSource, policy.KindSpoofGuard, policy.KindClassifyPort:
		return f.drop
	}
	return false
}
