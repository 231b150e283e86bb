package main

import (
	"errors"
	"fmt"
	"os/exec"
	"slices"
	"strings"
	"testing"

	"github.com/lorispack/loris/topology"
)

var ifaceHeadings = []string{"name", "type", "external_ids"}

const attachedJSON = `{"id":"a1b2c3d4e5f60708","host":"h1","container":"c1","ifname":"eth1","port":"lvbc0ebb0240","mac":"02:00:00:00:00:07","ip":"10.244.1.2/24","pod":"web","created":"2026-11-25T12:00:00Z"}`

// initialisedHost answers the read-only queries attach makes on a host
// whose bridge was made by host init (userspace datapath, tunnel type
// given).
func initialisedHost(tunnel string) *fakeRunner {
	return hostWith(fakeOVS{datapath: "netdev", host: "h1", ports: []string{"loris-tun"}, tunnel: tunnel})
}

// hostWith answers attach's OVSDB read with v; no port link exists.
func hostWith(v fakeOVS) *fakeRunner {
	return (&fakeRunner{}).
		on("find bridge", v.String(), nil).
		on("ip link show dev", `Device "x" does not exist.`, errExit)
}

var attachArgs = []string{"attach", "c1", "--netns", "ns-c1", "--ip", "10.244.1.2/24", "--pod", "web", "--ovsdb", "unix:/d/db.sock"}

// The reads before the controller is asked; they run at once.
var wantReads = []string{
	`ovs-vsctl --db=unix:/d/db.sock --format=json -- --columns=name,datapath_type,external_ids,other_config,ports find bridge name="br-loris" -- --columns=_uuid,name find port -- --columns=name,type,external_ids find interface name="loris-tun" -- --columns=name,type,external_ids find interface external_ids:loris-container="c1" external_ids:loris-ifname="eth1"`,
	`ip link show dev lvbc0ebb0240`,
}

// The plumbing made while the controller is asked, by stage; the commands
// of a stage run at once.
var wantPrepare = [][]string{
	{"ip link add lvbc0ebb0240 mtu 1450 up type veth peer name eth1 netns ns-c1 mtu 1450"},
	{
		"nsenter --net=/var/run/netns/ns-c1 ethtool -K eth1 tx off",
		"ethtool -K lvbc0ebb0240 tx off",
	},
}

// The plumbing after the controller answered.
var wantFinish = [][]string{{
	"ip -n ns-c1 -batch - <<< link set dev eth1 address 02:00:00:00:00:07; addr add 10.244.1.2/24 dev eth1; link set dev eth1 up",
	addPort,
}}

var wantPlumbing = append(slices.Clone(wantPrepare), wantFinish...)

const (
	addPort = `ovs-vsctl --db=unix:/d/db.sock -- add-port br-loris lvbc0ebb0240 -- set interface lvbc0ebb0240 external_ids:loris-attachment="a1b2c3d4e5f60708" external_ids:loris-container="c1" external_ids:loris-ifname="eth1"`
	delVeth = "ip link del lvbc0ebb0240"
	delPort = "ovs-vsctl --db=unix:/d/db.sock --if-exists del-port br-loris lvbc0ebb0240"
)

// undoOf is what reverts each plumbing command that has an undo.
var undoOf = map[string]string{wantPrepare[0][0]: delVeth, addPort: delPort}

func TestAttach(t *testing.T) {
	api := newFakeAPI(t)
	api.reply("POST /v1/attachments", 201, attachedJSON)
	r := initialisedHost("vxlan")
	ta := newTestApp(api.srv.URL, r)
	if code := ta.exec(attachArgs...); code != 0 {
		t.Fatalf("exit %d: %s", code, ta.stderr)
	}
	mustEqualStages(t, "commands", r.recorded(), append([][]string{wantReads}, wantPlumbing...))

	reqs := api.recorded()
	if len(reqs) != 1 {
		t.Fatalf("requests %+v", reqs)
	}
	b := reqs[0].body
	if b["host"] != "h1" || b["container"] != "c1" || b["ifname"] != "eth1" || b["port"] != "lvbc0ebb0240" ||
		b["ip"] != "10.244.1.2/24" || b["pod"] != "web" {
		t.Errorf("POST body %v", b)
	}
	if m, _ := b["mac"].(string); m != "" && m != "00:00:00:00:00:00" {
		t.Errorf("POST asked for MAC %q although --mac was not given", m)
	}
	out := ta.stdout.String()
	for _, w := range []string{"a1b2c3d4e5f60708", "02:00:00:00:00:07", "10.244.1.2/24", "web", "lvbc0ebb0240", "1450"} {
		if !strings.Contains(out, w) {
			t.Errorf("output lacks %q:\n%s", w, out)
		}
	}
}

// MTU follows the tunnel type; a pid namespace uses nsenter; the system
// datapath needs no ethtool.
func TestAttachPidGeneveSystemDatapath(t *testing.T) {
	api := newFakeAPI(t)
	api.reply("POST /v1/attachments", 201, attachedJSON)
	r := hostWith(fakeOVS{host: "h1", ports: []string{"loris-tun"}, tunnel: "geneve"})
	ta := newTestApp(api.srv.URL, r)
	if code := ta.exec("attach", "c1", "--pid", "4242", "--ip", "10.244.1.2/24", "--mac", "02:00:00:00:00:07"); code != 0 {
		t.Fatalf("exit %d: %s", code, ta.stderr)
	}
	joined := strings.Join(r.recorded(), "\n")
	for _, w := range []string{
		"ip link add lvbc0ebb0240 mtu 1400 up type veth peer name eth1 netns 4242 mtu 1400",
		"nsenter --net=/proc/4242/ns/net ip -batch - <<< link set dev eth1 address 02:00:00:00:00:07; addr add 10.244.1.2/24 dev eth1; link set dev eth1 up",
	} {
		if !strings.Contains(joined, w) {
			t.Errorf("missing %q in\n%s", w, joined)
		}
	}
	if strings.Contains(joined, "ethtool") {
		t.Errorf("ethtool used on the system datapath:\n%s", joined)
	}
	if got := api.recorded()[0].body["mac"]; got != "02:00:00:00:00:07" {
		t.Errorf("POST mac %v", got)
	}
}

// A failure at any plumbing step removes what was made and withdraws the
// attachment from the controller; later stages never run.
func TestAttachRollback(t *testing.T) {
	for k, st := range wantPlumbing {
		for _, failing := range st {
			t.Run(fmt.Sprintf("stage%d/%s", k, strings.Fields(failing)[0]), func(t *testing.T) {
				api := newFakeAPI(t)
				api.reply("POST /v1/attachments", 201, attachedJSON)
				api.reply("DELETE /v1/attachments/a1b2c3d4e5f60708", 204, "")
				r := initialisedHost("vxlan")
				// Put the failing rule first so it wins.
				r.rules = append([]fakeRule{{contains: failing, out: "RTNETLINK answers: boom", err: errExit}}, r.rules...)
				ta := newTestApp(api.srv.URL, r)
				if code := ta.exec(attachArgs...); code != 1 {
					t.Fatalf("exit %d, want 1", code)
				}
				if !strings.Contains(ta.stderr.String(), "boom") || !strings.Contains(ta.stderr.String(), "undone") {
					t.Errorf("stderr %q", ta.stderr)
				}
				want := append([][]string{wantReads}, wantPlumbing[:k+1]...)
				// Every command that succeeded up to the failing stage is
				// undone, newest first.
				var undos [][]string
				for _, done := range wantPlumbing[:k+1] {
					for _, c := range done {
						if u, ok := undoOf[c]; ok && c != failing {
							undos = append([][]string{{u}}, undos...)
						}
					}
				}
				want = append(want, undos...)
				mustEqualStages(t, "commands", r.recorded(), want)
				reqs := api.recorded()
				if len(reqs) != 2 || reqs[1].method != "DELETE" || reqs[1].path != "/v1/attachments/a1b2c3d4e5f60708" {
					t.Errorf("controller requests %+v, want POST then DELETE", reqs)
				}
			})
		}
	}
}

func TestAttachRollbackReportsFailedUndo(t *testing.T) {
	api := newFakeAPI(t)
	api.reply("POST /v1/attachments", 201, attachedJSON)
	api.reply("DELETE /v1/attachments/a1b2c3d4e5f60708", 500, `{"error":"store unavailable"}`)
	r := initialisedHost("vxlan")
	r.rules = append([]fakeRule{
		{contains: "ip -n ns-c1 -batch", out: "RTNETLINK answers: File exists", err: errExit},
		{contains: "ip link del lvbc0ebb0240", out: "Operation not permitted", err: errExit},
	}, r.rules...)
	ta := newTestApp(api.srv.URL, r)
	if code := ta.exec(attachArgs...); code != 1 {
		t.Fatalf("exit %d", code)
	}
	msg := ta.stderr.String()
	for _, w := range []string{"File exists", "undoing also failed", "Operation not permitted", "store unavailable"} {
		if !strings.Contains(msg, w) {
			t.Errorf("stderr lacks %q: %s", w, msg)
		}
	}
}

// A controller refusal is shown as the controller worded it, and the veth
// made while it was asked is removed again.
func TestAttachConflictChangesNothing(t *testing.T) {
	api := newFakeAPI(t)
	api.reply("POST /v1/attachments", 409, `{"error":"attachment h1/c1/eth1: IP 10.244.1.2 already used by h2/c9 in pod web: conflict"}`)
	r := initialisedHost("vxlan")
	ta := newTestApp(api.srv.URL, r)
	if code := ta.exec(attachArgs...); code != 1 {
		t.Fatalf("exit %d", code)
	}
	if !strings.Contains(ta.stderr.String(), "IP 10.244.1.2 already used by h2/c9 in pod web") ||
		!strings.Contains(ta.stderr.String(), "409 Conflict") {
		t.Errorf("stderr %q", ta.stderr)
	}
	mustEqualStages(t, "commands", r.recorded(), append(append([][]string{wantReads}, wantPrepare...), []string{delVeth}))
	if reqs := api.recorded(); len(reqs) != 1 {
		t.Errorf("controller requests %+v, want only the refused POST", reqs)
	}
}

// A refusal while making the veth failed too reports the refusal; the
// failed veth needs no undo.
func TestAttachConflictAndFailedVeth(t *testing.T) {
	api := newFakeAPI(t)
	api.reply("POST /v1/attachments", 409, `{"error":"attachment h1/c1/eth1: IP 10.244.1.2 already used by h2/c9 in pod web: conflict"}`)
	r := initialisedHost("vxlan")
	r.rules = append([]fakeRule{{contains: "ip link add", out: "RTNETLINK answers: File exists", err: errExit}}, r.rules...)
	ta := newTestApp(api.srv.URL, r)
	if code := ta.exec(attachArgs...); code != 1 || !strings.Contains(ta.stderr.String(), "already used by h2/c9") {
		t.Fatalf("exit %d stderr %q", code, ta.stderr)
	}
	mustEqualStages(t, "commands", r.recorded(), append([][]string{wantReads}, wantPrepare[0]))
}

// A refusal whose veth cannot be removed says so.
func TestAttachConflictReportsFailedUndo(t *testing.T) {
	api := newFakeAPI(t)
	api.reply("POST /v1/attachments", 409, `{"error":"attachment h1/c1/eth1: already attached (id 5f33543d9e8cc47b): conflict"}`)
	r := initialisedHost("vxlan")
	r.rules = append([]fakeRule{{contains: delVeth, out: "Operation not permitted", err: errExit}}, r.rules...)
	ta := newTestApp(api.srv.URL, r)
	if code := ta.exec(attachArgs...); code != 1 {
		t.Fatalf("exit %d", code)
	}
	msg := ta.stderr.String()
	for _, w := range []string{"already attached", "lorisctl detach c1 --ifname eth1 clears it", "removing the veth made meanwhile also failed", "Operation not permitted"} {
		if !strings.Contains(msg, w) {
			t.Errorf("stderr lacks %q: %s", w, msg)
		}
	}
}

func TestAttachAfterInterruptedAttachHints(t *testing.T) {
	api := newFakeAPI(t)
	api.reply("POST /v1/attachments", 409, `{"error":"attachment h1/c1/eth1: already attached (id 5f33543d9e8cc47b): conflict"}`)
	ta := newTestApp(api.srv.URL, initialisedHost("vxlan"))
	if code := ta.exec(attachArgs...); code != 1 {
		t.Fatalf("exit %d", code)
	}
	if !strings.Contains(ta.stderr.String(), "lorisctl detach c1 --ifname eth1 clears it") {
		t.Errorf("stderr %q", ta.stderr)
	}
}

func TestAttachNeedsInitialisedHost(t *testing.T) {
	for _, tc := range []struct {
		name string
		ovs  fakeOVS
		want string
	}{
		{"no bridge", fakeOVS{noBridge: true, tunnel: "vxlan"}, "bridge br-loris does not exist: run lorisctl host init first"},
		{"no host", fakeOVS{ports: []string{"loris-tun"}, tunnel: "vxlan"}, "bridge br-loris has no loris host: run lorisctl host init first"},
		{"no tunnel interface", fakeOVS{host: "h1", ports: []string{"loris-tun"}}, "bridge br-loris has no loris-tun port"},
		// The tunnel interface exists, but not as a port of this bridge.
		{"tunnel elsewhere", fakeOVS{host: "h1", tunnel: "vxlan"}, "bridge br-loris has no loris-tun port"},
		{"unknown tunnel", fakeOVS{host: "h1", ports: []string{"loris-tun"}, tunnel: "stt"}, `tunnel type "stt", which has no default MTU: give --mtu`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			api := newFakeAPI(t)
			r := hostWith(tc.ovs)
			ta := newTestApp(api.srv.URL, r)
			if code := ta.exec(attachArgs...); code != 1 {
				t.Fatalf("exit %d", code)
			}
			if !strings.Contains(ta.stderr.String(), tc.want) {
				t.Errorf("stderr %q, want %q", ta.stderr, tc.want)
			}
			if len(api.recorded()) != 0 {
				t.Error("controller asked")
			}
			mustEqualStages(t, "commands", r.recorded(), [][]string{wantReads})
		})
	}
}

// A link already named like the port (an interrupted attach left it) is
// refused before the controller is asked.
func TestAttachRefusesLeftoverLink(t *testing.T) {
	api := newFakeAPI(t)
	r := (&fakeRunner{}).on("find bridge", fakeOVS{datapath: "netdev", host: "h1", ports: []string{"loris-tun"}, tunnel: "vxlan"}.String(), nil)
	ta := newTestApp(api.srv.URL, r)
	if code := ta.exec(attachArgs...); code != 1 || !strings.Contains(ta.stderr.String(), "interface lvbc0ebb0240 for c1 eth1 already exists") {
		t.Fatalf("exit %d stderr %q", code, ta.stderr)
	}
	if len(api.recorded()) != 0 {
		t.Error("controller asked")
	}
}

func TestAttachRefusesSecondAttach(t *testing.T) {
	api := newFakeAPI(t)
	r := hostWith(fakeOVS{datapath: "netdev", host: "h1", ports: []string{"loris-tun", "lvbc0ebb0240"}, tunnel: "vxlan",
		labelled: [][]any{{"lvbc0ebb0240", "", ovsMapValue("loris-attachment", "a1b2")}}})
	ta := newTestApp(api.srv.URL, r)
	if code := ta.exec(attachArgs...); code != 1 || !strings.Contains(ta.stderr.String(), "already attached") {
		t.Fatalf("exit %d stderr %q", code, ta.stderr)
	}
	if len(api.recorded()) != 0 {
		t.Error("controller asked")
	}
}

func TestAttachDocker(t *testing.T) {
	api := newFakeAPI(t)
	api.reply("POST /v1/attachments", 201, attachedJSON)

	t.Run("missing", func(t *testing.T) {
		r := initialisedHost("vxlan")
		r.rules = append([]fakeRule{{contains: "docker inspect", err: exec.ErrNotFound}}, r.rules...)
		ta := newTestApp(api.srv.URL, r)
		if code := ta.exec("attach", "web-1", "--ip", "10.244.1.2/24"); code != 1 {
			t.Fatalf("exit %d", code)
		}
		if !strings.Contains(ta.stderr.String(), "docker is not installed: give the container's namespace with --netns NAME or --pid PID") {
			t.Errorf("stderr %q", ta.stderr)
		}
	})
	t.Run("stopped", func(t *testing.T) {
		r := initialisedHost("vxlan")
		r.rules = append([]fakeRule{{contains: "docker inspect -f {{.State.Pid}} web-1", out: "0\n"}}, r.rules...)
		ta := newTestApp(api.srv.URL, r)
		if code := ta.exec("attach", "web-1", "--ip", "10.244.1.2/24"); code != 1 || !strings.Contains(ta.stderr.String(), "not running") {
			t.Fatalf("exit %d stderr %q", code, ta.stderr)
		}
	})
	t.Run("running", func(t *testing.T) {
		r := initialisedHost("vxlan")
		r.rules = append([]fakeRule{{contains: "docker inspect -f {{.State.Pid}} web-1", out: "777\n"}}, r.rules...)
		ta := newTestApp(api.srv.URL, r)
		if code := ta.exec("attach", "web-1", "--ip", "10.244.1.2/24"); code != 0 {
			t.Fatalf("exit %d stderr %q", code, ta.stderr)
		}
		if !strings.Contains(strings.Join(r.recorded(), "\n"), "netns 777") {
			t.Errorf("calls %q", r.recorded())
		}
	})
	if len(api.recorded()) != 1 {
		t.Errorf("controller asked %d times, want once (only the running container)", len(api.recorded()))
	}
}

func TestAttachMissingNamespace(t *testing.T) {
	api := newFakeAPI(t)
	ta := newTestApp(api.srv.URL, initialisedHost("vxlan"))
	ta.app.pathExists = func(p string) bool { return p != "/var/run/netns/ns-c1" }
	if code := ta.exec(attachArgs...); code != 1 || !strings.Contains(ta.stderr.String(), "netns ns-c1 does not exist") {
		t.Fatalf("exit %d stderr %q", code, ta.stderr)
	}
	if len(api.recorded()) != 0 {
		t.Error("controller asked")
	}
}

func TestDetach(t *testing.T) {
	found := func() *fakeRunner {
		return (&fakeRunner{}).on("find bridge", fakeOVS{datapath: "netdev", host: "h1", ports: []string{"loris-tun", "lvbc0ebb0240"}, tunnel: "vxlan",
			labelled: [][]any{{"lvbc0ebb0240", "", ovsMapValue("loris-attachment", "a1b2c3d4e5f60708", "loris-container", "c1", "loris-ifname", "eth1")}}}.String(), nil)
	}
	for _, tc := range []struct {
		name   string
		status int
		want   string
	}{
		{"deleted", 204, "detached c1 eth1: attachment a1b2c3d4e5f60708, port lvbc0ebb0240 removed"},
		{"already gone at controller", 404, "already forgotten"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			api := newFakeAPI(t)
			api.reply("DELETE /v1/attachments/a1b2c3d4e5f60708", tc.status, `{"error":"attachment a1b2c3d4e5f60708: not found"}`)
			r := found()
			ta := newTestApp(api.srv.URL, r)
			if code := ta.exec("detach", "c1", "--ovsdb", "unix:/d/db.sock"); code != 0 {
				t.Fatalf("exit %d: %s", code, ta.stderr)
			}
			calls := r.recorded()
			mustEqualLines(t, "changes", calls[len(calls)-2:], []string{
				"ovs-vsctl --db=unix:/d/db.sock --if-exists del-port br-loris lvbc0ebb0240",
				"ip link del dev lvbc0ebb0240",
			})
			if !strings.Contains(ta.stdout.String(), tc.want) {
				t.Errorf("stdout %q", ta.stdout)
			}
		})
	}
	t.Run("controller error stops detach", func(t *testing.T) {
		api := newFakeAPI(t)
		api.reply("DELETE /v1/attachments/a1b2c3d4e5f60708", 503, `{"error":"not leader"}`)
		r := found()
		ta := newTestApp(api.srv.URL, r)
		if code := ta.exec("detach", "c1"); code != 1 || !strings.Contains(ta.stderr.String(), "not leader") {
			t.Fatalf("exit %d stderr %q", code, ta.stderr)
		}
		for _, c := range r.recorded() {
			if strings.Contains(c, "del-port") || strings.Contains(c, "ip link del") {
				t.Errorf("host changed although the controller still has the attachment: %s", c)
			}
		}
	})
	t.Run("nothing attached", func(t *testing.T) {
		api := newFakeAPI(t) // answers 404 to everything
		r := (&fakeRunner{}).on("find bridge", fakeOVS{datapath: "netdev", host: "h1", ports: []string{"loris-tun"}, tunnel: "vxlan"}.String(), nil).
			on("ip link del dev lvbc0ebb0240", `Cannot find device "lvbc0ebb0240"`, errExit)
		ta := newTestApp(api.srv.URL, r)
		if code := ta.exec("detach", "c1"); code != 0 || !strings.Contains(ta.stdout.String(), "nothing to detach") {
			t.Fatalf("exit %d stdout %q stderr %q", code, ta.stdout, ta.stderr)
		}
	})
	t.Run("interrupted attach", func(t *testing.T) {
		api := newFakeAPI(t)
		id := topology.AttachmentID("h1", "c1", "eth1")
		api.reply("DELETE /v1/attachments/"+id, 204, "")
		r := (&fakeRunner{}).on("find bridge", fakeOVS{datapath: "netdev", host: "h1", ports: []string{"loris-tun"}, tunnel: "vxlan"}.String(), nil)
		ta := newTestApp(api.srv.URL, r)
		if code := ta.exec("detach", "c1"); code != 0 {
			t.Fatalf("exit %d stderr %q", code, ta.stderr)
		}
		out := ta.stdout.String()
		if !strings.Contains(out, "controller record "+id) || !strings.Contains(out, "veth lvbc0ebb0240") {
			t.Errorf("stdout %q", out)
		}
		if calls := r.recorded(); calls[len(calls)-1] != "ip link del dev lvbc0ebb0240" {
			t.Errorf("calls %q", calls)
		}
	})
}

func TestChangesUndoOrder(t *testing.T) {
	r := (&fakeRunner{}).on("c2", "", errors.New("fail"))
	c := &changes{r: r}
	if err := c.run(t.Context(), []stage{{{argv: []string{"a"}, undo: []string{"undo-a"}}}}); err != nil {
		t.Fatal(err)
	}
	err := c.run(t.Context(), []stage{
		{{argv: []string{"b"}, undo: []string{"undo-b"}}, {argv: []string{"b2"}}},
		{{argv: []string{"c"}, undo: []string{"undo-c"}}, {argv: []string{"c2"}, undo: []string{"undo-c2"}}},
		{{argv: []string{"d"}, undo: []string{"undo-d"}}},
	})
	if err == nil || !strings.Contains(err.Error(), "fail") {
		t.Fatalf("error %v", err)
	}
	// c succeeded alongside the failing c2, so it is undone too, first;
	// a, made by the earlier run, last.
	mustEqualStages(t, "calls", r.recorded(), [][]string{{"a"}, {"b", "b2"}, {"c", "c2"}, {"undo-c"}, {"undo-b"}, {"undo-a"}})
	// Undone once only.
	if err := c.undo(t.Context()); err != nil || len(r.recorded()) != 8 {
		t.Errorf("second undo: %v, calls %q", err, r.recorded())
	}
}

// An answer attach cannot use removes the veth made meanwhile; a record
// that was created is withdrawn.
func TestAttachUnusableAnswer(t *testing.T) {
	for _, tc := range []struct {
		name, body, want string
		withdrawn        bool
	}{
		{"multicast MAC", strings.Replace(attachedJSON, "02:00:00:00:00:07", "01:00:5e:00:00:07", 1), "unusable MAC", true},
		{"no id", strings.Replace(attachedJSON, `"id":"a1b2c3d4e5f60708",`, "", 1), "returned no id", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			api := newFakeAPI(t)
			api.reply("POST /v1/attachments", 201, tc.body)
			api.reply("DELETE /v1/attachments/a1b2c3d4e5f60708", 204, "")
			r := initialisedHost("vxlan")
			ta := newTestApp(api.srv.URL, r)
			if code := ta.exec(attachArgs...); code != 1 || !strings.Contains(ta.stderr.String(), tc.want) {
				t.Fatalf("exit %d stderr %q", code, ta.stderr)
			}
			mustEqualStages(t, "commands", r.recorded(), append(append([][]string{wantReads}, wantPrepare...), []string{delVeth}))
			reqs := api.recorded()
			if withdrawn := len(reqs) == 2 && reqs[1].method == "DELETE"; withdrawn != tc.withdrawn {
				t.Errorf("controller requests %+v, withdrawn want %v", reqs, tc.withdrawn)
			}
		})
	}
}
