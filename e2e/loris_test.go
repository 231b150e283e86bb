package e2e

import (
	"context"
	"crypto/tls"
	"encoding/json"
	"fmt"
	"net/http"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/lorispack/loris/controller"
	"github.com/lorispack/loris/e2e/cluster"
)

// binDir holds loris-controller and lorisctl built once for the package.
var binDir string

func TestMain(m *testing.M) {
	code := func() int {
		if os.Getenv("LORIS_E2E") == "skip" {
			return m.Run()
		}
		dir, err := os.MkdirTemp("", "loris-e2e-bin-")
		if err != nil {
			fmt.Fprintln(os.Stderr, "e2e:", err)
			return 1
		}
		defer os.RemoveAll(dir)
		build := []string{"build", "-o", dir + "/"}
		if os.Getenv("LORIS_E2E_RACE") != "" {
			// make race: the controller runs under the race detector too.
			build = append(build, "-race")
		}
		cmd := exec.Command("go", append(build, "../cmd/loris-controller", "../cmd/lorisctl", "../cmd/loris-bench")...)
		if out, err := cmd.CombinedOutput(); err != nil {
			fmt.Fprintf(os.Stderr, "e2e: building binaries: %v\n%s", err, out)
			return 1
		}
		binDir = dir
		return m.Run()
	}()
	os.Exit(code)
}

// requireE2E skips unless the end-to-end prerequisites are present.
func requireE2E(t testing.TB) {
	t.Helper()
	if os.Getenv("LORIS_E2E") == "skip" {
		t.Skip("end-to-end tests disabled (LORIS_E2E=skip)")
	}
	cluster.Require(t)
}

// lab is a simulated cluster with a loris controller and registered hosts.
type lab struct {
	t      testing.TB
	c      *cluster.Cluster
	ctl    *cluster.Process
	db     string
	server string // API base URL
	token  string // admin bearer token of the API
	tokens string // the controller's --api-token-file
	ofAddr string // tcp:IP:PORT for set-controller
	tunnel string
	ips    map[*cluster.Container]netip.Addr
	pods   map[*cluster.Container]string

	// ctlArgs and lorisctlArgs are extra flags for every controller start
	// and lorisctl run; apiTLS, when set, is how the lab reaches an https API.
	ctlArgs, lorisctlArgs []string
	apiTLS                *tls.Config
}

const (
	openflowPort = 6653
	apiPort      = 6680
)

// newLab builds hosts, starts the controller and runs `lorisctl host init`
// on every host, then waits until every switch is connected and reconciled.
func newLab(t testing.TB, hosts int, tunnel string) *lab {
	t.Helper()
	return newLabWith(t, hosts, tunnel, nil)
}

// newLabWith is newLab with setup run once the hosts exist, before the
// controller starts (to change its flags, for example).
func newLabWith(t testing.TB, hosts int, tunnel string, setup func(*lab)) *lab {
	t.Helper()
	return newLabOpts(t, labOptions{hosts: hosts, tunnel: tunnel, setup: setup, staticRoutes: true})
}

// labOptions: staticRoutes runs the hosts' vswitchd as docs/reliability.md
// recommends for the userspace datapath (cluster.Options.StaticTunnelRoutes,
// lorisctl host init --tunnel-local-ip=false); every lab does, except
// TestPortChurn's measurement of what happens without it.
type labOptions struct {
	hosts        int
	tunnel       string
	setup        func(*lab)
	staticRoutes bool
}

func newLabOpts(t testing.TB, o labOptions) *lab {
	t.Helper()
	hosts, tunnel, setup := o.hosts, o.tunnel, o.setup
	c := cluster.New(t, cluster.Options{Hosts: hosts, StaticTunnelRoutes: o.staticRoutes})
	l := &lab{
		t: t, c: c, tunnel: tunnel,
		db:     filepath.Join(t.TempDir(), "loris.db"),
		server: fmt.Sprintf("http://%s", netip.AddrPortFrom(c.ControllerIP, apiPort)),
		ofAddr: fmt.Sprintf("tcp:%s", netip.AddrPortFrom(c.ControllerIP, openflowPort)),
		ips:    map[*cluster.Container]netip.Addr{},
		pods:   map[*cluster.Container]string{},
	}
	l.tokens = filepath.Join(t.TempDir(), "tokens")
	l.token = writeTokenFile(t, l.tokens)
	if setup != nil {
		setup(l)
	}
	l.startController()
	for _, h := range c.Hosts {
		l.lorisctl(h, "host", "init", h.Name, "--tunnel-ip", h.TunnelIP.String(), "--controller", l.ofAddr,
			"--tunnel", tunnel, "--datapath", "netdev", "--ovsdb", h.DB, fmt.Sprintf("--tunnel-local-ip=%v", !o.staticRoutes))
	}
	l.waitConverged()
	return l
}

func (l *lab) startController() {
	l.t.Helper()
	l.ctl = l.c.StartProcess("loris-controller", append([]string{
		filepath.Join(binDir, "loris-controller"),
		"--openflow-addr", netip.AddrPortFrom(l.c.ControllerIP, openflowPort).String(),
		"--api-addr", netip.AddrPortFrom(l.c.ControllerIP, apiPort).String(),
		"--db", l.db, "--log-level", "debug",
		"--api-token-file", l.tokens,
	}, l.ctlArgs...), nil)
	err := cluster.WaitFor(context.Background(), func() (bool, error) {
		_, err := l.status()
		return err == nil, nil
	}, 10*time.Second)
	if err != nil {
		l.t.Fatalf("controller API did not come up: %v\n%s", err, l.ctl.LogTail(30))
	}
}

// lorisctl runs lorisctl inside a host's namespace and fails on error.
func (l *lab) lorisctl(h *cluster.Host, args ...string) string {
	l.t.Helper()
	out, err := l.tryLorisctl(h, args...)
	if err != nil {
		l.t.Fatalf("lorisctl %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return out
}

func (l *lab) tryLorisctl(h *cluster.Host, args ...string) (string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	full := append(append([]string{"--server", l.server, "--token", l.token}, l.lorisctlArgs...), args...)
	return h.Run(ctx, filepath.Join(binDir, "lorisctl"), full...)
}

func (l *lab) status() (controller.Status, error) {
	var st controller.Status
	resp, err := l.apiGet("/v1/status", 2*time.Second)
	if err != nil {
		return st, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return st, fmt.Errorf("status: HTTP %d", resp.StatusCode)
	}
	return st, json.NewDecoder(resp.Body).Decode(&st)
}

// waitSettled waits (up to limit) until every host's switch is connected
// and has applied the latest change, and returns that status.
func (l *lab) waitSettled(limit time.Duration) controller.Status {
	l.t.Helper()
	var last controller.Status
	err := cluster.WaitFor(context.Background(), func() (bool, error) {
		st, err := l.status()
		if err != nil {
			return false, nil
		}
		last = st
		if len(st.Switches) != len(l.c.Hosts) {
			return false, nil
		}
		for _, s := range st.Switches {
			if !s.Connected || s.Reconciles == 0 || s.LastError != "" || s.Pending {
				return false, nil
			}
		}
		return true, nil
	}, limit)
	if err != nil {
		l.t.Fatalf("switches did not settle within %v: %v\nlast status: %+v\ncontroller log:\n%s", limit, err, last, l.ctl.LogTail(40))
	}
	return last
}

// waitConverged waits until every host's switch is connected and its last
// reconciliation succeeded after the latest model change.
func (l *lab) waitConverged() controller.Status {
	l.t.Helper()
	return l.waitSettled(30 * time.Second)
}

// attach creates a container on h and attaches it to pod with ip.
func (l *lab) attach(h *cluster.Host, name, pod, ip string) *cluster.Container {
	l.t.Helper()
	ctr := l.c.AddContainer(h, name)
	// IPv6 off: its autoconfiguration chatter would blur the broadcast counts.
	if out, err := ctr.Run(context.Background(), "sysctl", "-qw", "net.ipv6.conf.all.disable_ipv6=1"); err != nil {
		l.t.Fatalf("sysctl in %s: %v\n%s", name, err, out)
	}
	args := []string{"attach", name, "--ip", ip, "--netns", ctr.NS, "--ovsdb", h.DB}
	if pod != "" {
		args = append(args, "--pod", pod)
	}
	l.lorisctl(h, args...)
	l.ips[ctr] = netip.MustParsePrefix(ip).Addr()
	if pod == "" {
		pod = "default"
	}
	l.pods[ctr] = pod
	return ctr
}

// podVNI asks the API for a pod's VNI.
func (l *lab) podVNI(name string) uint32 {
	l.t.Helper()
	resp, err := l.apiGet("/v1/pods/"+name, 5*time.Second)
	if err != nil {
		l.t.Fatalf("pod %s: %v", name, err)
	}
	defer resp.Body.Close()
	var p controller.PodDetail
	if err := json.NewDecoder(resp.Body).Decode(&p); err != nil || p.VNI == 0 {
		l.t.Fatalf("pod %s: HTTP %d, %v", name, resp.StatusCode, err)
	}
	return p.VNI
}
