package controller

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/lorispack/loris/store"
	"github.com/lorispack/loris/topology"
)

func newTestAPI(t *testing.T, st store.Store) (*Controller, *httptest.Server) {
	t.Helper()
	if st == nil {
		st = store.NewMemory()
	}
	c, err := New(Config{Store: st, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(c.Handler())
	t.Cleanup(srv.Close)
	return c, srv
}

func call(t *testing.T, srv *httptest.Server, method, path, body string) (int, string) {
	t.Helper()
	req, err := http.NewRequest(method, srv.URL+path, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

func TestAPIStatusCodes(t *testing.T) {
	_, srv := newTestAPI(t, nil)
	host := `{"name":"h1","datapath_id":"00000000000000a1","tunnel_ip":"198.18.0.1","tunnel":"vxlan"}`
	steps := []struct {
		method, path, body string
		code               int
		contains           string
	}{
		{"POST", "/v1/hosts", host, 201, `"h1"`},
		{"POST", "/v1/hosts", host, 200, `"h1"`}, // idempotent
		{"POST", "/v1/hosts", `{"name":"h2","datapath_id":"00000000000000a1","tunnel_ip":"198.18.0.2","tunnel":"vxlan"}`, 409, "error"},
		{"POST", "/v1/hosts", `{"name":"h3","datapath_id":"zz","tunnel_ip":"198.18.0.3"}`, 400, "error"},
		{"POST", "/v1/hosts", `{"name":"h3", "bogus": 1}`, 400, "unknown field"},
		{"POST", "/v1/hosts", `{"name":"h3"} {"x":1}`, 400, "trailing"},
		{"POST", "/v1/pods", `{"name":"blue"}`, 201, `"vni"`},
		{"POST", "/v1/pods", `{"name":"blue"}`, 409, "error"},
		{"POST", "/v1/pods", `{"name":"Bad Name!"}`, 400, "error"},
		{"POST", "/v1/attachments", `{"host":"h1","container":"c1","ifname":"eth1","port":"lv1","ip":"10.244.0.1/16","pod":"blue"}`, 201, `"mac"`},
		{"POST", "/v1/attachments", `{"host":"h1","container":"c2","ifname":"eth1","port":"lv2","ip":"10.244.0.1/16","pod":"blue"}`, 409, "10.244.0.1"},
		{"POST", "/v1/attachments", `{"host":"h1","container":"c3","ifname":"eth1","port":"lv3","ip":"10.244.0.3/16","pod":"nope"}`, 404, "nope"},
		{"POST", "/v1/attachments", `{"host":"h1","container":"c3","ifname":"eth1","port":"lv3","ip":"10.244.0.300/16"}`, 400, "error"},
		{"POST", "/v1/attachments", `{"host":"h1","container":"c3","ifname":"eth1","port":"lv3","ip":"10.244.0.3/16","mac":"01:00:00:00:00:01"}`, 400, "error"},
		{"POST", "/v1/attachments", `{"host":"h9","container":"c3","ifname":"eth1","port":"lv3","ip":"10.244.0.3/16"}`, 404, "h9"},
		{"GET", "/v1/pods/blue", "", 200, `"c1"`},
		{"GET", "/v1/pods/none", "", 404, "error"},
		{"DELETE", "/v1/pods/blue", "", 409, "error"},
		{"DELETE", "/v1/pods/blue?force=maybe", "", 400, "boolean"},
		{"DELETE", "/v1/pods/blue?force=true", "", 204, ""},
		{"DELETE", "/v1/pods/default", "", 400, "error"},
		{"DELETE", "/v1/attachments/0123456789abcdef", "", 404, "error"},
		{"GET", "/v1/status", "", 200, `"switches"`},
	}
	for i, s := range steps {
		code, body := call(t, srv, s.method, s.path, s.body)
		if code != s.code || !strings.Contains(body, s.contains) {
			t.Errorf("step %d %s %s %s: got %d %s, want %d containing %q", i, s.method, s.path, s.body, code, body, s.code, s.contains)
		}
		if code >= 400 {
			var e apiError
			if err := json.Unmarshal([]byte(body), &e); err != nil || e.Error == "" {
				t.Errorf("step %d: error body is not {\"error\":...}: %s", i, body)
			}
		}
	}
}

func TestAPIBodyLimit(t *testing.T) {
	_, srv := newTestAPI(t, nil)
	big := `{"name":"` + strings.Repeat("a", maxBodyBytes) + `"}`
	code, _ := call(t, srv, "POST", "/v1/pods", big)
	if code != http.StatusBadRequest {
		t.Fatalf("oversized body: got %d, want 400", code)
	}
}

// failingStore fails every update, as a full disk would.
type failingStore struct{ store.Store }

func (failingStore) Update(func(store.Tx) error) error { return errors.New("disk full") }

func TestFailedPersistChangesNothing(t *testing.T) {
	c, srv := newTestAPI(t, failingStore{store.NewMemory()})
	code, body := call(t, srv, "POST", "/v1/pods", `{"name":"blue"}`)
	if code != http.StatusInternalServerError || !strings.Contains(body, "disk full") {
		t.Fatalf("got %d %s, want 500 naming the store error", code, body)
	}
	if _, ok := c.Snapshot().Pod("blue"); ok {
		t.Fatal("a pod whose write failed is in the model")
	}
}

func TestStateSurvivesRestart(t *testing.T) {
	st := store.NewMemory()
	_, srv := newTestAPI(t, st)
	call(t, srv, "POST", "/v1/hosts", `{"name":"h1","datapath_id":"00000000000000a1","tunnel_ip":"198.18.0.1","tunnel":"vxlan"}`)
	call(t, srv, "POST", "/v1/pods", `{"name":"blue","vni":77}`)
	code, body := call(t, srv, "POST", "/v1/attachments", `{"host":"h1","container":"c1","ifname":"eth1","port":"lv1","ip":"10.244.0.1/16","pod":"blue"}`)
	if code != 201 {
		t.Fatalf("attach: %d %s", code, body)
	}
	c2, _ := newTestAPI(t, st)
	snap := c2.Snapshot()
	if p, ok := snap.Pod("blue"); !ok || p.VNI != 77 {
		t.Fatalf("pod blue after restart: %+v %v", p, ok)
	}
	if m := snap.Members("blue"); len(m) != 1 || m[0].Container != "c1" {
		t.Fatalf("members after restart: %+v", m)
	}
	var a topology.Attachment
	json.NewDecoder(bytes.NewReader([]byte(body))).Decode(&a)
	if m := snap.Members("blue"); m[0].MAC != a.MAC {
		t.Fatalf("MAC changed across restart: %v vs %v", m[0].MAC, a.MAC)
	}
}
