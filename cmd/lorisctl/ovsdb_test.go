package main

import (
	"context"
	"encoding/json"
	"net"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"
)

// fakeOVSDB serves one JSON-RPC connection on a unix socket: it records
// the request and answers with reply (after a notification, which the
// client must skip).
func fakeOVSDB(t *testing.T, reply func(req map[string]any) any) (db string, requests chan map[string]any) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "db.sock")
	l, err := net.Listen("unix", path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	requests = make(chan map[string]any, 1)
	go func() {
		conn, err := l.Accept()
		if err != nil {
			return
		}
		defer conn.Close()
		var req map[string]any
		if json.NewDecoder(conn).Decode(&req) != nil {
			return
		}
		requests <- req
		enc := json.NewEncoder(conn)
		enc.Encode(map[string]any{"method": "update", "params": []any{nil, map[string]any{}}, "id": nil})
		enc.Encode(reply(req))
	}()
	return "unix:" + path, requests
}

// The same host as fakeOVS renders for ovs-vsctl, as select results.
func selectResults(v fakeOVS) []any {
	var tables [][]map[string]json.RawMessage
	for _, line := range strings.Split(strings.TrimSpace(v.String()), "\n") {
		rows, err := ovsRows(line)
		if err != nil {
			panic(err)
		}
		tables = append(tables, rows)
	}
	var results []any
	for _, rows := range tables {
		if rows == nil {
			rows = []map[string]json.RawMessage{}
		}
		results = append(results, map[string]any{"rows": rows})
	}
	return results
}

func TestAttachViewDirect(t *testing.T) {
	host := fakeOVS{datapath: "netdev", host: "h1", ports: []string{"loris-tun", "lvbc0ebb0240"}, tunnel: "vxlan",
		labelled: [][]any{{"lvbc0ebb0240", "", ovsMapValue("loris-attachment", "a1b2", "loris-container", "c1", "loris-ifname", "eth1")}}}
	db, requests := fakeOVSDB(t, func(req map[string]any) any {
		return map[string]any{"id": req["id"], "result": selectResults(host), "error": nil}
	})
	ovs := ovsctl{r: &fakeRunner{}, db: db, dial: ovsdbDialerFor(db, func(string) string { return "" }, 5*time.Second)}
	got, err := ovs.attachView(t.Context(), "br-loris", "c1", "eth1")
	if err != nil {
		t.Fatal(err)
	}
	want, err := parseAttachView(host.String())
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("direct read\n%+v\nwant what ovs-vsctl's output gives\n%+v", got, want)
	}
	if !got.bridgeFound || got.bridge.externalIDs["loris-host"] != "h1" || !reflect.DeepEqual(got.ports, []string{"loris-tun", "lvbc0ebb0240"}) ||
		got.tunnel == nil || got.tunnel.ifType != "vxlan" || len(got.labelled) != 1 {
		t.Errorf("view %+v", got)
	}
	if calls := ovs.r.(*fakeRunner).recorded(); len(calls) != 0 {
		t.Errorf("ovs-vsctl ran although OVSDB was reachable: %q", calls)
	}
	req := <-requests
	b, _ := json.Marshal(req["params"])
	for _, w := range []string{
		`"Open_vSwitch"`,
		`{"columns":["name","datapath_type","external_ids","other_config","ports"],"op":"select","table":"Bridge","where":[["name","==","br-loris"]]}`,
		`{"columns":["_uuid","name"],"op":"select","table":"Port","where":[]}`,
		`"where":[["external_ids","includes",["map",[["loris-container","c1"],["loris-ifname","eth1"]]]]]`,
	} {
		if !strings.Contains(string(b), w) {
			t.Errorf("transaction lacks %s:\n%s", w, b)
		}
	}
	if req["method"] != "transact" {
		t.Errorf("method %v", req["method"])
	}
}

func TestAttachViewDirectErrors(t *testing.T) {
	for _, tc := range []struct {
		name  string
		reply func(req map[string]any) any
		want  string
	}{
		{"transaction error", func(req map[string]any) any {
			return map[string]any{"id": req["id"], "result": nil, "error": "unknown database"}
		}, "transaction failed"},
		{"operation error", func(req map[string]any) any {
			return map[string]any{"id": req["id"], "error": nil, "result": []any{
				map[string]any{"rows": []any{}}, map[string]any{"error": "unknown column", "details": "no column _uuid"},
				map[string]any{"rows": []any{}}, map[string]any{"rows": []any{}}}}
		}, "select on Port: unknown column: no column _uuid"},
		{"short result", func(req map[string]any) any {
			return map[string]any{"id": req["id"], "error": nil, "result": []any{}}
		}, "0 results for 4 operations"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			db, _ := fakeOVSDB(t, tc.reply)
			ovs := ovsctl{r: &fakeRunner{}, db: db, dial: ovsdbDialerFor(db, func(string) string { return "" }, 5*time.Second)}
			if _, err := ovs.attachView(t.Context(), "br-loris", "c1", "eth1"); err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %v, want %q", err, tc.want)
			}
		})
	}
}

// A server that never answers is given up on at the timeout, and a
// cancelled context stops the wait.
func TestAttachViewDirectBounded(t *testing.T) {
	block := make(chan struct{})
	t.Cleanup(func() { close(block) })
	db, _ := fakeOVSDB(t, func(map[string]any) any { <-block; return nil })
	ovs := ovsctl{r: &fakeRunner{}, db: db, dial: ovsdbDialerFor(db, func(string) string { return "" }, 200*time.Millisecond)}
	start := time.Now()
	if _, err := ovs.attachView(t.Context(), "br-loris", "c1", "eth1"); err == nil {
		t.Fatal("no error from a silent server")
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("gave up after %s", d)
	}

	db2, _ := fakeOVSDB(t, func(map[string]any) any { <-block; return nil })
	ctx, cancel := context.WithCancel(t.Context())
	ovs = ovsctl{r: &fakeRunner{}, db: db2, dial: ovsdbDialerFor(db2, func(string) string { return "" }, 0)}
	errc := make(chan error, 1)
	go func() { _, err := ovs.attachView(ctx, "br-loris", "c1", "eth1"); errc <- err }()
	cancel()
	select {
	case err := <-errc:
		if err == nil {
			t.Error("no error after cancel")
		}
	case <-time.After(5 * time.Second):
		t.Fatal("cancel did not stop the read")
	}
}

// An unreachable database falls back to ovs-vsctl, whose error the user
// knows.
func TestAttachViewFallsBackToVsctl(t *testing.T) {
	db := "unix:" + filepath.Join(t.TempDir(), "absent.sock")
	r := (&fakeRunner{}).on("find bridge", "", &net.OpError{Op: "dial"})
	ovs := ovsctl{r: r, db: db, dial: ovsdbDialerFor(db, func(string) string { return "" }, time.Second)}
	if _, err := ovs.attachView(t.Context(), "br-loris", "c1", "eth1"); err == nil {
		t.Fatal("no error")
	}
	if calls := r.recorded(); len(calls) != 1 || !strings.HasPrefix(calls[0], "ovs-vsctl --db="+db+" --format=json") {
		t.Errorf("calls %q", calls)
	}
}

func TestOVSDBDialerFor(t *testing.T) {
	env := func(k string) string {
		if k == "OVS_RUNDIR" {
			return "/run/h1"
		}
		return ""
	}
	for _, tc := range []struct {
		db     string
		direct bool
	}{
		{"", true}, {"unix:/d/db.sock", true}, {"tcp:127.0.0.1:6640", true}, {"tcp:[::1]:6640", true},
		{"tcp:::1:6640", false}, {"ssl:127.0.0.1:6640", false}, {"punix:/d/db.sock", false},
	} {
		if got := ovsdbDialerFor(tc.db, env, time.Second) != nil; got != tc.direct {
			t.Errorf("%q: direct %v, want %v", tc.db, got, tc.direct)
		}
	}
	// The default follows OVS_RUNDIR like ovs-vsctl: here no socket, so
	// the dial fails naming that path.
	_, err := ovsdbDialerFor("", env, time.Second)(t.Context())
	if err == nil || !strings.Contains(err.Error(), "/run/h1/db.sock") {
		t.Errorf("default dial: %v", err)
	}
}
