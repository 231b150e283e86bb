package controller

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"time"

	"github.com/lorispack/loris/topology"
)

// MACReport is what GET /v1/macs returns: every binding (static and
// learned) and every conflict, optionally of one pod.
type MACReport struct {
	Bindings  []topology.Binding  `json:"bindings"`
	Conflicts []topology.Conflict `json:"conflicts"`
}

// MACs reports the bindings and conflicts of pod ("" = all pods).
func (c *Controller) MACs(pod string) (MACReport, error) {
	snap := c.Snapshot()
	if pod != "" {
		if _, ok := snap.Pod(pod); !ok {
			return MACReport{}, fmt.Errorf("pod %q: %w", pod, topology.ErrNotFound)
		}
	}
	return MACReport{Bindings: nonNil(snap.Bindings(pod)), Conflicts: nonNil(snap.ConflictsIn(pod))}, nil
}

// Events returns the kept events with a sequence number above after.
func (c *Controller) Events(after uint64) []Event { return c.events.recent(after) }

// followKeepalive is how often a following client gets a blank line, so
// that proxies and the client notice a dead connection.
const followKeepalive = 15 * time.Second

// learnRoutes serves GET /v1/macs[?pod=] and GET /v1/events[?after=N]
// [&follow=true]. With follow the answer is a stream of JSON lines, one
// event each, kept open until the client goes away; without it a JSON
// array.
func (c *Controller) learnRoutes(mux *http.ServeMux) {
	mux.HandleFunc("GET /v1/macs", func(w http.ResponseWriter, r *http.Request) {
		rep, err := c.MACs(r.URL.Query().Get("pod"))
		if err != nil {
			writeError(w, err)
			return
		}
		writeJSON(w, http.StatusOK, rep)
	})
	mux.HandleFunc("GET /v1/events", func(w http.ResponseWriter, r *http.Request) {
		follow, ok := boolParam(w, r, "follow")
		if !ok {
			return
		}
		var after uint64
		if v := r.URL.Query().Get("after"); v != "" {
			n, err := strconv.ParseUint(v, 10, 64)
			if err != nil {
				writeJSON(w, http.StatusBadRequest, apiError{Error: fmt.Sprintf("query parameter after: %q is not a sequence number", v)})
				return
			}
			after = n
		}
		if !follow {
			writeJSON(w, http.StatusOK, nonNil(c.Events(after)))
			return
		}
		c.followEvents(w, r, after)
	})
}

func (c *Controller) followEvents(w http.ResponseWriter, r *http.Request, after uint64) {
	backlog, sub := c.events.subscribe(after)
	defer c.events.unsubscribe(sub)
	w.Header().Set("Content-Type", "application/x-ndjson")
	w.WriteHeader(http.StatusOK)
	rc := http.NewResponseController(w)
	enc := json.NewEncoder(w)
	send := func(e Event) bool {
		if enc.Encode(e) != nil {
			return false
		}
		return rc.Flush() == nil
	}
	for _, e := range backlog {
		if !send(e) {
			return
		}
	}
	if rc.Flush() != nil {
		return
	}
	keepalive := time.NewTicker(followKeepalive)
	defer keepalive.Stop()
	for {
		select {
		case <-r.Context().Done():
			return
		case e := <-sub.ch:
			if n := c.events.takeDropped(sub); n > 0 {
				if !send(Event{Kind: "lagged", Time: time.Now().UTC(), Message: fmt.Sprintf("%d events were dropped: this follower fell behind", n)}) {
					return
				}
			}
			if !send(e) {
				return
			}
		case <-keepalive.C:
			if _, err := w.Write([]byte("\n")); err != nil || rc.Flush() != nil {
				return
			}
		}
	}
}
