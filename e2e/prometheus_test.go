package e2e

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/lorispack/loris/e2e/cluster"
	"github.com/lorispack/loris/topology"
	"golang.org/x/sys/unix"
)

// The examples the tests check and run.
const (
	examplePrometheusConfig = "../examples/prometheus/prometheus.yml"
	exampleAlertRules       = "../examples/prometheus/alerts.yml"
	exampleDashboard        = "../examples/grafana/loris.json"
)

// requirePrometheus returns the paths of prometheus and promtool, or skips.
func requirePrometheus(t *testing.T) (prometheus, promtool string) {
	t.Helper()
	prometheus, err := exec.LookPath("prometheus")
	if err != nil {
		t.Skip("prometheus is not installed (Debian package prometheus; scripts/deps.sh installs it)")
	}
	promtool, err = exec.LookPath("promtool")
	if err != nil {
		t.Skip("promtool is not installed (Debian package prometheus; scripts/deps.sh installs it)")
	}
	return prometheus, promtool
}

// TestPrometheusExamplesAreValid runs promtool on the example config and
// alert rules.
func TestPrometheusExamplesAreValid(t *testing.T) {
	_, promtool := requirePrometheus(t)
	for _, args := range [][]string{
		{"check", "config", examplePrometheusConfig},
		{"check", "rules", exampleAlertRules},
	} {
		out, err := exec.Command(promtool, args...).CombinedOutput()
		if err != nil {
			t.Errorf("promtool %s: %v\n%s", strings.Join(args, " "), err, out)
		}
	}
}

// TestPrometheusDashboard runs a real Prometheus with the example config
// against a lab controller, puts a ping workload on the pods, and checks
// that the query of every dashboard panel returns data, and the right data
// where the test knows the answer. Before that it provokes the events the
// quiet panels show: spoofed ARP (port security drops), a frame from an
// unknown MAC (packet-in, learned MAC) and a duplicate MAC (conflict and its
// alert). It then makes one switch reject flows and stops another, and
// checks the OpenFlow error, reconciliation and disconnection alerts.
func TestPrometheusDashboard(t *testing.T) {
	requireE2E(t)
	prometheusBin, _ := requirePrometheus(t)
	l := newLabWith(t, 3, "vxlan", func(l *lab) {
		l.ctlArgs = append(l.ctlArgs, "--port-stats-interval", "1s")
	})
	prom := startPrometheus(t, l, prometheusBin)
	prom.waitFor(t, `up{job="loris-controller"} == 1`, 30*time.Second)

	lay := buildPods(t, l)
	l.waitConverged()
	checkMatrix(t, l, lay.ctrs)
	pods := map[string]int{}
	for _, ctr := range lay.ctrs {
		pods[l.pods[ctr]]++
	}

	// Every pod carried pings, so its traffic rate must show once a poll
	// and a scrape have happened after them.
	prom.waitFor(t, fmt.Sprintf(`count(sum by (pod) (rate(loris_pod_packets_total[1m])) > 0) == %d`, len(pods)), 30*time.Second)

	// Port security: r1 sends ARP claiming an address that is not its own;
	// the ARP guard drops it and the drop flow's counter says so.
	r1 := lay.byName["r1"]
	const spoofed = 20
	sendSpoofedARP(t, l, r1, spoofed)
	prom.waitFor(t, fmt.Sprintf(`loris_port_security_dropped_packets_total{host=%q} >= %d`, r1.Host.Name, spoofed), 30*time.Second)
	prom.waitFor(t, `sum(rate(loris_port_security_dropped_packets_total[1m])) > 0`, 30*time.Second)

	// A frame from a source MAC no one holds reaches the controller as a
	// packet-in (and the MAC is learned for r1).
	sendFromUnknownMAC(t, l, r1, [6]byte{0x02, 0xaa, 0xbb, 0xcc, 0xdd, 0x01}, 3)
	prom.waitFor(t, fmt.Sprintf(`sum(rate(loris_openflow_packet_ins_total{host=%q}[1m])) > 0`, r1.Host.Name), 30*time.Second)

	// A MAC conflict: a second container in red asks for r1's MAC; the
	// controller refuses it, counts it, and the alert fires.
	dup := l.c.AddContainer(l.c.Hosts[1], "dup")
	if out, err := l.tryLorisctl(l.c.Hosts[1], "attach", "dup", "--ip", "10.244.1.8/16", "--mac", attachmentOf(t, l, r1).MAC.String(),
		"--pod", "red", "--netns", dup.NS, "--ovsdb", l.c.Hosts[1].DB); err == nil {
		t.Fatalf("attaching a duplicate MAC succeeded:\n%s", out)
	}
	prom.waitFor(t, `increase(loris_mac_conflicts_total{pod="red"}[1m]) > 0`, 30*time.Second)
	prom.waitForAlert(t, "LorisMACConflicts", map[string]string{"pod": "red"}, "firing", 30*time.Second)

	st := l.waitConverged()
	flowsByHost := map[string]float64{}
	for _, s := range st.Switches {
		flowsByHost[s.Host] = float64(s.Flows)
		// Prometheus must have scraped the settled state before the panels
		// are compared with it.
		prom.waitFor(t, fmt.Sprintf(`loris_desired_flows{host=%q} == %d`, s.Host, s.Flows), 30*time.Second)
	}
	panels := readDashboard(t)
	results := map[string][]promSample{}
	for _, p := range panels {
		for _, expr := range p.exprs {
			q := strings.NewReplacer("$__rate_interval", "1m", "$__range", "5m").Replace(expr)
			res := prom.query(t, q)
			if len(res) == 0 {
				t.Errorf("panel %q: query %s returned nothing", p.title, q)
			}
			results[p.title] = append(results[p.title], res...)
			t.Logf("panel %q: %s -> %s", p.title, q, formatSamples(res))
		}
	}
	hosts := float64(len(l.c.Hosts))
	expectScalar(t, results, "Switches connected", hosts)
	expectScalar(t, results, "Hosts", hosts)
	expectScalar(t, results, "Pods", float64(len(pods)))
	expectScalar(t, results, "Attachments", float64(len(lay.ctrs)))
	expectPositive(t, results, "MAC conflicts (1h)")
	expectPositive(t, results, "Packet-in rate")
	expectPositive(t, results, "Port security drops")
	expectScalar(t, results, "OpenFlow errors (1h)", 0)
	expectByLabel(t, results, "Attachments per pod", "pod", func(pod string) (float64, bool) {
		n, ok := pods[pod]
		return float64(n), ok
	}, len(pods))
	expectByLabel(t, results, "Learned MACs per pod", "pod", func(pod string) (float64, bool) {
		_, ok := pods[pod]
		if pod == "red" {
			return 1, ok // r1's extra source MAC
		}
		return 0, ok
	}, len(pods))
	expectByLabel(t, results, "Desired flows per host", "host", func(host string) (float64, bool) {
		n, ok := flowsByHost[host]
		return n, ok
	}, len(l.c.Hosts))
	expectByLabel(t, results, "Switch connection by host", "host", func(string) (float64, bool) { return 1, true }, len(l.c.Hosts))
	for _, s := range results["Per-pod traffic"] {
		if s.value <= 0 {
			t.Errorf("per-pod traffic of %s = %v after pings, want > 0", s.labels["pod"], s.value)
		}
	}
	if got := prom.query(t, `sum(loris_openflow_flow_mods_total)`); len(got) != 1 || got[0].value <= 0 {
		t.Errorf("flow-mods sent in total: %s, want > 0", formatSamples(got))
	}

	// A switch that refuses new flows: OVS answers FLOW_MOD_FAILED/TABLE_FULL
	// once table 0 holds flow_limit flows.
	h := l.c.Hosts[2]
	table0, err := h.Ofctl("br-loris", "dump-flows", "table=0")
	if err != nil {
		t.Fatalf("dump-flows: %v\n%s", err, table0)
	}
	limit := strings.Count(table0, "cookie=")
	if out, err := h.Vsctl("--", "--id=@ft", "create", "Flow_Table", fmt.Sprintf("flow_limit=%d", limit), "overflow_policy=refuse",
		"--", "set", "Bridge", "br-loris", "flow_tables:0=@ft"); err != nil {
		t.Fatalf("limiting table 0: %v\n%s", err, out)
	}
	l.attach(h, "full1", "red", "10.244.1.9/16")
	prom.waitFor(t, fmt.Sprintf(`loris_openflow_errors_total{host=%q,type="FLOW_MOD_FAILED",code="TABLE_FULL"} > 0`, h.Name), 30*time.Second)
	prom.waitFor(t, fmt.Sprintf(`increase(loris_reconciliation_failures_total{host=%q}[1m]) > 0`, h.Name), 30*time.Second)
	prom.waitForAlert(t, "LorisOpenFlowErrors", map[string]string{"host": h.Name, "code": "TABLE_FULL"}, "firing", 30*time.Second)
	prom.waitForAlert(t, "LorisReconciliationFailing", map[string]string{"host": h.Name}, "pending", 30*time.Second)

	// A host whose switch goes away: the connection gauge drops and the
	// disconnection alert starts (pending for its 2 minutes).
	gone := l.c.Hosts[0]
	if err := gone.StopVswitchd(); err != nil {
		t.Fatalf("stopping ovs-vswitchd on %s: %v", gone.Name, err)
	}
	prom.waitFor(t, fmt.Sprintf(`loris_switches_connected{host=%q} == 0`, gone.Name), 30*time.Second)
	prom.waitFor(t, fmt.Sprintf(`sum(loris_switches_connected{host!="unregistered"}) == %d`, len(l.c.Hosts)-1), 30*time.Second)
	prom.waitForAlert(t, "LorisSwitchDisconnected", map[string]string{"host": gone.Name}, "pending", 30*time.Second)

	for _, q := range []string{`scrape_duration_seconds{job="loris-controller"}`, `scrape_samples_scraped{job="loris-controller"}`} {
		t.Logf("%s = %s", q, formatSamples(prom.query(t, q)))
	}

	// Every metric the dashboard and the alerts use is one the controller
	// exports (checked after the error, whose series exist only then).
	exported := scrapeMetricNames(t, l)
	var used []string
	for _, p := range panels {
		used = append(used, p.exprs...)
	}
	rules, err := os.ReadFile(exampleAlertRules)
	if err != nil {
		t.Fatal(err)
	}
	used = append(used, string(rules))
	for _, name := range metricNamesIn(used) {
		if !exported[name] {
			t.Errorf("dashboard or alerts use %s, which the controller does not export", name)
		}
	}
}

// promServer is a Prometheus started by a test.
type promServer struct {
	base string // http://127.0.0.1:PORT
	proc *cluster.Process
}

// startPrometheus runs prometheus on a free loopback port with the example
// config, its target pointed at the lab's controller, its scrape and rule
// intervals shortened to 1s and the read token of the lab as credentials.
// The cluster stops it by pid when the test ends.
func startPrometheus(t *testing.T, l *lab, bin string) *promServer {
	t.Helper()
	dir := t.TempDir()
	cfg, err := os.ReadFile(examplePrometheusConfig)
	if err != nil {
		t.Fatal(err)
	}
	tokenFile := filepath.Join(dir, "token")
	if err := os.WriteFile(tokenFile, []byte(readTokenOf(t, l.tokens)), 0o600); err != nil {
		t.Fatal(err)
	}
	api := strings.TrimPrefix(l.server, "http://")
	text := string(cfg)
	for _, r := range []struct{ old, new string }{
		{`targets: ["127.0.0.1:6680"]`, fmt.Sprintf(`targets: [%q]`, api)},
		{"scrape_interval: 15s", "scrape_interval: 1s"},
		{"evaluation_interval: 15s", "evaluation_interval: 1s"},
		{"    # authorization:\n    #   credentials_file: /etc/prometheus/loris-token",
			"    authorization:\n      credentials_file: " + tokenFile},
	} {
		if strings.Count(text, r.old) != 1 {
			t.Fatalf("example prometheus.yml no longer contains %q exactly once; update the test", r.old)
		}
		text = strings.Replace(text, r.old, r.new, 1)
	}
	rules, err := os.ReadFile(exampleAlertRules)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "alerts.yml"), rules, 0o644); err != nil {
		t.Fatal(err)
	}
	cfgPath := filepath.Join(dir, "prometheus.yml")
	if err := os.WriteFile(cfgPath, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	addr := prometheusListenAddr(t)
	p := &promServer{base: "http://" + addr}
	p.proc = l.c.StartProcess("prometheus", []string{bin,
		"--config.file=" + cfgPath,
		"--web.listen-address=" + addr,
		"--storage.tsdb.path=" + filepath.Join(dir, "data"),
		"--log.level=warn",
	}, nil)
	err = cluster.WaitFor(context.Background(), func() (bool, error) {
		resp, err := http.Get(p.base + "/-/ready")
		if err != nil {
			return false, nil
		}
		resp.Body.Close()
		return resp.StatusCode == http.StatusOK, nil
	}, 30*time.Second)
	if err != nil {
		t.Fatalf("prometheus did not become ready: %v\n%s", err, p.proc.LogTail(30))
	}
	return p
}

// readTokenOf returns the read-role token from a controller token file.
func readTokenOf(t *testing.T, path string) string {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if fields := strings.Fields(sc.Text()); len(fields) == 2 && fields[0] == "read" {
			return fields[1]
		}
	}
	t.Fatalf("no read token in %s", path)
	return ""
}

func prometheusListenAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// promSample is one element of an instant query result.
type promSample struct {
	labels map[string]string
	value  float64
}

func formatSamples(s []promSample) string {
	parts := make([]string, 0, len(s))
	for _, x := range s {
		keys := make([]string, 0, len(x.labels))
		for k, v := range x.labels {
			keys = append(keys, k+"="+v)
		}
		sort.Strings(keys)
		parts = append(parts, fmt.Sprintf("{%s} %g", strings.Join(keys, ","), x.value))
	}
	return "[" + strings.Join(parts, " ") + "]"
}

func (p *promServer) get(t *testing.T, path string, out any) {
	t.Helper()
	cl := http.Client{Timeout: 10 * time.Second}
	resp, err := cl.Get(p.base + path)
	if err != nil {
		t.Fatalf("prometheus %s: %v", path, err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("prometheus %s: HTTP %d: %s", path, resp.StatusCode, body)
	}
	if err := json.Unmarshal(body, out); err != nil {
		t.Fatalf("prometheus %s: %v", path, err)
	}
}

// query runs an instant PromQL query; scalars come back as one sample.
func (p *promServer) query(t *testing.T, q string) []promSample {
	t.Helper()
	var r struct {
		Data struct {
			ResultType string          `json:"resultType"`
			Result     json.RawMessage `json:"result"`
		} `json:"data"`
	}
	p.get(t, "/api/v1/query?query="+url.QueryEscape(q), &r)
	parse := func(v []any) float64 {
		s, _ := v[1].(string)
		f, err := strconv.ParseFloat(s, 64)
		if err != nil {
			t.Fatalf("query %s: value %v: %v", q, v[1], err)
		}
		return f
	}
	switch r.Data.ResultType {
	case "vector":
		var vec []struct {
			Metric map[string]string `json:"metric"`
			Value  []any             `json:"value"`
		}
		if err := json.Unmarshal(r.Data.Result, &vec); err != nil {
			t.Fatal(err)
		}
		out := make([]promSample, 0, len(vec))
		for _, s := range vec {
			out = append(out, promSample{labels: s.Metric, value: parse(s.Value)})
		}
		return out
	case "scalar":
		var v []any
		if err := json.Unmarshal(r.Data.Result, &v); err != nil {
			t.Fatal(err)
		}
		return []promSample{{value: parse(v)}}
	}
	t.Fatalf("query %s: unexpected result type %q", q, r.Data.ResultType)
	return nil
}

// waitFor waits until q returns a non-empty result.
func (p *promServer) waitFor(t *testing.T, q string, bound time.Duration) {
	t.Helper()
	err := cluster.WaitFor(context.Background(), func() (bool, error) {
		return len(p.query(t, q)) > 0, nil
	}, bound)
	if err != nil {
		t.Fatalf("prometheus: %s stayed empty for %v: %v\n%s", q, bound, err, p.proc.LogTail(20))
	}
}

// waitForAlert waits until an alert with name and labels is in state
// (pending or firing; firing also satisfies pending).
func (p *promServer) waitForAlert(t *testing.T, name string, labels map[string]string, state string, bound time.Duration) {
	t.Helper()
	var last string
	err := cluster.WaitFor(context.Background(), func() (bool, error) {
		var r struct {
			Data struct {
				Alerts []struct {
					Labels map[string]string `json:"labels"`
					State  string            `json:"state"`
				} `json:"alerts"`
			} `json:"data"`
		}
		p.get(t, "/api/v1/alerts", &r)
		b, _ := json.Marshal(r.Data.Alerts)
		last = string(b)
	alerts:
		for _, a := range r.Data.Alerts {
			if a.Labels["alertname"] != name || (a.State != state && a.State != "firing") {
				continue
			}
			for k, v := range labels {
				if a.Labels[k] != v {
					continue alerts
				}
			}
			return true, nil
		}
		return false, nil
	}, bound)
	if err != nil {
		t.Fatalf("alert %s%v not %s within %v; alerts: %s", name, labels, state, bound, last)
	}
}

// dashboardPanel is a panel title and its PromQL queries.
type dashboardPanel struct {
	title string
	exprs []string
}

func readDashboard(t *testing.T) []dashboardPanel {
	t.Helper()
	b, err := os.ReadFile(exampleDashboard)
	if err != nil {
		t.Fatal(err)
	}
	var d struct {
		Panels []struct {
			Title   string `json:"title"`
			Targets []struct {
				Expr string `json:"expr"`
			} `json:"targets"`
		} `json:"panels"`
	}
	if err := json.Unmarshal(b, &d); err != nil {
		t.Fatalf("%s: %v", exampleDashboard, err)
	}
	var out []dashboardPanel
	for _, p := range d.Panels {
		dp := dashboardPanel{title: p.Title}
		for _, tg := range p.Targets {
			if tg.Expr != "" {
				dp.exprs = append(dp.exprs, tg.Expr)
			}
		}
		if len(dp.exprs) == 0 {
			t.Errorf("dashboard panel %q has no query", p.Title)
		}
		out = append(out, dp)
	}
	if len(out) == 0 {
		t.Fatal("dashboard has no panels")
	}
	return out
}

// expectPositive checks some series of a panel is above zero.
func expectPositive(t *testing.T, results map[string][]promSample, panel string) {
	t.Helper()
	for _, s := range results[panel] {
		if s.value > 0 {
			return
		}
	}
	t.Errorf("panel %q = %s, want some value > 0", panel, formatSamples(results[panel]))
}

func expectScalar(t *testing.T, results map[string][]promSample, panel string, want float64) {
	t.Helper()
	got := results[panel]
	if len(got) != 1 || got[0].value != want {
		t.Errorf("panel %q = %s, want %g", panel, formatSamples(got), want)
	}
}

// expectByLabel checks a panel has one series per label value, n in all,
// each with the value want gives.
func expectByLabel(t *testing.T, results map[string][]promSample, panel, label string, want func(string) (float64, bool), n int) {
	t.Helper()
	got := results[panel]
	if len(got) != n {
		t.Errorf("panel %q has %d series, want %d: %s", panel, len(got), n, formatSamples(got))
	}
	for _, s := range got {
		w, ok := want(s.labels[label])
		if !ok || s.value != w {
			t.Errorf("panel %q: %s=%s is %g, want %g (known: %v)", panel, label, s.labels[label], s.value, w, ok)
		}
	}
}

// scrapeMetricNames reads the controller's /metrics with the lab's token and
// returns every sample name, including histogram _bucket/_sum/_count.
func scrapeMetricNames(t *testing.T, l *lab) map[string]bool {
	t.Helper()
	resp, err := l.apiGet("/metrics", 10*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET /metrics: HTTP %d", resp.StatusCode)
	}
	names := map[string]bool{}
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		name, _, _ := strings.Cut(line, " ")
		name, _, _ = strings.Cut(name, "{")
		names[name] = true
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return names
}

var lorisMetricName = regexp.MustCompile(`\bloris_[a-z0-9_]+`)

// metricNamesIn lists the loris metric names the PromQL texts refer to.
func metricNamesIn(texts []string) []string {
	seen := map[string]bool{}
	var out []string
	for _, text := range texts {
		for _, n := range lorisMetricName.FindAllString(text, -1) {
			if !seen[n] {
				seen[n] = true
				out = append(out, n)
			}
		}
	}
	sort.Strings(out)
	return out
}

// attachmentOf returns the controller's record of a lab container.
func attachmentOf(t *testing.T, l *lab, ctr *cluster.Container) topology.Attachment {
	t.Helper()
	resp, err := l.apiGet("/v1/attachments?host="+url.QueryEscape(ctr.Host.Name), 10*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var as []topology.Attachment
	if err := json.NewDecoder(resp.Body).Decode(&as); err != nil {
		t.Fatal(err)
	}
	for _, a := range as {
		if a.Container == ctr.Name {
			return a
		}
	}
	t.Fatalf("no attachment of %s among %+v", ctr.Name, as)
	return topology.Attachment{}
}

// sendSpoofedARP sends n ARP requests from ctr's own MAC whose sender IP
// is not ctr's, through a packet socket in its namespace.
func sendSpoofedARP(t *testing.T, l *lab, ctr *cluster.Container, n int) {
	t.Helper()
	a := attachmentOf(t, l, ctr)
	fd, err := packetSocketIn(ctr.NS, a.IfName)
	if err != nil {
		t.Fatalf("packet socket in %s: %v", ctr.NS, err)
	}
	defer unix.Close(fd)
	frame := make([]byte, 0, 60)
	frame = append(frame, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff)
	frame = append(frame, a.MAC[:]...)
	frame = append(frame, 0x08, 0x06)                      // ARP
	frame = append(frame, 0, 1, 0x08, 0x00, 6, 4, 0, 1)    // Ethernet/IPv4 request
	frame = append(frame, a.MAC[:]...)                     // sender MAC: its own
	frame = append(frame, 10, 244, 1, 77)                  // sender IP: not its own
	frame = append(frame, 0, 0, 0, 0, 0, 0, 10, 244, 1, 2) // target
	frame = append(frame, make([]byte, 60-len(frame))...)  // minimum frame
	for i := 0; i < n; i++ {
		if _, err := unix.Write(fd, frame); err != nil {
			t.Fatalf("sending spoofed ARP: %v", err)
		}
	}
}

// sendFromUnknownMAC sends n frames from ctr with source MAC src.
func sendFromUnknownMAC(t *testing.T, l *lab, ctr *cluster.Container, src [6]byte, n int) {
	t.Helper()
	a := attachmentOf(t, l, ctr)
	fd, err := packetSocketIn(ctr.NS, a.IfName)
	if err != nil {
		t.Fatalf("packet socket in %s: %v", ctr.NS, err)
	}
	defer unix.Close(fd)
	frame := make([]byte, 60)
	copy(frame, []byte{0xff, 0xff, 0xff, 0xff, 0xff, 0xff})
	copy(frame[6:], src[:])
	frame[12], frame[13] = 0x88, 0xb5 // local experimental ethertype
	for i := 0; i < n; i++ {
		if _, err := unix.Write(fd, frame); err != nil {
			t.Fatalf("sending from %x: %v", src, err)
		}
	}
}
