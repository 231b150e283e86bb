package main

import (
	"strings"
	"testing"
)

var bridgeHeadings = []string{"name", "datapath_type", "external_ids", "other_config"}

func TestHostInitArgs(t *testing.T) {
	cfg := hostBridgeConfig{
		bridge: "br-loris", host: "h1", tunnelIP: "198.18.0.1", tunnel: "geneve",
		datapath: "netdev", datapathID: "0012f3613c213e72", controller: "tcp:198.18.0.254:6653",
	}
	want := `-- --may-exist add-br br-loris -- set bridge br-loris datapath_type=netdev fail_mode=secure protocols=OpenFlow13 stp_enable=false rstp_enable=false other-config:disable-in-band=true other-config:datapath-id=0012f3613c213e72 external_ids:loris-host="h1" external_ids:loris-tunnel-ip="198.18.0.1" -- --may-exist add-port br-loris loris-tun -- set interface loris-tun type=geneve options:remote_ip=flow options:key=flow options:local_ip="198.18.0.1"`
	if got := strings.Join(hostInitArgs(cfg, false), " "); got != want {
		t.Errorf("without controller:\ngot  %s\nwant %s", got, want)
	}
	cfg.noLocalIP = true
	noLocal := strings.Replace(want, ` options:local_ip="198.18.0.1"`, ` -- remove interface loris-tun options local_ip`, 1)
	if got := strings.Join(hostInitArgs(cfg, false), " "); got != noLocal {
		t.Errorf("without local_ip:\ngot  %s\nwant %s", got, noLocal)
	}
	cfg.noLocalIP = false
	if got := strings.Join(hostInitArgs(cfg, true), " "); got != want+" -- set-controller br-loris tcp:198.18.0.254:6653" {
		t.Errorf("with controller:\ngot  %s", got)
	}
}

func TestHostInitNewBridge(t *testing.T) {
	api := newFakeAPI(t)
	api.reply("POST /v1/hosts", 201, `{"name":"h1","datapath_id":"0012f3613c213e72","tunnel_ip":"198.18.0.1","tunnel":"vxlan"}`)
	r := (&fakeRunner{}).on("find bridge", ovsTable(bridgeHeadings), nil)
	ta := newTestApp(api.srv.URL, r)
	if code := ta.exec("host", "init", "h1", "--tunnel-ip", "198.18.0.1", "--controller", "tcp:198.18.0.254:6653",
		"--datapath", "netdev", "--ovsdb", "unix:/tmp/x/db.sock"); code != 0 {
		t.Fatalf("exit %d: %s", code, ta.stderr)
	}
	mustEqualLines(t, "commands", r.recorded(), []string{
		`ovs-vsctl --db=unix:/tmp/x/db.sock --format=json --columns=name,datapath_type,external_ids,other_config find bridge name="br-loris"`,
		`ovs-vsctl --db=unix:/tmp/x/db.sock -- --may-exist add-br br-loris -- set bridge br-loris datapath_type=netdev fail_mode=secure protocols=OpenFlow13 stp_enable=false rstp_enable=false other-config:disable-in-band=true other-config:datapath-id=0012f3613c213e72 external_ids:loris-host="h1" external_ids:loris-tunnel-ip="198.18.0.1" -- --may-exist add-port br-loris loris-tun -- set interface loris-tun type=vxlan options:remote_ip=flow options:key=flow options:local_ip="198.18.0.1" -- set-controller br-loris tcp:198.18.0.254:6653`,
	})
	reqs := api.recorded()
	if len(reqs) != 1 || reqs[0].method != "POST" || reqs[0].path != "/v1/hosts" {
		t.Fatalf("requests %+v", reqs)
	}
	b := reqs[0].body
	if b["name"] != "h1" || b["datapath_id"] != "0012f3613c213e72" || b["tunnel_ip"] != "198.18.0.1" || b["tunnel"] != "vxlan" {
		t.Errorf("POST body %v", b)
	}
	if !strings.Contains(ta.stdout.String(), "host h1 initialised") {
		t.Errorf("stdout %q", ta.stdout)
	}
}

// A second init with the same options must keep the bridge's datapath id
// and not replace the controller (which would reset the connection).
func TestHostInitExistingBridgeKeepsIDAndController(t *testing.T) {
	api := newFakeAPI(t)
	api.reply("POST /v1/hosts", 200, `{"name":"h1","datapath_id":"00000000000000aa","tunnel_ip":"198.18.0.1","tunnel":"vxlan"}`)
	r := (&fakeRunner{}).
		on("find bridge", ovsTable(bridgeHeadings, []any{"br-loris", "netdev",
			ovsMapValue("loris-host", "h1"), ovsMapValue("datapath-id", "00000000000000aa")}), nil).
		on("get-controller br-loris", "tcp:198.18.0.254:6653\n", nil)
	ta := newTestApp(api.srv.URL, r)
	if code := ta.exec("host", "init", "h1", "--tunnel-ip", "198.18.0.1", "--controller", "tcp:198.18.0.254:6653", "--datapath", "netdev"); code != 0 {
		t.Fatalf("exit %d: %s", code, ta.stderr)
	}
	calls := r.recorded()
	if len(calls) != 3 {
		t.Fatalf("calls %q", calls)
	}
	if strings.Contains(calls[2], "set-controller") {
		t.Errorf("controller replaced although unchanged: %s", calls[2])
	}
	if !strings.Contains(calls[2], "other-config:datapath-id=00000000000000aa ") {
		t.Errorf("existing datapath id not kept: %s", calls[2])
	}
	if got := api.recorded()[0].body["datapath_id"]; got != "00000000000000aa" {
		t.Errorf("registered datapath id %v", got)
	}
	if !strings.Contains(ta.stdout.String(), "host h1 updated") {
		t.Errorf("stdout %q", ta.stdout)
	}
}

func TestHostInitRefusesOtherHostsBridge(t *testing.T) {
	api := newFakeAPI(t)
	r := (&fakeRunner{}).
		on("find bridge", ovsTable(bridgeHeadings, []any{"br-loris", "", ovsMapValue("loris-host", "h2"), ovsMapValue()}), nil)
	ta := newTestApp(api.srv.URL, r)
	if code := ta.exec("host", "init", "h1", "--tunnel-ip", "198.18.0.1", "--controller", "tcp:198.18.0.254:6653"); code != 1 {
		t.Fatalf("exit %d", code)
	}
	if !strings.Contains(ta.stderr.String(), `already belongs to loris host "h2"`) {
		t.Errorf("stderr %q", ta.stderr)
	}
	if len(api.recorded()) != 0 || len(r.recorded()) != 2 {
		t.Errorf("changed something: requests %+v calls %q", api.recorded(), r.recorded())
	}
}

// A host the controller refuses must leave the bridge untouched.
func TestHostInitControllerRefusal(t *testing.T) {
	api := newFakeAPI(t)
	api.reply("POST /v1/hosts", 409, `{"error":"host h1: tunnel IP 198.18.0.1 already used by h0: conflict"}`)
	r := (&fakeRunner{}).on("find bridge", ovsTable(bridgeHeadings), nil)
	ta := newTestApp(api.srv.URL, r)
	if code := ta.exec("host", "init", "h1", "--tunnel-ip", "198.18.0.1", "--controller", "tcp:198.18.0.254:6653"); code != 1 {
		t.Fatalf("exit %d", code)
	}
	if !strings.Contains(ta.stderr.String(), "already used by h0") || !strings.Contains(ta.stderr.String(), "409") {
		t.Errorf("stderr %q", ta.stderr)
	}
	for _, c := range r.recorded() {
		if strings.Contains(c, "add-br") {
			t.Errorf("bridge configured despite refusal: %s", c)
		}
	}
}

func TestHostCleanup(t *testing.T) {
	api := newFakeAPI(t)
	r := (&fakeRunner{}).
		on("find bridge", ovsTable(bridgeHeadings, []any{"br-loris", "netdev", ovsMapValue("loris-host", "h1"), ovsMapValue()}), nil).
		on("get-controller", "", nil).
		on("list-ports br-loris", "loris-tun\nlvaaaa\nlvbbbb\nother\n", nil).
		on("find interface", ovsTable([]string{"name", "type", "external_ids"},
			[]any{"loris-tun", "vxlan", ovsMapValue()},
			[]any{"lvbbbb", "", ovsMapValue("loris-attachment", "b")},
			[]any{"lvaaaa", "", ovsMapValue("loris-attachment", "a")},
			[]any{"lvcccc", "", ovsMapValue("loris-attachment", "c")}, // on another bridge
			[]any{"other", "", ovsMapValue()}), nil).
		on("ip link del dev lvbbbb", "Cannot find device \"lvbbbb\"", errExit)
	ta := newTestApp(api.srv.URL, r)
	if code := ta.exec("host", "cleanup", "--ovsdb", "unix:/d/db.sock"); code != 0 {
		t.Fatalf("exit %d: %s", code, ta.stderr)
	}
	calls := r.recorded()
	mustEqualLines(t, "commands", calls[len(calls)-3:], []string{
		"ovs-vsctl --db=unix:/d/db.sock --if-exists del-br br-loris",
		"ip link del dev lvaaaa",
		"ip link del dev lvbbbb",
	})
	out := ta.stdout.String()
	if !strings.Contains(out, "removed bridge br-loris") || !strings.Contains(out, "lvaaaa") || strings.Contains(out, "lvcccc") {
		t.Errorf("stdout %q", out)
	}
	if len(api.recorded()) != 0 {
		t.Errorf("cleanup contacted the controller")
	}

	// Again, with the bridge gone: says so and succeeds.
	r2 := (&fakeRunner{}).on("find bridge", ovsTable(bridgeHeadings), nil)
	ta2 := newTestApp(api.srv.URL, r2)
	if code := ta2.exec("host", "cleanup"); code != 0 || !strings.Contains(ta2.stdout.String(), "nothing to clean up") {
		t.Fatalf("exit %d stdout %q stderr %q", code, ta2.stdout, ta2.stderr)
	}
}

func TestHostCleanupRefusesForeignBridge(t *testing.T) {
	api := newFakeAPI(t)
	r := (&fakeRunner{}).on("find bridge", ovsTable(bridgeHeadings, []any{"br-loris", "", ovsMapValue(), ovsMapValue()}), nil)
	ta := newTestApp(api.srv.URL, r)
	if code := ta.exec("host", "cleanup"); code != 1 || !strings.Contains(ta.stderr.String(), "not removing it") {
		t.Fatalf("exit %d stderr %q", code, ta.stderr)
	}
	for _, c := range r.recorded() {
		if strings.Contains(c, "del-br") {
			t.Fatalf("foreign bridge deleted")
		}
	}
}
