package main

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"
)

func TestAPIErrorMapping(t *testing.T) {
	cases := []struct {
		name   string
		status int
		body   string
		want   []string
	}{
		{"conflict json", 409, `{"error":"pod web: VNI 100 already used by pod db: conflict"}`,
			[]string{"409 Conflict", "pod web: VNI 100 already used by pod db: conflict", "POST /v1/pods"}},
		{"invalid", 400, `{"error":"pod name \"x y\": invalid"}`, []string{"400 Bad Request", `pod name "x y": invalid`}},
		{"server text", 502, "<html>bad gateway</html>", []string{"502 Bad Gateway", "<html>bad gateway</html>"}},
		{"empty body", 500, "", []string{"500 Internal Server Error", "no error message"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			api := newFakeAPI(t)
			api.reply("POST /v1/pods", tc.status, tc.body)
			ta := newTestApp(api.srv.URL, &fakeRunner{})
			if code := ta.exec("pod", "create", "web", "--vni", "100"); code != 1 {
				t.Fatalf("exit %d", code)
			}
			for _, w := range tc.want {
				if !strings.Contains(ta.stderr.String(), w) {
					t.Errorf("stderr %q lacks %q", ta.stderr, w)
				}
			}
			if got := api.recorded()[0].body; got["name"] != "web" || got["vni"] != float64(100) {
				t.Errorf("POST body %v", got)
			}
		})
	}
}

func TestUnreachableController(t *testing.T) {
	api := newFakeAPI(t)
	url := api.srv.URL
	api.srv.Close()
	ta := newTestApp(url, &fakeRunner{})
	if code := ta.exec("status"); code != 1 {
		t.Fatalf("exit %d", code)
	}
	if !strings.Contains(ta.stderr.String(), "cannot reach controller at "+url) {
		t.Errorf("stderr %q", ta.stderr)
	}
}

func TestServerFlagForms(t *testing.T) {
	for in, want := range map[string]string{
		"127.0.0.1:6680":   "http://127.0.0.1:6680",
		"http://ctl:6680/": "http://ctl:6680",
		"https://ctl/api":  "https://ctl/api",
	} {
		u, err := parseServer(in)
		if err != nil || u.String() != want {
			t.Errorf("parseServer(%q) = %v, %v; want %s", in, u, err, want)
		}
	}
	for _, bad := range []string{"", "ftp://x", "http://"} {
		if _, err := parseServer(bad); err == nil {
			t.Errorf("parseServer(%q) accepted", bad)
		}
	}
	// --server beats LORIS_SERVER.
	api := newFakeAPI(t)
	api.reply("GET /v1/pods", 200, `[]`)
	ta := newTestApp("http://127.0.0.1:1", &fakeRunner{})
	if code := ta.exec("--server", api.srv.URL, "pod", "list"); code != 0 {
		t.Fatalf("exit %d: %s", code, ta.stderr)
	}
}

const statusJSON = `{"version":"0.1.0","started":"2026-11-25T10:00:00Z","switches":[
 {"host":"h1","datapath_id":"0012f3613c213e72","connected":true,"remote":"198.18.0.1:41234","since":"2026-11-25T10:00:05Z","flows":12,"groups":2,"last_reconcile":"2026-11-25T11:59:30Z","last_error":""},
 {"host":"h2","datapath_id":"00000000000000bb","connected":false,"remote":"","since":"0001-01-01T00:00:00Z","flows":0,"groups":0,"last_reconcile":"0001-01-01T00:00:00Z","last_error":"dial: refused"}]}`

func TestStatusTable(t *testing.T) {
	api := newFakeAPI(t)
	api.reply("GET /v1/status", 200, statusJSON)
	ta := newTestApp(api.srv.URL, &fakeRunner{})
	if code := ta.exec("status"); code != 0 {
		t.Fatalf("exit %d: %s", code, ta.stderr)
	}
	want := `Version:   0.1.0
Started:   2026-11-25T10:00:00Z (up 2h0m)
Switches:  1 connected of 2

HOST  STATE         UPTIME  FLOWS  LAST RECONCILE  LAST ERROR
h1    connected     1h59m   12     30s ago         -
h2    disconnected  -       0      -               dial: refused
`
	if got := ta.stdout.String(); got != want {
		t.Errorf("got:\n%s\nwant:\n%s", got, want)
	}
}

func TestSwitchesTableAndJSON(t *testing.T) {
	api := newFakeAPI(t)
	api.reply("GET /v1/status", 200, statusJSON)
	ta := newTestApp(api.srv.URL, &fakeRunner{})
	if code := ta.exec("switches"); code != 0 {
		t.Fatalf("exit %d: %s", code, ta.stderr)
	}
	lines := strings.Split(strings.TrimSpace(ta.stdout.String()), "\n")
	if len(lines) != 3 || !strings.HasPrefix(lines[0], "HOST") ||
		!strings.Contains(lines[1], "198.18.0.1:41234") || !strings.Contains(lines[1], "2026-11-25T10:00:05Z") ||
		!strings.Contains(lines[2], "disconnected") {
		t.Errorf("table:\n%s", ta.stdout)
	}

	ta = newTestApp(api.srv.URL, &fakeRunner{})
	if code := ta.exec("switches", "-o", "json"); code != 0 {
		t.Fatalf("exit %d: %s", code, ta.stderr)
	}
	var got, want any
	if err := json.Unmarshal(ta.stdout.Bytes(), &got); err != nil {
		t.Fatalf("-o json printed non-JSON: %v\n%s", err, ta.stdout)
	}
	_ = json.Unmarshal([]byte(statusJSON), &want)
	a, _ := json.Marshal(got)
	b, _ := json.Marshal(want)
	if string(a) != string(b) {
		t.Errorf("-o json is not the controller's JSON:\n%s", ta.stdout)
	}
}

func TestPodCommands(t *testing.T) {
	api := newFakeAPI(t)
	api.reply("GET /v1/pods", 200, `[{"name":"default","vni":1},{"name":"web","vni":100}]`)
	api.reply("GET /v1/pods/web", 200, `{"name":"web","vni":100,"members":[`+attachedJSON+`]}`)
	api.reply("DELETE /v1/pods/web", 204, ``)
	api.reply("GET /v1/hosts", 200, `[{"name":"h1","datapath_id":"0012f3613c213e72","tunnel_ip":"198.18.0.1","tunnel":"vxlan"}]`)
	api.reply("DELETE /v1/hosts/h1", 204, ``)

	run := func(args ...string) string {
		t.Helper()
		ta := newTestApp(api.srv.URL, &fakeRunner{})
		if code := ta.exec(args...); code != 0 {
			t.Fatalf("%v: exit %d: %s", args, code, ta.stderr)
		}
		return ta.stdout.String()
	}
	if got := run("pod", "list"); got != "NAME     VNI\ndefault  1\nweb      100\n" {
		t.Errorf("pod list:\n%s", got)
	}
	show := run("pod", "show", "web")
	for _, w := range []string{"Pod:      web", "VNI:      100", "CONTAINER", "c1", "h1", "eth1", "02:00:00:00:00:07", "10.244.1.2/24"} {
		if !strings.Contains(show, w) {
			t.Errorf("pod show lacks %q:\n%s", w, show)
		}
	}
	if got := run("pod", "delete", "web", "--force"); got != "pod web deleted\n" {
		t.Errorf("pod delete: %q", got)
	}
	if got := run("host", "list"); !strings.Contains(got, "h1    0012f3613c213e72  198.18.0.1  vxlan") {
		t.Errorf("host list:\n%s", got)
	}
	run("host", "remove", "h1")
	reqs := api.recorded()
	var deletes []string
	for _, r := range reqs {
		if r.method == http.MethodDelete {
			deletes = append(deletes, r.path+"?"+r.query)
		}
	}
	mustEqualLines(t, "deletes", deletes, []string{"/v1/pods/web?force=true", "/v1/hosts/h1?"})
}

func TestNotFoundPod(t *testing.T) {
	api := newFakeAPI(t)
	api.reply("GET /v1/pods/nope", 404, `{"error":"pod \"nope\": not found"}`)
	ta := newTestApp(api.srv.URL, &fakeRunner{})
	if code := ta.exec("pod", "show", "nope"); code != 1 || !strings.Contains(ta.stderr.String(), `pod "nope": not found`) {
		t.Fatalf("exit %d stderr %q", code, ta.stderr)
	}
}

func TestAttachmentsList(t *testing.T) {
	api := newFakeAPI(t)
	api.reply("GET /v1/attachments", 200, `[`+attachedJSON+`]`)
	ta := newTestApp(api.srv.URL, &fakeRunner{})
	if code := ta.exec("attachments", "--pod", "web", "--host", "h1"); code != 0 {
		t.Fatalf("exit %d: %s", code, ta.stderr)
	}
	want := "POD  CONTAINER  HOST  IFNAME  MAC                IP             PORT          ID\n" +
		"web  c1         h1    eth1    02:00:00:00:00:07  10.244.1.2/24  lvbc0ebb0240  a1b2c3d4e5f60708\n"
	if got := ta.stdout.String(); got != want {
		t.Errorf("got:\n%s\nwant:\n%s", got, want)
	}
	if q := api.recorded()[0].query; q != "host=h1&pod=web" {
		t.Errorf("query %q", q)
	}
}

func TestSwitchPendingState(t *testing.T) {
	api := newFakeAPI(t)
	api.reply("GET /v1/status", 200, `{"version":"x","started":"2026-11-25T11:00:00Z","switches":[{"host":"h1","connected":true,"pending":true,"ports":3}]}`)
	ta := newTestApp(api.srv.URL, &fakeRunner{})
	if code := ta.exec("switches"); code != 0 {
		t.Fatalf("exit %d: %s", code, ta.stderr)
	}
	if !strings.Contains(ta.stdout.String(), "connected, pending") {
		t.Errorf("table:\n%s", ta.stdout)
	}
}
