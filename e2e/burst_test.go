package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/netip"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/lorispack/loris/e2e/cluster"
	"github.com/lorispack/loris/topology"
)

// burstItem is one attachment of the burst and what the API answered.
type burstItem struct {
	id                     string
	attachTried, attachOK  bool
	detachTried, detachOK  bool
	attachCode, detachCode int
}

// TestControllerKill9DuringAPIBurst kills the controller with SIGKILL in
// the middle of 1,000 attach/detach API calls while two containers ping
// each other: the restarted controller loads a consistent database holding
// every attachment whose creation was acknowledged (and none whose
// removal was), the switches converge, and the ping stream loses nothing.
func TestControllerKill9DuringAPIBurst(t *testing.T) {
	requireE2E(t)
	l := newLab(t, 2, "vxlan")
	h1, h2 := l.c.Hosts[0], l.c.Hosts[1]
	l.lorisctl(h1, "pod", "create", "red")
	l.lorisctl(h1, "pod", "create", "burst")
	r1 := l.attach(h1, "r1", "red", "10.244.1.1/16")
	r2 := l.attach(h2, "r2", "red", "10.244.1.2/16")
	d1 := l.attach(h2, "d1", "", "10.244.4.1/16")
	l.waitConverged()
	if err := r1.Ping(l.ips[r2], 2, 2*time.Second); err != nil {
		t.Fatalf("r1 -> r2 before the burst: %v", err)
	}

	// 400 packets 50 ms apart: about 20 s, covering burst, kill and restart.
	streamDone := make(chan string, 1)
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
		defer cancel()
		out, _ := r1.Run(ctx, "ping", "-c", "400", "-i", "0.05", "-W", "1", l.ips[r2].String())
		streamDone <- out
	}()

	// 600 attachments; two in three are detached again: 1,000 calls.
	const attachments = 600
	items := make([]burstItem, attachments)
	var succeeded atomic.Int64
	var killedAt atomic.Int64
	killAfter := int64(300 + time.Now().UnixNano()%200) // somewhere in the middle
	killed := make(chan struct{})
	go func() {
		defer close(killed)
		err := cluster.WaitFor(context.Background(), func() (bool, error) { return succeeded.Load() >= killAfter, nil }, 120*time.Second)
		if err != nil {
			return
		}
		killedAt.Store(succeeded.Load())
		l.ctl.Kill9()
	}()
	hosts := []string{h1.Name, h2.Name}
	var wg sync.WaitGroup
	const workers = 8
	began := time.Now()
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := w; i < attachments; i += workers {
				it := &items[i]
				body, _ := json.Marshal(topology.Attachment{
					Host: hosts[i%2], Container: "burst-" + strconv.Itoa(i), IfName: "eth0", Pod: "burst",
					IP: netip.MustParsePrefix(fmt.Sprintf("10.250.%d.%d/16", i/200, i%200+1)),
				})
				it.id = topology.AttachmentID(hosts[i%2], "burst-"+strconv.Itoa(i), "eth0")
				it.attachTried = true
				code, raw := apiCall(l, http.MethodPost, "/v1/attachments", body)
				it.attachCode = code
				if code == http.StatusCreated {
					var a topology.Attachment
					if json.Unmarshal(raw, &a) != nil || a.ID != it.id {
						t.Errorf("attach %d: unexpected answer %q", i, raw)
					}
					it.attachOK = true
					succeeded.Add(1)
				}
				if i%3 == 0 {
					continue
				}
				// Detached by id even when the attach got no answer: it
				// may have been committed just before the kill.
				it.detachTried = true
				it.detachCode, _ = apiCall(l, http.MethodDelete, "/v1/attachments/"+it.id, nil)
				if it.detachCode == http.StatusNoContent {
					it.detachOK = true
					succeeded.Add(1)
				}
			}
		}()
	}
	wg.Wait()
	burstTook := time.Since(began)
	<-killed
	if killedAt.Load() == 0 {
		t.Fatalf("the burst ended before the kill (%d calls succeeded)", succeeded.Load())
	}
	calls, acked := 0, 0
	for _, it := range items {
		if it.attachTried {
			calls++
		}
		if it.detachTried {
			calls++
		}
		if it.attachOK {
			acked++
		}
		if it.detachOK {
			acked++
		}
	}
	t.Logf("burst: %d calls in %v, %d acknowledged; controller killed after %d acknowledged calls", calls, burstTook.Round(time.Millisecond), acked, killedAt.Load())

	select {
	case <-streamDone:
		t.Fatal("the ping stream ended before the controller was down; make it longer")
	default:
	}
	// While the controller is down isolation holds.
	if err := d1.Ping(l.ips[r2], 1, time.Second); err == nil {
		t.Error("d1 (default pod) reached r2 (red) while the controller was down")
	}
	restart := time.Now()
	l.startController()
	l.waitConverged()
	t.Logf("controller restarted and converged in %v", time.Since(restart).Round(time.Millisecond))

	resp, err := l.apiGet("/v1/attachments?pod=burst", 10*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	var stored []topology.Attachment
	err = json.NewDecoder(resp.Body).Decode(&stored)
	resp.Body.Close()
	if err != nil {
		t.Fatal(err)
	}
	present := map[string]bool{}
	for _, a := range stored {
		present[a.ID] = true
	}
	// The last acknowledged call of each attachment decides whether it
	// must be stored; one whose last call got no answer may go either way.
	missing, resurrected, mustExist, mustNot, either := 0, 0, 0, 0, 0
	expectedIDs := map[string]bool{}
	for i, it := range items {
		expectedIDs[it.id] = true
		switch {
		case it.detachOK || (it.detachTried && it.detachCode == http.StatusNotFound):
			mustNot++
			if present[it.id] {
				resurrected++
				t.Errorf("attachment %d (%s): gone when its detach was answered, but stored now", i, it.id)
			}
		case it.attachOK && !it.detachTried:
			mustExist++
			if !present[it.id] {
				missing++
				t.Errorf("attachment %d (%s): attach was acknowledged but it is not stored", i, it.id)
			}
		case it.attachCode >= 400 && !it.detachTried:
			mustNot++
			if present[it.id] {
				resurrected++
				t.Errorf("attachment %d (%s): attach was refused (%d) but it is stored", i, it.id, it.attachCode)
			}
		default:
			either++
		}
	}
	for _, a := range stored {
		if !expectedIDs[a.ID] {
			t.Errorf("stored attachment %s was never requested", a.ID)
		}
	}
	t.Logf("after restart: %d burst attachments stored; %d had to be (missing: %d), %d had to be gone (present: %d), %d unanswered either way",
		len(stored), mustExist, missing, mustNot, resurrected, either)

	out := <-streamDone
	m := pingSummary.FindStringSubmatch(out)
	if m == nil {
		t.Fatalf("no ping summary:\n%s", out)
	}
	sent, _ := strconv.Atoi(m[1])
	got, _ := strconv.Atoi(m[2])
	t.Logf("ping stream r1 -> r2 across the kill: %d sent, %d received, %d lost", sent, got, sent-got)
	if got != sent {
		t.Errorf("lost %d of %d packets while the controller was killed and restarted", sent-got, sent)
	}
	checkOnlyDesiredFlows(t, l)
	checkMatrix(t, l, []*cluster.Container{r1, r2, d1})
}

// apiCall sends one authenticated API call and returns its status (0 when
// no answer came) and body.
func apiCall(l *lab, method, path string, body []byte) (int, []byte) {
	resp, err := l.apiDo(method, path, body, 10*time.Second)
	if err != nil {
		return 0, nil
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		return 0, nil
	}
	return resp.StatusCode, raw
}
