package controller

import (
	"sort"

	"github.com/lorispack/loris/topology"
	"github.com/prometheus/client_golang/prometheus"
)

// stateCollector turns the controller's current model and sessions into
// gauges at scrape time, so these numbers can never drift from the state
// they describe.
type stateCollector struct{ c *Controller }

var (
	descHosts = prometheus.NewDesc("loris_hosts",
		"Hosts registered in the model.", nil, nil)
	descSwitchesConnected = prometheus.NewDesc(MetricSwitchesConnected,
		"1 when the host's switch is connected, 0 when it is registered but not connected; "+
			"connected switches of unregistered datapaths appear as host=\"unregistered\" with their count.",
		[]string{"host"}, nil)
	descSwitchSince = prometheus.NewDesc("loris_switch_connected_since_seconds",
		"Unix time the host's current switch connection was established.", []string{"host"}, nil)
	descSwitchPorts = prometheus.NewDesc("loris_switch_ports",
		"OpenFlow ports the host's switch reports.", []string{"host"}, nil)
	descDesiredFlows = prometheus.NewDesc("loris_desired_flows",
		"Flows the host's switch should hold, as of the last successful reconciliation.", []string{"host"}, nil)
	descDesiredGroups = prometheus.NewDesc("loris_desired_groups",
		"Groups the host's switch should hold, as of the last successful reconciliation.", []string{"host"}, nil)
	descPending = prometheus.NewDesc("loris_switch_reconcile_pending",
		"1 while a model change has not yet been applied to the host's switch.", []string{"host"}, nil)
	descLastReconcile = prometheus.NewDesc("loris_switch_last_reconcile_timestamp_seconds",
		"Unix time the last reconciliation round with the host's switch ended.", []string{"host"}, nil)
	descPods = prometheus.NewDesc("loris_pods",
		"Pods in the model.", nil, nil)
	descPodAttachments = prometheus.NewDesc(MetricPodAttachments,
		"Container attachments of each pod, across all hosts.", []string{"pod"}, nil)
)

func (stateCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{descHosts, descSwitchesConnected, descSwitchSince, descSwitchPorts,
		descDesiredFlows, descDesiredGroups, descPending, descLastReconcile, descPods, descPodAttachments} {
		ch <- d
	}
	describePolledStats(ch)
}

func (sc stateCollector) Collect(ch chan<- prometheus.Metric) {
	snap, sessions := sc.c.snapshotAndSessions()
	gauge := func(d *prometheus.Desc, v float64, labels ...string) {
		ch <- prometheus.MustNewConstMetric(d, prometheus.GaugeValue, v, labels...)
	}
	gauge(descHosts, float64(len(snap.Hosts)))
	gauge(descPods, float64(len(snap.Pods)))
	for _, p := range snap.Pods {
		gauge(descPodAttachments, float64(snap.MemberCount(p.Name)), p.Name)
	}

	connected := map[topology.DatapathID]bool{}
	unregistered := 0
	for _, s := range sessions {
		h, ok := hostByDPID(snap, s.dpid)
		if !ok {
			unregistered++
			continue
		}
		connected[s.dpid] = true
		s.mu.Lock()
		stats, since, last, ports := s.stats, s.since, s.lastReconcile, len(s.ports)
		s.mu.Unlock()
		gauge(descSwitchesConnected, 1, h.Name)
		gauge(descSwitchSince, float64(since.UnixNano())/1e9, h.Name)
		gauge(descSwitchPorts, float64(ports), h.Name)
		gauge(descDesiredFlows, float64(stats.Flows), h.Name)
		gauge(descDesiredGroups, float64(stats.Groups), h.Name)
		pending := 0.0
		if s.doneGen.Load() < s.wantGen.Load() {
			pending = 1
		}
		gauge(descPending, pending, h.Name)
		if !last.IsZero() {
			gauge(descLastReconcile, float64(last.UnixNano())/1e9, h.Name)
		}
		collectPolledStats(ch, s, h.Name, snap)
	}
	for _, h := range snap.Hosts {
		if !connected[h.DatapathID] {
			gauge(descSwitchesConnected, 0, h.Name)
		}
	}
	if unregistered > 0 {
		gauge(descSwitchesConnected, float64(unregistered), unregisteredHost)
	}
}

// snapshotAndSessions returns the model snapshot and the live sessions,
// sorted by datapath id, read together under one lock.
func (c *Controller) snapshotAndSessions() (*topology.Snapshot, []*session) {
	c.mu.Lock()
	snap := c.snap
	sessions := make([]*session, 0, len(c.sessions))
	for _, s := range c.sessions {
		sessions = append(sessions, s)
	}
	c.mu.Unlock()
	sort.Slice(sessions, func(i, j int) bool { return sessions[i].dpid < sessions[j].dpid })
	return snap, sessions
}
