package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/lorispack/loris/topology"
)

// TestRealOVS runs the built lorisctl against a private ovsdb-server and
// ovs-vswitchd in a fresh network namespace, with a fake controller API
// reachable over a veth from the root namespace.
func TestRealOVS(t *testing.T) {
	if testing.Short() {
		t.Skip("real OVS test skipped in -short mode")
	}
	if os.Geteuid() != 0 {
		t.Skip("real OVS test needs root (network namespaces, veths)")
	}
	for _, bin := range []string{"ovsdb-tool", "ovsdb-server", "ovs-vswitchd", "ovs-vsctl", "ip", "ethtool", "nsenter"} {
		if _, err := exec.LookPath(bin); err != nil {
			t.Skipf("real OVS test needs %s in PATH", bin)
		}
	}
	const schema = "/usr/share/openvswitch/vswitch.ovsschema"
	if _, err := os.Stat(schema); err != nil {
		t.Skipf("real OVS test needs %s", schema)
	}

	bin := buildLorisctl(t)
	attID := topology.AttachmentID("h4host", "ctr1", "eth1")
	// Unique names so parallel runs (and other helpers) do not collide.
	id := os.Getpid() % 100000
	prefix := fmt.Sprintf("h4t%d", id)
	hostNS, ctrNS := prefix+"h", prefix+"c"
	rootVeth, nsVeth := prefix+"r", prefix+"n"
	slot := id % 64
	apiIP := fmt.Sprintf("198.18.250.%d", 4*slot+1)
	hostIP := fmt.Sprintf("198.18.250.%d", 4*slot+2)

	for _, ns := range []string{hostNS, ctrNS} {
		run(t, "ip", "netns", "add", ns)
		t.Cleanup(func() { quiet("ip", "netns", "del", ns) })
	}
	run(t, "ip", "link", "add", rootVeth, "type", "veth", "peer", "name", nsVeth)
	t.Cleanup(func() { quiet("ip", "link", "del", rootVeth) })
	run(t, "ip", "link", "set", nsVeth, "netns", hostNS)
	run(t, "ip", "addr", "add", apiIP+"/30", "dev", rootVeth)
	run(t, "ip", "link", "set", rootVeth, "up")
	run(t, "ip", "-n", hostNS, "addr", "add", hostIP+"/30", "dev", nsVeth)
	run(t, "ip", "-n", hostNS, "link", "set", nsVeth, "up")
	run(t, "ip", "-n", hostNS, "link", "set", "lo", "up")

	dir := startOVS(t, hostNS, schema)
	db := "unix:" + filepath.Join(dir, "db.sock")
	vsctl := func(args ...string) string {
		return run(t, append([]string{"ovs-vsctl", "--db=" + db}, args...)...)
	}

	api := newRecordingAPI(t, apiIP)
	lorisctl := func(args ...string) string {
		full := append([]string{"ip", "netns", "exec", hostNS, bin, "--server", api.url, "--timeout", "20s"}, args...)
		return run(t, full...)
	}

	// host init, twice: the second run must change nothing.
	initArgs := []string{"host", "init", "h4host", "--tunnel-ip", hostIP, "--controller", "tcp:" + apiIP + ":1",
		"--datapath", "netdev", "--ovsdb", db}
	lorisctl(initArgs...)
	before := ovsSnapshot(vsctl)
	// Columns in snapshot order: _uuid, name, datapath_type, fail_mode,
	// protocols, ..., stp_enable, rstp_enable.
	for _, want := range []string{`"br-loris","netdev","secure","OpenFlow13"`, `false,false]]`,
		`["datapath-id","` + hostDatapathID("h4host") + `"]`, `["loris-host","h4host"]`, `["disable-in-band","true"]`,
		`"loris-tun","vxlan"`, `["remote_ip","flow"]`, `["key","flow"]`, `["local_ip","` + hostIP + `"]`, `"tcp:` + apiIP + `:1"`} {
		if !strings.Contains(before, want) {
			t.Errorf("after host init OVSDB lacks %s:\n%s", want, before)
		}
	}
	lorisctl(initArgs...)
	if after := ovsSnapshot(vsctl); after != before {
		t.Errorf("second host init changed OVSDB:\nbefore %s\nafter  %s", before, after)
	}
	if dpid := strings.Trim(strings.TrimSpace(vsctl("get", "bridge", "br-loris", "datapath_id")), `"`); dpid != hostDatapathID("h4host") {
		t.Errorf("switch datapath_id %s, want %s", dpid, hostDatapathID("h4host"))
	}
	if n := api.count("POST /v1/hosts"); n != 2 {
		t.Errorf("POST /v1/hosts %d times, want 2", n)
	}

	// attach into the container namespace.
	out := lorisctl("attach", "ctr1", "--netns", ctrNS, "--ip", "10.244.1.2/24", "--pod", "web", "--ovsdb", db)
	port := hostPortName("ctr1", "eth1")
	if !strings.Contains(out, attID) || !strings.Contains(out, port) {
		t.Errorf("attach output:\n%s", out)
	}
	link := linkInfo(t, ctrNS, "eth1")
	if link.Address != fakeMAC || link.MTU != 1450 || !strings.Contains(strings.Join(link.Flags, ","), "UP") {
		t.Errorf("container interface: %+v", link)
	}
	if !link.hasAddr("10.244.1.2", 24) {
		t.Errorf("container interface lacks 10.244.1.2/24: %+v", link.AddrInfo)
	}
	if !strings.Contains(run(t, "ip", "netns", "exec", ctrNS, "ethtool", "-k", "eth1"), "tx-checksumming: off") {
		t.Error("container end still has TX checksum offload on")
	}
	if !strings.Contains(run(t, "ip", "netns", "exec", hostNS, "ethtool", "-k", port), "tx-checksumming: off") {
		t.Error("host end still has TX checksum offload on")
	}
	if hostEnd := linkInfo(t, hostNS, port); hostEnd.MTU != 1450 || !strings.Contains(strings.Join(hostEnd.Flags, ","), "UP") {
		t.Errorf("host end: %+v", hostEnd)
	}
	if ports := vsctl("list-ports", "br-loris"); !strings.Contains(ports, port) {
		t.Errorf("bridge ports %q lack %s", ports, port)
	}
	ext := vsctl("get", "interface", port, "external_ids")
	for _, want := range []string{`loris-attachment="` + attID + `"`, `loris-container=ctr1`, `loris-ifname=eth1`} {
		if !strings.Contains(ext, want) {
			t.Errorf("port external_ids %s lack %s", ext, want)
		}
	}
	if body := api.lastBody("POST /v1/attachments"); body["host"] != "h4host" || body["port"] != port || body["ip"] != "10.244.1.2/24" {
		t.Errorf("attach request %v", body)
	}

	// A second attach of the same interface is refused before the
	// controller is asked.
	if _, err := runErr("ip", "netns", "exec", hostNS, bin, "--server", api.url, "attach", "ctr1", "--netns", ctrNS,
		"--ip", "10.244.1.3/24", "--ovsdb", db); err == nil || !strings.Contains(err.Error(), "already attached") {
		t.Errorf("second attach: %v", err)
	}
	if n := api.count("POST /v1/attachments"); n != 1 {
		t.Errorf("POST /v1/attachments %d times, want 1", n)
	}

	// A plumbing step that fails (the interface name is taken in the
	// container) undoes everything and withdraws the controller record.
	run(t, "ip", "-n", ctrNS, "link", "add", "eth9", "type", "veth", "peer", "name", "eth9p")
	hostLinks, ctrLinks := linkCount(t, hostNS), linkCount(t, ctrNS)
	_, err := runErr("ip", "netns", "exec", hostNS, bin, "--server", api.url, "attach", "ctr2", "--netns", ctrNS,
		"--ifname", "eth9", "--ip", "10.244.1.9/24", "--ovsdb", db)
	if err == nil || !strings.Contains(err.Error(), "undone") {
		t.Errorf("attach onto a taken ifname: %v", err)
	}
	failedID := topology.AttachmentID("h4host", "ctr2", "eth9")
	if n := api.count("DELETE /v1/attachments/" + failedID); n != 1 {
		t.Errorf("failed attach withdrawn %d times, want 1", n)
	}
	if l := hostPortName("ctr2", "eth9"); linkCount(t, hostNS) != hostLinks || linkCount(t, ctrNS) != ctrLinks {
		t.Errorf("failed attach left links: host %s, container %s (port %s)",
			run(t, "ip", "-n", hostNS, "-o", "link"), run(t, "ip", "-n", ctrNS, "-o", "link"), l)
	}
	if ports := vsctl("list-ports", "br-loris"); strings.Contains(ports, hostPortName("ctr2", "eth9")) {
		t.Errorf("failed attach left a port: %q", ports)
	}

	// A link already named like the port (left by an interrupted attach)
	// is refused before the controller is asked.
	leftover := hostPortName("ctr4", "eth1")
	run(t, "ip", "-n", hostNS, "link", "add", leftover, "type", "veth", "peer", "name", leftover+"p")
	posts := api.count("POST /v1/attachments")
	if _, err := runErr("ip", "netns", "exec", hostNS, bin, "--server", api.url, "attach", "ctr4", "--netns", ctrNS,
		"--ip", "10.244.1.4/24", "--ovsdb", db); err == nil || !strings.Contains(err.Error(), "interface "+leftover+" for ctr4 eth1 already exists") {
		t.Errorf("attach over a leftover link: %v", err)
	}
	if n := api.count("POST /v1/attachments"); n != posts {
		t.Errorf("controller asked although a leftover link exists")
	}
	run(t, "ip", "-n", hostNS, "link", "del", leftover)

	// A container given by a process's pid (the Docker path) works the
	// same way: the veth is made in that process's namespace.
	sleeper := exec.Command("ip", "netns", "exec", ctrNS, "sleep", "60")
	if err := sleeper.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { sleeper.Process.Kill(); sleeper.Wait() })
	pid := strconv.Itoa(sleeper.Process.Pid)
	waitInNetns(t, pid, ctrNS)
	lorisctl("attach", "ctr3", "--pid", pid, "--ifname", "eth3", "--ip", "10.244.1.3/24", "--ovsdb", db)
	if l := linkInfo(t, ctrNS, "eth3"); l.Address != fakeMAC || l.MTU != 1450 || !l.hasAddr("10.244.1.3", 24) {
		t.Errorf("container interface attached by pid: %+v", l)
	}
	lorisctl("detach", "ctr3", "--ifname", "eth3", "--ovsdb", db)
	if _, err := runErr("ip", "-n", ctrNS, "link", "show", "eth3"); err == nil {
		t.Error("container interface attached by pid survived detach")
	}

	// detach removes port and veth; a second detach is a no-op.
	lorisctl("detach", "ctr1", "--ovsdb", db)
	if ports := vsctl("list-ports", "br-loris"); strings.Contains(ports, port) {
		t.Errorf("port %s still on the bridge after detach", port)
	}
	if _, err := runErr("ip", "-n", ctrNS, "link", "show", "eth1"); err == nil {
		t.Error("container interface survived detach")
	}
	if _, err := runErr("ip", "-n", hostNS, "link", "show", port); err == nil {
		t.Error("host veth survived detach")
	}
	if n := api.count("DELETE /v1/attachments/" + attID); n != 1 {
		t.Errorf("DELETE sent %d times, want 1", n)
	}
	if out := lorisctl("detach", "ctr1", "--ovsdb", db); !strings.Contains(out, "nothing to detach") {
		t.Errorf("second detach: %s", out)
	}

	// Attach again, then host cleanup removes the veth and the bridge.
	lorisctl("attach", "ctr1", "--netns", ctrNS, "--ip", "10.244.1.2/24", "--ovsdb", db, "--mtu", "1400")
	if linkInfo(t, ctrNS, "eth1").MTU != 1400 {
		t.Error("--mtu not applied")
	}
	out = lorisctl("host", "cleanup", "--ovsdb", db)
	if !strings.Contains(out, "removed bridge br-loris") || !strings.Contains(out, port) {
		t.Errorf("cleanup output:\n%s", out)
	}
	if brs := vsctl("list-br"); strings.TrimSpace(brs) != "" {
		t.Errorf("bridges left after cleanup: %q", brs)
	}
	if _, err := runErr("ip", "-n", ctrNS, "link", "show", "eth1"); err == nil {
		t.Error("container interface survived cleanup")
	}
	if out := lorisctl("host", "cleanup", "--ovsdb", db); !strings.Contains(out, "nothing to clean up") {
		t.Errorf("second cleanup: %s", out)
	}
}

const fakeMAC = "02:00:00:00:00:42"

// recordingAPI is a fake controller in the root namespace. Like the real
// one it derives attachment ids from host, container and ifname, and
// answers 404 to deleting one it does not have.
type recordingAPI struct {
	url    string
	mu     sync.Mutex
	counts map[string]int
	bodies map[string]map[string]any
	live   map[string]bool // attachment ids
}

func newRecordingAPI(t *testing.T, ip string) *recordingAPI {
	t.Helper()
	ln, err := net.Listen("tcp", net.JoinHostPort(ip, "0"))
	if err != nil {
		t.Fatalf("listen on %s: %v", ip, err)
	}
	a := &recordingAPI{counts: map[string]int{}, bodies: map[string]map[string]any{}, live: map[string]bool{}}
	srv := httptest.NewUnstartedServer(http.HandlerFunc(a.serve))
	srv.Listener.Close()
	srv.Listener = ln
	srv.Start()
	t.Cleanup(srv.Close)
	a.url = srv.URL
	return a
}

func (a *recordingAPI) serve(w http.ResponseWriter, r *http.Request) {
	key := r.Method + " " + r.URL.Path
	var body map[string]any
	raw, _ := io.ReadAll(r.Body)
	_ = json.Unmarshal(raw, &body)
	a.mu.Lock()
	defer a.mu.Unlock()
	a.counts[key]++
	a.bodies[key] = body
	w.Header().Set("Content-Type", "application/json")
	switch {
	case key == "POST /v1/hosts":
		w.WriteHeader(http.StatusCreated)
		w.Write(raw)
	case key == "POST /v1/attachments":
		id := topology.AttachmentID(fmt.Sprint(body["host"]), fmt.Sprint(body["container"]), fmt.Sprint(body["ifname"]))
		a.live[id] = true
		body["id"] = id
		if m, _ := body["mac"].(string); m == "" || m == "00:00:00:00:00:00" {
			body["mac"] = fakeMAC
		}
		if body["pod"] == nil || body["pod"] == "" {
			body["pod"] = "default"
		}
		w.WriteHeader(http.StatusCreated)
		json.NewEncoder(w).Encode(body)
	case strings.HasPrefix(key, "DELETE /v1/attachments/"):
		id := strings.TrimPrefix(r.URL.Path, "/v1/attachments/")
		if !a.live[id] {
			w.WriteHeader(http.StatusNotFound)
			io.WriteString(w, `{"error":"attachment `+id+`: not found"}`)
			return
		}
		delete(a.live, id)
		w.WriteHeader(http.StatusNoContent)
	default:
		w.WriteHeader(http.StatusNotFound)
		io.WriteString(w, `{"error":"not faked"}`)
	}
}

func (a *recordingAPI) count(key string) int {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.counts[key]
}

func (a *recordingAPI) lastBody(key string) map[string]any {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.bodies[key]
}

// buildLorisctl compiles this package; the binary must run inside other
// network namespaces, which an in-process call cannot do.
func buildLorisctl(t *testing.T) string {
	t.Helper()
	out := filepath.Join(t.TempDir(), "lorisctl")
	goBin := filepath.Join(runtime.GOROOT(), "bin", "go")
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, goBin, "build", "-o", out, ".")
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, b)
	}
	return out
}

// startOVS runs ovsdb-server and ovs-vswitchd for one namespace in a
// private directory and stops them, by pid file, when the test ends.
func startOVS(t *testing.T, ns, schema string) string {
	t.Helper()
	dir := t.TempDir()
	run(t, "ovsdb-tool", "create", filepath.Join(dir, "conf.db"), schema)
	env := []string{"env", "OVS_RUNDIR=" + dir, "OVS_LOGDIR=" + dir, "OVS_DBDIR=" + dir}
	inNS := append([]string{"ip", "netns", "exec", ns}, env...)
	sock := "unix:" + filepath.Join(dir, "db.sock")
	run(t, append(inNS, "ovsdb-server", "--remote=p"+sock, "--pidfile="+filepath.Join(dir, "ovsdb.pid"),
		"--detach", "--log-file="+filepath.Join(dir, "ovsdb.log"), filepath.Join(dir, "conf.db"))...)
	t.Cleanup(func() { stopByPidFile(t, filepath.Join(dir, "ovsdb.pid")) })
	run(t, "ovs-vsctl", "--db="+sock, "--no-wait", "init")
	run(t, append(inNS, "ovs-vswitchd", sock, "--pidfile="+filepath.Join(dir, "vswitchd.pid"),
		"--detach", "--log-file="+filepath.Join(dir, "vswitchd.log"))...)
	t.Cleanup(func() { stopByPidFile(t, filepath.Join(dir, "vswitchd.pid")) })
	return dir
}

func stopByPidFile(t *testing.T, path string) {
	b, err := os.ReadFile(path)
	if err != nil {
		return
	}
	pid, err := strconv.Atoi(strings.TrimSpace(string(b)))
	if err != nil || pid <= 1 {
		return
	}
	if syscall.Kill(pid, syscall.SIGTERM) != nil {
		return
	}
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		if syscall.Kill(pid, 0) != nil {
			return
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Logf("pid %d (%s) did not exit after SIGTERM; killing", pid, path)
	syscall.Kill(pid, syscall.SIGKILL)
}

// ovsSnapshot is the OVSDB state host init owns, without columns
// ovs-vswitchd updates on its own.
func ovsSnapshot(vsctl func(...string) string) string {
	return strings.Join([]string{
		vsctl("--format=json", "--columns=_uuid,name,datapath_type,fail_mode,protocols,other_config,external_ids,controller,ports,stp_enable,rstp_enable", "list", "bridge"),
		vsctl("--format=json", "--columns=_uuid,name,interfaces", "list", "port"),
		vsctl("--format=json", "--columns=_uuid,name,type,options,external_ids", "list", "interface"),
		vsctl("--format=json", "--columns=_uuid,target", "list", "controller"),
	}, "\n")
}

type ipLink struct {
	IfName   string   `json:"ifname"`
	Address  string   `json:"address"`
	MTU      int      `json:"mtu"`
	Flags    []string `json:"flags"`
	AddrInfo []struct {
		Local     string `json:"local"`
		PrefixLen int    `json:"prefixlen"`
	} `json:"addr_info"`
}

func (l ipLink) hasAddr(ip string, bits int) bool {
	for _, a := range l.AddrInfo {
		if a.Local == ip && a.PrefixLen == bits {
			return true
		}
	}
	return false
}

func linkInfo(t *testing.T, ns, dev string) ipLink {
	t.Helper()
	var links []ipLink
	out := run(t, "ip", "-n", ns, "-j", "addr", "show", "dev", dev)
	if err := json.Unmarshal([]byte(out), &links); err != nil || len(links) != 1 {
		t.Fatalf("ip -j addr show %s in %s: %v\n%s", dev, ns, err, out)
	}
	return links[0]
}

func run(t *testing.T, argv ...string) string {
	t.Helper()
	out, err := runErr(argv...)
	if err != nil {
		t.Fatalf("%v", err)
	}
	return out
}

func runErr(argv ...string) (string, error) {
	return execRunner{timeout: 60 * time.Second}.run(context.Background(), argv[0], argv[1:]...)
}

func quiet(argv ...string) { _, _ = runErr(argv...) }

// linkCount is the number of links in a namespace.
func linkCount(t *testing.T, ns string) int {
	t.Helper()
	return len(strings.Split(strings.TrimSpace(run(t, "ip", "-n", ns, "-o", "link")), "\n"))
}

// waitInNetns waits (bounded) until process pid has entered the named
// network namespace: `ip netns exec` switches before it execs the command.
func waitInNetns(t *testing.T, pid, ns string) {
	t.Helper()
	var st syscall.Stat_t
	if err := syscall.Stat("/var/run/netns/"+ns, &st); err != nil {
		t.Fatal(err)
	}
	want := fmt.Sprintf("net:[%d]", st.Ino)
	deadline := time.Now().Add(10 * time.Second)
	for {
		if got, err := os.Readlink("/proc/" + pid + "/ns/net"); err == nil && got == want {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("process %s did not enter netns %s within 10s", pid, ns)
		}
		time.Sleep(10 * time.Millisecond)
	}
}
