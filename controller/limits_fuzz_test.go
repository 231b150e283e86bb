package controller

import (
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"testing"

	"github.com/lorispack/loris/store"
	"github.com/lorispack/loris/topology"
)

// FuzzAPIDecode sends arbitrary bodies to every POST route: the API must
// never panic nor answer 5xx, and a refused request must change nothing.
func FuzzAPIDecode(f *testing.F) {
	for _, s := range []string{
		`{"name":"h1","datapath_id":"00000000000000a1","tunnel_ip":"198.18.0.1","tunnel":"vxlan"}`,
		`{"name":"web","vni":100}`,
		`{"name":"web","vni":16777216}`,
		`{"host":"h1","container":"c1","ifname":"eth0","pod":"default","mac":"02:00:00:00:00:01","ips":["10.244.0.1/24"],"port":"lv1"}`,
		`{"host":"h1","container":"c1","mac":"ff:ff:ff:ff:ff:ff"}`,
		`{"name":"` + strings.Repeat("a", 300) + `"}`,
		`[]`, `null`, `{"name":1}`, "\x00\xff", `{"name":"a"}{"name":"b"}`,
		`{"attachments":[{"host":"h1","container":"c1","ip":"10.244.0.1/24","port":"lv1"},{"host":"h1","container":"c1","ip":"10.244.0.2/24","port":"lv2"}]}`,
		`{"attachments":[{"host":"h1","container":"c1","ip":"10.244.0.1/24","port":"lv1"}],"attachments":[]}`,
		`{"attachments":[]}`, `{"attachments":[{}]}`,
	} {
		for route := range uint8(4) {
			f.Add(route, s)
		}
	}
	routes := []string{"/v1/hosts", "/v1/pods", "/v1/attachments", "/v1/attachments/batch"}
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	f.Fuzz(func(t *testing.T, route uint8, body string) {
		st := store.NewMemory()
		c, err := New(Config{Store: st, Logger: log})
		if err != nil {
			t.Fatal(err)
		}
		// A host and a pod exist so that attachments can get past lookups.
		if _, _, err := c.AddHost(fuzzHost()); err != nil {
			t.Fatal(err)
		}
		before := c.Snapshot()
		path := routes[int(route)%len(routes)]
		req := httptest.NewRequest(http.MethodPost, path, strings.NewReader(body))
		rec := httptest.NewRecorder()
		c.Handler().ServeHTTP(rec, req)
		code := rec.Code
		if code >= 500 {
			t.Fatalf("POST %s %q: %d %s", path, body, code, rec.Body)
		}
		if code >= 300 && c.Snapshot() != before {
			t.Fatalf("POST %s %q refused with %d but changed the model", path, body, code)
		}
	})
}

func fuzzHost() topology.Host {
	return topology.Host{Name: "h1", DatapathID: 0xa1, TunnelIP: netip.MustParseAddr("198.18.0.1"), Tunnel: topology.TunnelVXLAN}
}
