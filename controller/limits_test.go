package controller

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/lorispack/loris/topology"
)

func TestMsgBudgetRefillsAtRate(t *testing.T) {
	now := time.Unix(1000, 0)
	b := newMsgBudget(10, 5, func() time.Time { return now })
	for i := range 5 {
		if !b.take() {
			t.Fatalf("message %d of the burst refused", i)
		}
	}
	if b.take() {
		t.Fatal("message beyond the burst accepted")
	}
	now = now.Add(300 * time.Millisecond) // 3 messages' worth at 10/s
	for i := range 3 {
		if !b.take() {
			t.Fatalf("refilled message %d refused", i)
		}
	}
	if b.take() {
		t.Fatal("more than the refill accepted")
	}
	now = now.Add(time.Hour) // refill is capped at the burst
	n := 0
	for b.take() {
		n++
	}
	if n != 5 {
		t.Fatalf("after a long pause %d messages accepted, want the burst of 5", n)
	}
}

// TestAPIRejectsBadInput sends each class of bad input the API must refuse
// with 400 and checks that none of them changed the model.
func TestAPIRejectsBadInput(t *testing.T) {
	c, srv := newTestAPI(t, nil)
	host := `{"name":"h1","datapath_id":"00000000000000a1","tunnel_ip":"198.18.0.1","tunnel":"vxlan"}`
	if code, body := call(t, srv, "POST", "/v1/hosts", host); code != 201 {
		t.Fatalf("setup host: %d %s", code, body)
	}
	if code, body := call(t, srv, "POST", "/v1/pods", `{"name":"web","vni":100}`); code != 201 {
		t.Fatalf("setup pod: %d %s", code, body)
	}
	att := func(fields string) string {
		return `{"host":"h1","container":"c1","ifname":"eth0","pod":"web"` + fields + `}`
	}
	bad := []struct{ name, path, body string }{
		{"body over 1 MiB", "/v1/pods", `{"name":"` + strings.Repeat("a", 2<<20) + `"}`},
		{"not JSON", "/v1/pods", `name=web`},
		{"unknown field", "/v1/pods", `{"name":"x","owner":"me"}`},
		{"two objects", "/v1/pods", `{"name":"x"}{"name":"y"}`},
		{"pod name uppercase", "/v1/pods", `{"name":"Web"}`},
		{"pod name with slash", "/v1/pods", `{"name":"a/b"}`},
		{"pod name too long", "/v1/pods", `{"name":"` + strings.Repeat("a", 64) + `"}`},
		{"pod name empty", "/v1/pods", `{"name":""}`},
		{"VNI above 24 bits", "/v1/pods", `{"name":"x","vni":16777216}`},
		{"VNI negative", "/v1/pods", `{"name":"x","vni":-1}`},
		{"host name with space", "/v1/hosts", `{"name":"h 2","datapath_id":"00000000000000a2","tunnel_ip":"198.18.0.2"}`},
		{"datapath id zero", "/v1/hosts", `{"name":"h2","datapath_id":"0000000000000000","tunnel_ip":"198.18.0.2"}`},
		{"datapath id not hex", "/v1/hosts", `{"name":"h2","datapath_id":"zz","tunnel_ip":"198.18.0.2"}`},
		{"tunnel IP IPv6", "/v1/hosts", `{"name":"h2","datapath_id":"00000000000000a2","tunnel_ip":"2001:db8::1"}`},
		{"tunnel IP multicast", "/v1/hosts", `{"name":"h2","datapath_id":"00000000000000a2","tunnel_ip":"224.0.0.1"}`},
		{"tunnel type unknown", "/v1/hosts", `{"name":"h2","datapath_id":"00000000000000a2","tunnel_ip":"198.18.0.2","tunnel":"ipip"}`},
		{"MAC broadcast", "/v1/attachments", att(`,"mac":"ff:ff:ff:ff:ff:ff","ip":"10.244.0.1/24"`)},
		{"MAC multicast", "/v1/attachments", att(`,"mac":"01:00:5e:00:00:01","ip":"10.244.0.1/24"`)},
		{"MAC short last octet", "/v1/attachments", att(`,"mac":"00:00:00:00:00:0","ip":"10.244.0.1/24"`)},
		{"MAC malformed", "/v1/attachments", att(`,"mac":"02:00:00:00:00","ip":"10.244.0.1/24"`)},
		{"IP without prefix", "/v1/attachments", att(`,"ip":"10.244.0.1"`)},
		{"IP network address", "/v1/attachments", att(`,"ip":"10.244.0.0/24"`)},
		{"IP broadcast address", "/v1/attachments", att(`,"ip":"10.244.0.255/24"`)},
		{"IP multicast", "/v1/attachments", att(`,"ip":"224.0.0.1/24"`)},
		{"container name with slash", "/v1/attachments", `{"host":"h1","container":"a/b","ifname":"eth0","pod":"web","ip":"10.244.0.1/24"}`},
		{"ifname too long", "/v1/attachments", `{"host":"h1","container":"c1","ifname":"eth0123456789012","pod":"web","ip":"10.244.0.1/24"}`},
		{"reserved port name", "/v1/attachments", att(`,"port":"` + topology.ReservedPortPrefix + `x","ip":"10.244.0.1/24"`)},
		{"id not derived", "/v1/attachments", att(`,"id":"forged","ip":"10.244.0.1/24"`)},
	}
	before := c.Snapshot()
	for _, b := range bad {
		code, body := call(t, srv, "POST", b.path, b.body)
		if code != http.StatusBadRequest {
			t.Errorf("%s: POST %s answered %d, want 400: %.200s", b.name, b.path, code, body)
		}
	}
	if c.Snapshot() != before {
		t.Error("refused requests changed the model")
	}
	t.Logf("%d classes of bad input refused with 400", len(bad))
}
