package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
)

// fakeRunner records every command and answers from rules: the first rule
// whose text occurs in the command line decides the output or error;
// commands no rule matches succeed with no output.
type fakeRunner struct {
	mu    sync.Mutex
	calls []string
	rules []fakeRule
}

type fakeRule struct {
	contains string
	out      string
	err      error
	// times limits how often the rule applies (0 = always).
	times int
	used  int
}

func (f *fakeRunner) on(contains, out string, err error) *fakeRunner {
	f.rules = append(f.rules, fakeRule{contains: contains, out: out, err: err})
	return f
}

func (f *fakeRunner) run(ctx context.Context, name string, args ...string) (string, error) {
	return f.runInput(ctx, "", name, args...)
}

// runInput records stdin after " <<< ", its lines joined by "; ".
func (f *fakeRunner) runInput(_ context.Context, input, name string, args ...string) (string, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	line := strings.Join(append([]string{name}, args...), " ")
	if input != "" {
		line += " <<< " + strings.Join(strings.Split(strings.TrimSpace(input), "\n"), "; ")
	}
	f.calls = append(f.calls, line)
	for i := range f.rules {
		r := &f.rules[i]
		if r.times > 0 && r.used >= r.times {
			continue
		}
		if strings.Contains(line, r.contains) {
			r.used++
			if r.err != nil {
				return r.out, &commandError{argv: append([]string{name}, args...), output: r.out, err: r.err}
			}
			return r.out, nil
		}
	}
	return "", nil
}

func (f *fakeRunner) recorded() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]string(nil), f.calls...)
}

var errExit = errors.New("exit status 1")

// apiRequest is one request the fake controller received.
type apiRequest struct {
	method, path, query string
	body                map[string]any
}

// fakeAPI is an httptest controller: handlers keyed by "METHOD /path"
// answer with a status and a body, and every request is recorded.
type fakeAPI struct {
	srv      *httptest.Server
	mu       sync.Mutex
	requests []apiRequest
	replies  map[string]apiReply
}

type apiReply struct {
	status int
	body   string
}

func newFakeAPI(t *testing.T) *fakeAPI {
	t.Helper()
	f := &fakeAPI{replies: map[string]apiReply{}}
	f.srv = httptest.NewServer(http.HandlerFunc(f.serve))
	t.Cleanup(f.srv.Close)
	return f
}

func (f *fakeAPI) reply(methodPath string, status int, body string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.replies[methodPath] = apiReply{status, body}
}

func (f *fakeAPI) serve(w http.ResponseWriter, r *http.Request) {
	raw, _ := io.ReadAll(r.Body)
	req := apiRequest{method: r.Method, path: r.URL.Path, query: r.URL.RawQuery}
	if len(bytes.TrimSpace(raw)) > 0 {
		_ = json.Unmarshal(raw, &req.body)
	}
	f.mu.Lock()
	f.requests = append(f.requests, req)
	rep, ok := f.replies[r.Method+" "+r.URL.Path]
	f.mu.Unlock()
	if !ok {
		rep = apiReply{http.StatusNotFound, `{"error":"no fake reply for ` + r.Method + " " + r.URL.Path + `"}`}
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(rep.status)
	io.WriteString(w, rep.body)
}

func (f *fakeAPI) recorded() []apiRequest {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]apiRequest(nil), f.requests...)
}

// testApp wires an app to fakes. Every namespace path exists unless
// listed in missing.
type testApp struct {
	app            *app
	stdout, stderr *bytes.Buffer
	runner         *fakeRunner
}

func newTestApp(server string, r *fakeRunner) *testApp {
	var out, errb bytes.Buffer
	a := &app{
		stdout: &out,
		stderr: &errb,
		getenv: func(k string) string {
			if k == "LORIS_SERVER" {
				return server
			}
			return ""
		},
		run:        r,
		pathExists: func(string) bool { return true },
		now:        func() time.Time { return time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC) },
	}
	return &testApp{app: a, stdout: &out, stderr: &errb, runner: r}
}

func (ta *testApp) exec(args ...string) int {
	return execute(context.Background(), ta.app, args)
}

// ovsTable renders rows the way `ovs-vsctl --format=json` does.
func ovsTable(headings []string, rows ...[]any) string {
	b, _ := json.Marshal(map[string]any{"headings": headings, "data": rows})
	return string(b)
}

func ovsMapValue(kv ...string) []any {
	pairs := []any{}
	for i := 0; i+1 < len(kv); i += 2 {
		pairs = append(pairs, []any{kv[i], kv[i+1]})
	}
	return []any{"map", pairs}
}

func mustEqualLines(t *testing.T, what string, got, want []string) {
	t.Helper()
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Fatalf("%s:\ngot:\n  %s\nwant:\n  %s", what, strings.Join(got, "\n  "), strings.Join(want, "\n  "))
	}
}

// mustEqualStages checks calls against groups of commands that run at the
// same time: the groups in order, each group's commands in any order.
func mustEqualStages(t *testing.T, what string, calls []string, stages [][]string) {
	t.Helper()
	var got, want []string
	rest := calls
	for _, st := range stages {
		n := min(len(st), len(rest))
		group := slices.Clone(rest[:n])
		rest = rest[n:]
		slices.Sort(group)
		got = append(got, group...)
		w := slices.Clone(st)
		slices.Sort(w)
		want = append(want, w...)
	}
	got = append(got, rest...)
	mustEqualLines(t, what, got, want)
}

// fakeOVS renders what `ovs-vsctl` prints for attachViewArgs: four JSON
// tables (bridge, ports, loris-tun interface, labelled interfaces).
type fakeOVS struct {
	noBridge bool
	datapath string
	host     string   // the bridge's loris-host ("" = none)
	ports    []string // ports on the bridge
	tunnel   string   // type of the loris-tun interface ("" = no interface)
	labelled [][]any  // rows name, type, external_ids
}

func (v fakeOVS) String() string {
	uuid := func(name string) []any { return []any{"uuid", "u-" + name} }
	var bridges, ports, tunnels [][]any
	if !v.noBridge {
		var members []any
		for _, p := range v.ports {
			members = append(members, uuid(p))
			ports = append(ports, []any{uuid(p), p})
		}
		ext := ovsMapValue()
		if v.host != "" {
			ext = ovsMapValue("loris-host", v.host)
		}
		bridges = append(bridges, []any{"br-loris", v.datapath, ext, ovsMapValue(), []any{"set", members}})
	}
	// A port elsewhere, so membership is really checked.
	ports = append(ports, []any{uuid("other"), "other"})
	if v.tunnel != "" {
		tunnels = append(tunnels, []any{"loris-tun", v.tunnel, ovsMapValue()})
	}
	return strings.Join([]string{
		ovsTable([]string{"name", "datapath_type", "external_ids", "other_config", "ports"}, bridges...),
		ovsTable([]string{"_uuid", "name"}, ports...),
		ovsTable(ifaceHeadings, tunnels...),
		ovsTable(ifaceHeadings, v.labelled...),
	}, "\n") + "\n"
}
