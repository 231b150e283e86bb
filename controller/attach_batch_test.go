package controller

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/lorispack/loris/store"
	"github.com/lorispack/loris/topology"
)

// batchFixture is a controller with hosts h1, h2 and pods blue, red.
func batchFixture(t *testing.T, st store.Store) (*Controller, *httptest.Server) {
	t.Helper()
	c, srv := newTestAPI(t, st)
	for i, name := range []string{"h1", "h2"} {
		if _, _, err := c.AddHost(topology.Host{Name: name, DatapathID: topology.DatapathID(0xa1 + i),
			TunnelIP: netip.AddrFrom4([4]byte{198, 18, 0, byte(1 + i)}), Tunnel: topology.TunnelVXLAN}); err != nil {
			t.Fatal(err)
		}
	}
	for _, p := range []string{"blue", "red"} {
		if _, err := c.AddPod(p, 0); err != nil {
			t.Fatal(err)
		}
	}
	return c, srv
}

func batchItem(host, container, pod string, n int) topology.Attachment {
	return topology.Attachment{Host: host, Container: container, IfName: "eth0", Port: fmt.Sprintf("bp%d", n), Pod: pod,
		IP: netip.PrefixFrom(netip.AddrFrom4([4]byte{10, 244, byte(n >> 8), byte(n + 1)}), 16)}
}

func batchBody(t *testing.T, as ...topology.Attachment) string {
	t.Helper()
	b, err := json.Marshal(attachBatchRequest{Attachments: as})
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// modelState is the controller's whole model, for before/after checks.
func modelState(c *Controller) topology.State {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.model.State()
}

func TestAttachBatchPersistsEveryItem(t *testing.T) {
	path := filepath.Join(t.TempDir(), "loris.db")
	st, err := store.OpenBolt(path, store.BoltOptions{})
	if err != nil {
		t.Fatal(err)
	}
	c, srv := batchFixture(t, st)
	var as []topology.Attachment
	for n := range 40 {
		as = append(as, batchItem([]string{"h1", "h2"}[n%2], fmt.Sprintf("c%d", n), []string{"blue", "red", ""}[n%3], n))
	}
	code, body := call(t, srv, "POST", "/v1/attachments/batch", batchBody(t, as...))
	if code != http.StatusCreated {
		t.Fatalf("batch: %d %s", code, body)
	}
	var reply attachBatchRequest
	if err := json.Unmarshal([]byte(body), &reply); err != nil {
		t.Fatal(err)
	}
	if len(reply.Attachments) != len(as) {
		t.Fatalf("reply holds %d attachments, want %d", len(reply.Attachments), len(as))
	}
	snap := c.Snapshot()
	for k, got := range reply.Attachments {
		want := as[k]
		if got.Container != want.Container || got.ID != topology.AttachmentID(want.Host, want.Container, want.IfName) ||
			got.MAC.IsZero() || got.Created.IsZero() || (want.Pod == "" && got.Pod != topology.DefaultPod) {
			t.Errorf("item %d: reply %+v does not match request %+v with defaults applied", k, got, want)
		}
		if inModel, ok := snap.Attachment(got.ID); !ok || inModel != got {
			t.Errorf("item %d: model holds %+v, %v; want %+v", k, inModel, ok, got)
		}
	}

	// Everything reached the file: a controller on the reopened store
	// holds the same attachments.
	if err := st.Close(); err != nil {
		t.Fatal(err)
	}
	st2, err := store.OpenBolt(path, store.BoltOptions{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st2.Close() })
	saved, err := st2.Load()
	if err != nil {
		t.Fatal(err)
	}
	byID := map[string]topology.Attachment{}
	for _, a := range saved.Attachments {
		byID[a.ID] = a
	}
	if len(byID) != len(as) {
		t.Fatalf("store holds %d attachments, want %d", len(byID), len(as))
	}
	for k, a := range reply.Attachments {
		if s := byID[a.ID]; !s.Created.Equal(a.Created) || s.MAC != a.MAC || s.IP != a.IP || s.Pod != a.Pod || s.Port != a.Port {
			t.Errorf("item %d: stored %+v, replied %+v", k, s, a)
		}
	}
}

// TestAttachBatchRefusalChangesNothing: an item refused in the middle of a
// batch leaves model, snapshot and store as they were, the error names the
// item, and the status is what a single attach of it would get.
func TestAttachBatchRefusalChangesNothing(t *testing.T) {
	st := store.NewMemory()
	c, srv := batchFixture(t, st)
	held, err := c.Attach(batchItem("h1", "held", "blue", 100))
	if err != nil {
		t.Fatal(err)
	}
	good := []topology.Attachment{batchItem("h1", "c0", "blue", 0), batchItem("h2", "c1", "red", 1), batchItem("h1", "c2", "", 2)}
	samePort := batchItem("h1", "x", "red", 7)
	samePort.Port = held.Port
	sameMAC := batchItem("h2", "x", "blue", 7)
	sameMAC.MAC = held.MAC
	badIP := batchItem("h2", "x", "blue", 7)
	badIP.IP = netip.MustParsePrefix("10.244.0.0/16")
	noPod := batchItem("h2", "x", "green", 7)
	noHost := batchItem("h9", "x", "blue", 7)

	for name, tc := range map[string]struct {
		bad  topology.Attachment
		code int
	}{
		"port in use":     {samePort, http.StatusConflict},
		"MAC in use":      {sameMAC, http.StatusConflict},
		"network address": {badIP, http.StatusBadRequest},
		"unknown pod":     {noPod, http.StatusNotFound},
		"unknown host":    {noHost, http.StatusNotFound},
	} {
		t.Run(name, func(t *testing.T) {
			model, snap := modelState(c), c.Snapshot()
			stored, err := st.Load()
			if err != nil {
				t.Fatal(err)
			}
			batch := []topology.Attachment{good[0], good[1], tc.bad, good[2]}
			code, body := call(t, srv, "POST", "/v1/attachments/batch", batchBody(t, batch...))
			if code != tc.code || !strings.Contains(body, "attachment 2 (") {
				t.Fatalf("got %d %s; want %d naming attachment 2", code, body, tc.code)
			}
			alone, err := json.Marshal(tc.bad)
			if err != nil {
				t.Fatal(err)
			}
			if single, _ := call(t, srv, "POST", "/v1/attachments", string(alone)); single != tc.code {
				t.Errorf("single attach of the item: %d, batch: %d", single, tc.code)
			}
			if after := modelState(c); !reflect.DeepEqual(model, after) {
				t.Fatalf("refused batch changed the model:\nbefore %+v\nafter  %+v", model, after)
			}
			if c.Snapshot() != snap {
				t.Fatal("refused batch published a new snapshot")
			}
			if after, err := st.Load(); err != nil || !reflect.DeepEqual(stored, after) {
				t.Fatalf("refused batch changed the store (%v)", err)
			}
		})
	}
	// The undo gave back the IDs, ports, IPs and MACs the first items
	// took: the same good items go in afterwards, with the same MACs.
	out, err := c.AttachBatch(good)
	if err != nil {
		t.Fatalf("good items after refusals: %v", err)
	}
	for k, a := range out {
		if a.MAC != macFor(c, a) {
			t.Errorf("item %d: MAC %s", k, a.MAC)
		}
	}
	// The MAC in use was refused twice, by the batch and by the single
	// call: two conflict events, like two single calls.
	if evs := c.Events(0); len(evs) != 2 || evs[0].Kind != EventConflict || evs[0].HolderID != held.ID || evs[0].MAC != held.MAC.String() {
		t.Fatalf("want two conflict events for the MAC in use, got %+v", evs)
	}
}

// macFor is the MAC a lone attach of a's interface would be given, from a
// model holding only the hosts and pods.
func macFor(c *Controller, a topology.Attachment) topology.MAC {
	m := topology.New()
	snap := c.Snapshot()
	for _, h := range snap.Hosts {
		m.AddHost(h)
	}
	for _, p := range snap.Pods {
		if p.Name != topology.DefaultPod {
			m.AddPod(p.Name, p.VNI)
		}
	}
	a.MAC = topology.MAC{}
	got, err := m.Attach(a)
	if err != nil {
		return topology.MAC{}
	}
	return got.MAC
}

func TestAttachBatchRefusesDuplicatesWithinIt(t *testing.T) {
	c, srv := batchFixture(t, nil)
	first := batchItem("h1", "c0", "blue", 0)
	withMAC := first
	withMAC.MAC = topology.MAC{0x02, 0, 0, 0, 0, 0x42}
	for name, second := range map[string]topology.Attachment{
		"same interface": func() topology.Attachment { a := batchItem("h1", "c0", "red", 1); return a }(),
		"same port":      func() topology.Attachment { a := batchItem("h1", "c1", "red", 1); a.Port = first.Port; return a }(),
		"same IP in pod": func() topology.Attachment { a := batchItem("h2", "c1", "blue", 1); a.IP = first.IP; return a }(),
		"same MAC in pod": func() topology.Attachment {
			a := batchItem("h2", "c1", "blue", 1)
			a.MAC = withMAC.MAC
			return a
		}(),
	} {
		t.Run(name, func(t *testing.T) {
			head := first
			if name == "same MAC in pod" {
				head = withMAC
			}
			before := modelState(c)
			code, body := call(t, srv, "POST", "/v1/attachments/batch", batchBody(t, head, second))
			if code != http.StatusConflict || !strings.Contains(body, "attachment 1 (") {
				t.Fatalf("got %d %s; want 409 naming attachment 1", code, body)
			}
			if after := modelState(c); !reflect.DeepEqual(before, after) {
				t.Fatal("refused batch changed the model")
			}
		})
	}
	// Pods are separate L2 domains: the same MAC and IP in two pods is fine.
	other := batchItem("h2", "c1", "red", 1)
	other.MAC, other.IP = withMAC.MAC, withMAC.IP
	if _, err := c.AttachBatch([]topology.Attachment{withMAC, other}); err != nil {
		t.Fatalf("same MAC and IP in two pods: %v", err)
	}
}

func TestAttachBatchRefusesBadRequests(t *testing.T) {
	c, srv := batchFixture(t, nil)
	var many strings.Builder
	many.WriteString(`{"attachments":[`)
	for n := range maxBatchAttachments + 1 {
		if n > 0 {
			many.WriteByte(',')
		}
		m := n + 1
		fmt.Fprintf(&many, `{"host":"h1","container":"c%d","ifname":"eth0","ip":"10.%d.%d.%d/8"}`, n, m>>16&255, m>>8&255, m&255)
	}
	many.WriteString(`]}`)
	huge := `{"attachments":[{"host":"h1","container":"` + strings.Repeat("c", maxBatchBodyBytes) + `"}]}`
	one := batchBody(t, batchItem("h1", "c0", "blue", 0))
	for _, tc := range []struct {
		name, body string
		code       int
		contains   string
	}{
		{"empty list", `{"attachments":[]}`, 400, "empty"},
		{"no list", `{}`, 400, "empty"},
		{"null list", `{"attachments":null}`, 400, "error"},
		{"not an object", `[]`, 400, "error"},
		{"unknown top field", `{"attachments":[],"force":true}`, 400, "unknown field"},
		{"unknown item field", `{"attachments":[{"host":"h1","bogus":1}]}`, 400, "unknown field"},
		{"list twice", `{"attachments":[],"attachments":[]}`, 400, "twice"},
		{"trailing data", one + ` {}`, 400, "trailing"},
		{"truncated", one[:len(one)-3], 400, "error"},
		{"too many items", many.String(), 413, fmt.Sprint(maxBatchAttachments)},
		{"too many bytes", huge, 413, "error"},
	} {
		code, body := call(t, srv, "POST", "/v1/attachments/batch", tc.body)
		if code != tc.code || !strings.Contains(body, tc.contains) {
			t.Errorf("%s: got %d %.200s; want %d containing %q", tc.name, code, body, tc.code, tc.contains)
		}
	}
	if got := len(c.Snapshot().AttachmentList()); got != 0 {
		t.Fatalf("refused requests left %d attachments", got)
	}
	// The method itself holds the same bounds.
	if _, err := c.AttachBatch(nil); err == nil {
		t.Error("empty batch accepted")
	}
	if _, err := c.AttachBatch(make([]topology.Attachment, maxBatchAttachments+1)); err == nil || !strings.Contains(err.Error(), "at most") {
		t.Errorf("oversized batch: %v", err)
	}
	// The largest batch allowed goes in.
	var as []topology.Attachment
	for n := range maxBatchAttachments {
		m := n + 1
		as = append(as, topology.Attachment{Host: "h1", Container: fmt.Sprintf("c%d", n), IfName: "eth0",
			IP: netip.PrefixFrom(netip.AddrFrom4([4]byte{10, byte(m >> 16), byte(m >> 8), byte(m)}), 8)})
	}
	if code, body := call(t, srv, "POST", "/v1/attachments/batch", batchBody(t, as...)); code != 201 {
		t.Fatalf("batch of %d: %d %.300s", maxBatchAttachments, code, body)
	}
	if got := len(c.Snapshot().AttachmentList()); got != maxBatchAttachments {
		t.Fatalf("model holds %d attachments, want %d", got, maxBatchAttachments)
	}
}

func TestAttachBatchNeedsAdminToken(t *testing.T) {
	c, _ := batchFixture(t, nil)
	srv := tokenServer(t, c)
	body := batchBody(t, batchItem("h1", "c0", "blue", 0))
	for _, tc := range []struct {
		auth string
		code int
	}{
		{"", http.StatusUnauthorized},
		{"Bearer " + testReadToken, http.StatusForbidden},
		{"Bearer " + testAdminToken, http.StatusCreated},
	} {
		resp := authCall(t, srv, "POST", "/v1/attachments/batch", body, tc.auth)
		if resp.StatusCode != tc.code {
			t.Errorf("token %q: %d, want %d", tc.auth, resp.StatusCode, tc.code)
		}
		if n := len(c.Snapshot().AttachmentList()); tc.code != http.StatusCreated && n != 0 {
			t.Fatalf("refused request left %d attachments", n)
		}
	}
}

func TestAttachBatchFailedWriteChangesNothing(t *testing.T) {
	mem := store.NewMemory()
	c, srv := batchFixture(t, mem)
	before := modelState(c)
	c.cfg.Store = failingStore{mem}
	code, body := call(t, srv, "POST", "/v1/attachments/batch", batchBody(t, batchItem("h1", "c0", "blue", 0), batchItem("h2", "c1", "red", 1)))
	if code != http.StatusInternalServerError || !strings.Contains(body, "disk full") {
		t.Fatalf("got %d %s, want 500 naming the store error", code, body)
	}
	if after := modelState(c); !reflect.DeepEqual(before, after) {
		t.Fatal("a batch whose write failed is in the model")
	}
}

// TestAttachBatchRefusalKeepsLearnedState: undoing a refused batch leaves
// learned bindings and conflicts as they were, and a learned MAC refuses a
// batch item like it refuses a single attach.
func TestAttachBatchRefusalKeepsLearnedState(t *testing.T) {
	c, _ := batchFixture(t, nil)
	a, err := c.Attach(batchItem("h1", "a", "blue", 0))
	if err != nil {
		t.Fatal(err)
	}
	b, err := c.Attach(batchItem("h2", "b", "blue", 1))
	if err != nil {
		t.Fatal(err)
	}
	learned := topology.MAC{0x02, 0xaa, 0, 0, 0, 1}
	c.mu.Lock()
	first, err1 := c.model.Learn(a.ID, learned)
	second, err2 := c.model.Learn(b.ID, learned)
	c.mu.Unlock()
	if err1 != nil || err2 != nil || first.Result != topology.LearnBound || second.Result != topology.LearnRefused {
		t.Fatalf("set-up: %+v %v, %+v %v", first, err1, second, err2)
	}
	before := modelState(c)
	if len(before.Learned) != 1 || len(before.Conflicts) != 1 {
		t.Fatalf("set-up state: %+v", before)
	}
	taken := batchItem("h2", "x", "blue", 9)
	taken.MAC = learned
	_, err = c.AttachBatch([]topology.Attachment{batchItem("h1", "c0", "blue", 2), batchItem("h2", "c1", "red", 3), taken})
	if !errors.Is(err, topology.ErrConflict) || !strings.Contains(err.Error(), "attachment 2 (h2/x)") {
		t.Fatalf("item with a learned MAC: %v", err)
	}
	if after := modelState(c); !reflect.DeepEqual(before, after) {
		t.Fatalf("refused batch changed the model:\nbefore %+v\nafter  %+v", before, after)
	}
}
