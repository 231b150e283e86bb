package controller

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http/httptest"
	"net/netip"
	"os"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/lorispack/loris/ofproto"
	"github.com/lorispack/loris/policy"
	"github.com/lorispack/loris/store"
	"github.com/lorispack/loris/topology"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil/promlint"
	dto "github.com/prometheus/client_model/go"
)

func newMetricsController(t *testing.T, st store.Store, statsInterval time.Duration) *Controller {
	t.Helper()
	if st == nil {
		st = store.NewMemory()
	}
	c, err := New(Config{Store: st, Logger: slog.New(slog.NewTextHandler(io.Discard, nil)), Version: "v-test",
		StatsInterval: statsInterval, ReconcileTimeout: 5 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// metricValue returns the value of the series name{labels} (a counter,
// gauge, or a histogram's sample count) and whether it exists.
func metricValue(t *testing.T, reg prometheus.Gatherer, name string, labels map[string]string) (float64, bool) {
	t.Helper()
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatalf("gather: %v", err)
	}
	for _, mf := range mfs {
		if mf.GetName() != name {
			continue
		}
	series:
		for _, m := range mf.GetMetric() {
			have := map[string]string{}
			for _, lp := range m.GetLabel() {
				have[lp.GetName()] = lp.GetValue()
			}
			for k, v := range labels {
				if have[k] != v {
					continue series
				}
			}
			return sampleValue(m), true
		}
	}
	return 0, false
}

func sampleValue(m *dto.Metric) float64 {
	switch {
	case m.Counter != nil:
		return m.Counter.GetValue()
	case m.Gauge != nil:
		return m.Gauge.GetValue()
	case m.Histogram != nil:
		return float64(m.Histogram.GetSampleCount())
	}
	return 0
}

func mustMetric(t *testing.T, reg prometheus.Gatherer, name string, labels map[string]string) float64 {
	t.Helper()
	v, ok := metricValue(t, reg, name, labels)
	if !ok {
		t.Fatalf("no series %s%v", name, labels)
	}
	return v
}

func TestFrameCounterFollowsSplitStreams(t *testing.T) {
	m := newMetrics(prometheus.NewRegistry(), "x")
	var stream []byte
	for _, msg := range []ofproto.Message{&ofproto.Hello{}, &ofproto.EchoRequest{Data: []byte("abcdefgh")},
		&ofproto.BarrierRequest{}, &ofproto.EchoRequest{}, &ofproto.PacketIn{Data: bytes.Repeat([]byte{0xee}, 300)}} {
		b, err := ofproto.Marshal(1, msg)
		if err != nil {
			t.Fatal(err)
		}
		stream = append(stream, b...)
	}
	// Every way of cutting the stream into two writes counts the same.
	for cut := 0; cut <= len(stream); cut += 7 {
		f := &frameCounter{counters: m.ofMessagesIn}
		f.feed(stream[:cut])
		f.feed(stream[cut:])
	}
	runs := float64(len(stream)/7 + 1)
	for typ, want := range map[string]float64{"HELLO": runs, "ECHO_REQUEST": 2 * runs, "BARRIER_REQUEST": runs, "PACKET_IN": runs} {
		if got := counterValue(t, m.ofMessagesIn.WithLabelValues(typ)); got != want {
			t.Errorf("%s counted %v times, want %v", typ, got, want)
		}
	}
	// Byte-at-a-time reads too.
	f := &frameCounter{counters: m.ofMessagesOut}
	for i := range stream {
		f.feed(stream[i : i+1])
	}
	if got := counterValue(t, m.ofMessagesOut.WithLabelValues("PACKET_IN")); got != 1 {
		t.Errorf("byte-wise: PACKET_IN counted %v, want 1", got)
	}
}

func TestAPIRequestMetricsUseRoutePatterns(t *testing.T) {
	c := newMetricsController(t, nil, -1)
	srv := httptest.NewServer(c.Handler())
	defer srv.Close()
	reg := c.Metrics().Registry()
	call(t, srv, "GET", "/v1/pods", "")
	call(t, srv, "GET", "/v1/pods", "")
	call(t, srv, "GET", "/v1/pods/nope", "")
	call(t, srv, "GET", "/no/such/route", "")
	call(t, srv, "POST", "/v1/pods", `{"name":"p1"}`)
	for _, tc := range []struct {
		route, method, code string
		want                float64
	}{
		{"GET /v1/pods", "GET", "200", 2},
		{"GET /v1/pods/{name}", "GET", "404", 1},
		{"unmatched", "GET", "404", 1},
		{"POST /v1/pods", "POST", "201", 1},
	} {
		got := mustMetric(t, reg, "loris_api_requests_total", map[string]string{"route": tc.route, "method": tc.method, "code": tc.code})
		if got != tc.want {
			t.Errorf("%s %s: %v requests, want %v", tc.route, tc.code, got, tc.want)
		}
	}
	if n := mustMetric(t, reg, "loris_api_request_duration_seconds", map[string]string{"route": "GET /v1/pods"}); n != 2 {
		t.Errorf("latency histogram has %v samples, want 2", n)
	}
	// The raw path never becomes a label.
	if _, ok := metricValue(t, reg, "loris_api_requests_total", map[string]string{"route": "/v1/pods/nope"}); ok {
		t.Error("raw path used as route label")
	}
}

// metricsFailingStore fails every update after the first load.
type metricsFailingStore struct{ store.Store }

func (metricsFailingStore) Update(func(store.Tx) error) error { return errors.New("disk full") }

func TestStoreOperationsAreTimed(t *testing.T) {
	c := newMetricsController(t, nil, -1)
	reg := c.Metrics().Registry()
	if n := mustMetric(t, reg, "loris_store_operation_duration_seconds", map[string]string{"op": "load"}); n != 1 {
		t.Errorf("load samples %v, want 1", n)
	}
	if _, err := c.AddPod("p1", 0); err != nil {
		t.Fatal(err)
	}
	if _, err := c.AddPod("p2", 0); err != nil {
		t.Fatal(err)
	}
	if n := mustMetric(t, reg, "loris_store_operation_duration_seconds", map[string]string{"op": "update"}); n != 2 {
		t.Errorf("update samples %v, want 2", n)
	}

	bad := newMetricsController(t, metricsFailingStore{store.NewMemory()}, -1)
	if _, err := bad.AddPod("p1", 0); err == nil {
		t.Fatal("AddPod succeeded on a failing store")
	}
	if n := mustMetric(t, bad.Metrics().Registry(), "loris_store_operation_errors_total", map[string]string{"op": "update"}); n != 1 {
		t.Errorf("update errors %v, want 1", n)
	}
}

func TestStateGaugesFollowTheModel(t *testing.T) {
	c := newMetricsController(t, nil, -1)
	reg := c.Metrics().Registry()
	pods0 := mustMetric(t, reg, "loris_pods", nil) // the default pod may exist
	for i, h := range []string{"h1", "h2"} {
		host := topology.Host{Name: h, DatapathID: topology.DatapathID(0xa1 + i),
			TunnelIP: netip.AddrFrom4([4]byte{198, 18, 0, byte(1 + i)}), Tunnel: "vxlan"}
		if _, _, err := c.AddHost(host); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := c.AddPod("web", 0); err != nil {
		t.Fatal(err)
	}
	if _, err := c.AddPod("db", 0); err != nil {
		t.Fatal(err)
	}
	metricsAttach(t, c, "h1", "c1", "web", "02:00:00:00:00:01", "10.244.0.1/24")
	metricsAttach(t, c, "h2", "c2", "web", "02:00:00:00:00:02", "10.244.0.2/24")
	metricsAttach(t, c, "h2", "c3", "db", "02:00:00:00:00:03", "10.244.1.3/24")

	checks := []struct {
		name   string
		labels map[string]string
		want   float64
	}{
		{"loris_hosts", nil, 2},
		{"loris_pods", nil, pods0 + 2},
		{"loris_pod_attachments", map[string]string{"pod": "web"}, 2},
		{"loris_pod_attachments", map[string]string{"pod": "db"}, 1},
		{"loris_switches_connected", map[string]string{"host": "h1"}, 0},
		{"loris_switches_connected", map[string]string{"host": "h2"}, 0},
		{"loris_build_info", map[string]string{"version": "v-test"}, 1},
	}
	for _, ck := range checks {
		if got := mustMetric(t, reg, ck.name, ck.labels); got != ck.want {
			t.Errorf("%s%v = %v, want %v", ck.name, ck.labels, got, ck.want)
		}
	}
	if err := c.DeletePod("db", true); err != nil {
		t.Fatal(err)
	}
	if _, ok := metricValue(t, reg, "loris_pod_attachments", map[string]string{"pod": "db"}); ok {
		t.Error("deleted pod still exported")
	}
	if got := mustMetric(t, reg, "loris_pods", nil); got != pods0+1 {
		t.Errorf("loris_pods after delete = %v", got)
	}
}

func TestMACLearningMetrics(t *testing.T) {
	c := newMetricsController(t, nil, -1)
	m, reg := c.Metrics(), c.Metrics().Registry()
	web := map[string]string{"pod": "web"}
	if _, err := c.AddPod("web", 0); err != nil {
		t.Fatal(err)
	}
	// A new pod's conflict counter exists at zero, so the first conflict
	// shows in increase().
	if got := mustMetric(t, reg, MetricMACConflicts, web); got != 0 {
		t.Errorf("conflicts of a new pod = %v, want 0", got)
	}
	m.MACConflict("web")
	m.MACConflict("web")
	m.SetLearnedMACs("web", 3)
	if got := mustMetric(t, reg, MetricMACConflicts, web); got != 2 {
		t.Errorf("conflicts %v, want 2", got)
	}
	if got := mustMetric(t, reg, MetricLearnedMACs, web); got != 3 {
		t.Errorf("learned %v, want 3", got)
	}
	if err := c.DeletePod("web", false); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{MetricMACConflicts, MetricLearnedMACs} {
		if _, ok := metricValue(t, reg, name, web); ok {
			t.Errorf("%s of a deleted pod still exported", name)
		}
	}
}

func TestHealthAndReadiness(t *testing.T) {
	c := newMetricsController(t, nil, -1)
	srv := httptest.NewServer(c.Handler())
	defer srv.Close()
	if code, body := call(t, srv, "GET", "/healthz", ""); code != 200 || body != "ok\n" {
		t.Errorf("healthz: %d %q", code, body)
	}
	if code, body := call(t, srv, "GET", "/readyz", ""); code != 503 || !strings.Contains(body, "[-] openflow") {
		t.Errorf("readyz before serving: %d %q", code, body)
	}
	serveOpenFlowForTest(t, c)
	metricsWaitFor(t, "readiness", 5*time.Second, func() bool {
		code, _ := call(t, srv, "GET", "/readyz", "")
		return code == 200
	})
	if code, body := call(t, srv, "GET", "/metrics", ""); code != 200 || !strings.Contains(body, "loris_build_info{") {
		t.Errorf("metrics: %d, build info missing", code)
	}
}

// TestSwitchMetricsMoveWithEvents drives a fake switch through connect,
// reconciliation, packet-ins, an error, stats polling, rejected flow-mods
// and disconnect, and checks each metric moves with its event.
func TestSwitchMetricsMoveWithEvents(t *testing.T) {
	c := newMetricsController(t, nil, 20*time.Millisecond)
	reg := c.Metrics().Registry()
	const dpid = 0xa1
	if _, _, err := c.AddHost(topology.Host{Name: "h1", DatapathID: dpid, TunnelIP: netip.MustParseAddr("198.18.0.1"), Tunnel: "vxlan"}); err != nil {
		t.Fatal(err)
	}
	pod, err := c.AddPod("web", 0)
	if err != nil {
		t.Fatal(err)
	}
	a := metricsAttach(t, c, "h1", "c1", "web", "02:00:00:00:00:01", "10.244.0.1/24")
	addr := serveOpenFlowForTest(t, c)

	sw := dialMetricsFakeSwitch(t, addr, dpid, []ofproto.Port{{PortNo: 1, Name: a.Port}, {PortNo: 9, Name: policy.TunnelPort}})
	h1 := map[string]string{"host": "h1"}
	metricsWaitFor(t, "first successful reconciliation", 5*time.Second, func() bool {
		st := c.Status()
		return len(st.Switches) == 1 && st.Switches[0].Reconciles >= 1
	}, func() string { return fmt.Sprintf("%+v", c.Status()) })
	if got := mustMetric(t, reg, "loris_reconciliations_total", h1); got < 1 {
		t.Errorf("reconciliations = %v", got)
	}
	if got := mustMetric(t, reg, "loris_switches_connected", h1); got != 1 {
		t.Errorf("switches_connected = %v, want 1", got)
	}
	if got := mustMetric(t, reg, "loris_switch_connects_total", h1); got != 1 {
		t.Errorf("connects = %v, want 1", got)
	}
	st := c.Status().Switches[0]
	if got := mustMetric(t, reg, "loris_desired_flows", h1); got != float64(st.Flows) || got == 0 {
		t.Errorf("desired_flows = %v, status says %d", got, st.Flows)
	}
	if got := mustMetric(t, reg, "loris_reconciliation_flows_added_total", h1); got != float64(st.FlowAdds) {
		t.Errorf("flows_added = %v, status says %d", got, st.FlowAdds)
	}
	if got := mustMetric(t, reg, MetricFlowMods, h1); got != float64(st.FlowAdds+st.FlowDeletes) {
		t.Errorf("flow_mods = %v, status says %d", got, st.FlowAdds+st.FlowDeletes)
	}
	for typ, min := range map[string]float64{"HELLO": 1, "FEATURES_REQUEST": 1, "FLOW_MOD": float64(st.FlowAdds), "BARRIER_REQUEST": 1} {
		if got := mustMetric(t, reg, "loris_openflow_messages_sent_total", map[string]string{"type": typ}); got < min {
			t.Errorf("sent %s = %v, want >= %v", typ, got, min)
		}
	}
	if got := mustMetric(t, reg, "loris_openflow_messages_received_total", map[string]string{"type": "FEATURES_REPLY"}); got != 1 {
		t.Errorf("received FEATURES_REPLY = %v, want 1", got)
	}

	// Packet-ins by reason and an unsolicited error.
	sw.sendAsync(&ofproto.PacketIn{Reason: ofproto.PacketInReasonAction, Data: make([]byte, 60)})
	sw.sendAsync(&ofproto.PacketIn{Reason: ofproto.PacketInReasonAction, Data: make([]byte, 60)})
	sw.sendAsync(&ofproto.PacketIn{Reason: ofproto.PacketInReasonNoMatch, Data: make([]byte, 60)})
	sw.sendAsync(&ofproto.ErrorMsg{ErrType: ofproto.ErrTypeBadRequest, Code: 1})
	metricsWaitFor(t, "packet-ins counted", 5*time.Second, func() bool {
		v, _ := metricValue(t, reg, MetricPacketIns, map[string]string{"host": "h1", "reason": "action"})
		w, _ := metricValue(t, reg, MetricOpenFlowErrors, map[string]string{"host": "h1", "type": "BAD_REQUEST"})
		return v == 2 && w == 1
	})
	if got := mustMetric(t, reg, MetricPacketIns, map[string]string{"host": "h1", "reason": "no_match"}); got != 1 {
		t.Errorf("no_match packet-ins = %v, want 1", got)
	}

	// Polled counters: port stats and per-pod traffic from flow counters.
	sw.set(func(sw *metricsFakeSwitch) {
		sw.portStats = []ofproto.PortStats{{PortNo: 1, RxPackets: 11, TxPackets: 12, RxBytes: 1100, TxBytes: 1200, RxDropped: 3}}
		sw.flowCounts[policy.Cookie(policy.KindClassifyPort, policy.AttachmentCookieID(a.ID))] = 7
		sw.flowCounts[policy.Cookie(policy.KindClassifyTunnel, pod.VNI)] = 5
		sw.flowCounts[policy.Cookie(policy.KindSpoofGuard, 0)] = 4                      // the ARP drop
		sw.flowCounts[policy.Cookie(policy.KindMiss, uint32(policy.TableClassify))] = 6 // not port security
	})
	port := map[string]string{"host": "h1", "port": a.Port, "pod": "web", "container": "c1"}
	metricsWaitFor(t, "polled counters", 5*time.Second, func() bool {
		v, _ := metricValue(t, reg, "loris_port_receive_packets_total", port)
		w, _ := metricValue(t, reg, MetricPodPackets, map[string]string{"host": "h1", "pod": "web", "origin": "tunnel"})
		return v == 11 && w == 5
	})
	for _, ck := range []struct {
		name   string
		labels map[string]string
		want   float64
	}{
		{"loris_port_transmit_bytes_total", port, 1200},
		{"loris_port_receive_dropped_packets_total", port, 3},
		{MetricPodPackets, map[string]string{"host": "h1", "pod": "web", "origin": "local"}, 7},
		{"loris_pod_bytes_total", map[string]string{"host": "h1", "pod": "web", "origin": "local"}, 700},
		{MetricPortSecurityDrops, h1, 4},
		{"loris_dropped_packets_total", map[string]string{"host": "h1", "table": "10"}, 4},
		{"loris_dropped_packets_total", map[string]string{"host": "h1", "table": "0"}, 6},
	} {
		if got := mustMetric(t, reg, ck.name, ck.labels); got != ck.want {
			t.Errorf("%s%v = %v, want %v", ck.name, ck.labels, got, ck.want)
		}
	}
	if got := mustMetric(t, reg, "loris_stats_polls_total", map[string]string{"host": "h1", "kind": "port"}); got < 1 {
		t.Errorf("port polls = %v", got)
	}

	// A change the switch rejects: a failed round and the switch's error.
	sw.set(func(sw *metricsFakeSwitch) { sw.rejectFlowMods = true })
	a2 := metricsAttach(t, c, "h1", "c2", "web", "02:00:00:00:00:02", "10.244.0.2/24")
	// Plugging its port in gives the switch new flows to accept.
	sw.sendAsync(&ofproto.PortStatus{Reason: ofproto.PortReasonAdd, Port: ofproto.Port{PortNo: 2, Name: a2.Port}})
	metricsWaitFor(t, "reconciliation failure", 5*time.Second, func() bool {
		v, _ := metricValue(t, reg, MetricReconcileFailures, h1)
		return v >= 1
	})
	if got := mustMetric(t, reg, MetricOpenFlowErrors, map[string]string{"host": "h1", "type": "FLOW_MOD_FAILED", "code": "TABLE_FULL"}); got < 1 {
		t.Errorf("FLOW_MOD_FAILED errors = %v", got)
	}

	// Everything has happened once now: the examples may use only metrics
	// that exist (the e2e test repeats this against a real cluster).
	api := httptest.NewServer(c.Handler())
	defer api.Close()
	call(t, api, "GET", "/v1/status", "")
	checkExamplesUseGatheredMetrics(t, reg)

	// Disconnect.
	sw.conn.Close()
	metricsWaitFor(t, "disconnect", 5*time.Second, func() bool {
		v, _ := metricValue(t, reg, "loris_switch_disconnects_total", h1)
		return v == 1
	})
	if got := mustMetric(t, reg, "loris_switches_connected", h1); got != 0 {
		t.Errorf("switches_connected after disconnect = %v, want 0", got)
	}
	if _, ok := metricValue(t, reg, "loris_port_receive_packets_total", port); ok {
		t.Error("port counters of a disconnected switch still exported")
	}
}

func TestMetricsLint(t *testing.T) {
	c := newMetricsController(t, nil, -1)
	mfs, err := c.Metrics().Registry().Gather()
	if err != nil {
		t.Fatal(err)
	}
	problems, err := promlint.NewWithMetricFamilies(mfs).Lint()
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range problems {
		t.Errorf("%s: %s", p.Metric, p.Text)
	}
}

func counterValue(t *testing.T, c prometheus.Counter) float64 {
	t.Helper()
	var m dto.Metric
	if err := c.Write(&m); err != nil {
		t.Fatal(err)
	}
	return m.GetCounter().GetValue()
}

func metricsAttach(t *testing.T, c *Controller, host, container, pod, mac, ip string) topology.Attachment {
	t.Helper()
	hw, err := net.ParseMAC(mac)
	if err != nil {
		t.Fatal(err)
	}
	var m topology.MAC
	copy(m[:], hw)
	a, err := c.Attach(topology.Attachment{Host: host, Container: container, IfName: "eth1", Pod: pod,
		MAC: m, IP: netip.MustParsePrefix(ip)})
	if err != nil {
		t.Fatal(err)
	}
	return a
}

var lorisMetricRef = regexp.MustCompile(`\bloris_[a-z0-9_]+`)

// checkExamplesUseGatheredMetrics fails for every loris metric name in the
// example dashboard and alert rules that reg does not gather.
func checkExamplesUseGatheredMetrics(t *testing.T, reg prometheus.Gatherer) {
	t.Helper()
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	have := map[string]bool{}
	for _, mf := range mfs {
		have[mf.GetName()] = true
		if mf.GetType() == dto.MetricType_HISTOGRAM {
			for _, suffix := range []string{"_bucket", "_sum", "_count"} {
				have[mf.GetName()+suffix] = true
			}
		}
	}
	for _, file := range []string{"../examples/grafana/loris.json", "../examples/prometheus/alerts.yml"} {
		b, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		for _, name := range lorisMetricRef.FindAllString(string(b), -1) {
			if !have[name] {
				t.Errorf("%s uses %s, which the controller does not export", file, name)
			}
		}
	}
}

// BenchmarkPacketInMetrics is the metrics cost the packet-in path pays: the
// frame counter on the read side and the per-host, per-reason counter.
func BenchmarkPacketInMetrics(b *testing.B) {
	m := newMetrics(prometheus.NewRegistry(), "x")
	frame, err := ofproto.Marshal(1, &ofproto.PacketIn{Reason: ofproto.PacketInReasonAction, Data: make([]byte, 64)})
	if err != nil {
		b.Fatal(err)
	}
	f := &frameCounter{counters: m.ofMessagesIn}
	pin := &ofproto.PacketIn{Reason: ofproto.PacketInReasonAction}
	var cache packetInCounter
	b.ReportAllocs()
	for b.Loop() {
		f.feed(frame)
		m.asyncMessage(&cache, "h1", pin)
	}
}
