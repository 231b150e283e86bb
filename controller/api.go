package controller

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"sort"
	"strconv"
	"time"

	"github.com/lorispack/loris/topology"
)

// maxBodyBytes bounds API request bodies; every valid request is far smaller.
const maxBodyBytes = 1 << 20

// SwitchStatus is one switch as the status API reports it.
type SwitchStatus struct {
	Host          string    `json:"host"`
	DatapathID    string    `json:"datapath_id"`
	Connected     bool      `json:"connected"`
	Remote        string    `json:"remote"`
	Since         time.Time `json:"since"`
	Ports         int       `json:"ports"`
	Flows         int       `json:"flows"`
	Groups        int       `json:"groups"`
	FlowAdds      uint64    `json:"flow_adds"`
	FlowDeletes   uint64    `json:"flow_deletes"`
	GroupMods     uint64    `json:"group_mods"`
	Reconciles    uint64    `json:"reconciles"`
	LastReconcile time.Time `json:"last_reconcile"`
	LastError     string    `json:"last_error"`
	// Pending is true while a change has not yet been applied to the switch.
	Pending bool `json:"pending"`
}

// Status is the controller's health as GET /v1/status reports it.
type Status struct {
	Version  string         `json:"version"`
	Started  time.Time      `json:"started"`
	Switches []SwitchStatus `json:"switches"`
}

// PodDetail is a pod with its members.
type PodDetail struct {
	topology.Pod
	Members []topology.Attachment `json:"members"`
}

// Status reports the controller and its switches. Registered hosts that are
// not connected are listed too, as disconnected.
func (c *Controller) Status() Status {
	c.mu.Lock()
	snap := c.snap
	sessions := make([]*session, 0, len(c.sessions))
	for _, s := range c.sessions {
		sessions = append(sessions, s)
	}
	c.mu.Unlock()
	st := Status{Version: c.cfg.Version, Started: c.started}
	seen := map[topology.DatapathID]bool{}
	for _, s := range sessions {
		seen[s.dpid] = true
		s.mu.Lock()
		host := s.host
		if h, ok := hostByDPID(snap, s.dpid); ok {
			host = h.Name
		}
		st.Switches = append(st.Switches, SwitchStatus{
			Host: host, DatapathID: s.dpid.String(), Connected: true, Remote: s.remote, Since: s.since,
			Ports: len(s.ports), Flows: s.stats.Flows, Groups: s.stats.Groups,
			FlowAdds: s.stats.FlowAdds, FlowDeletes: s.stats.FlowDeletes, GroupMods: s.stats.GroupMods,
			Reconciles: s.stats.Reconciles, LastReconcile: s.lastReconcile, LastError: s.lastErr,
			Pending: s.doneGen.Load() < s.wantGen.Load(),
		})
		s.mu.Unlock()
	}
	for _, h := range snap.Hosts {
		if !seen[h.DatapathID] {
			st.Switches = append(st.Switches, SwitchStatus{Host: h.Name, DatapathID: h.DatapathID.String()})
		}
	}
	sort.Slice(st.Switches, func(i, j int) bool { return st.Switches[i].Host < st.Switches[j].Host })
	return st
}

// Handler returns the HTTP JSON API.
func (c *Controller) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /v1/status", func(w http.ResponseWriter, r *http.Request) { writeJSON(w, http.StatusOK, c.Status()) })
	c.healthRoutes(mux)
	c.metricsRoutes(mux)
	c.learnRoutes(mux) // /v1/macs, /v1/events (learn_api.go)

	mux.HandleFunc("GET /v1/hosts", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusOK, nonNil(c.Snapshot().Hosts))
	})
	mux.HandleFunc("POST /v1/hosts", func(w http.ResponseWriter, r *http.Request) {
		var h topology.Host
		if !readJSON(w, r, &h) {
			return
		}
		out, created, err := c.AddHost(h)
		if err != nil {
			writeError(w, err)
			return
		}
		code := http.StatusOK
		if created {
			code = http.StatusCreated
		}
		writeJSON(w, code, out)
	})
	mux.HandleFunc("DELETE /v1/hosts/{name}", func(w http.ResponseWriter, r *http.Request) {
		force, ok := boolParam(w, r, "force")
		if !ok {
			return
		}
		if err := c.RemoveHost(r.PathValue("name"), force); err != nil {
			writeError(w, err)
			return
		}
		w.WriteHeader(http.StatusNoContent)
	})

	mux.HandleFunc("GET /v1/pods", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusOK, nonNil(c.Snapshot().Pods))
	})
	mux.HandleFunc("POST /v1/pods", func(w http.ResponseWriter, r *http.Request) {
		var p topology.Pod
		if !readJSON(w, r, &p) {
			return
		}
		out, err := c.AddPod(p.Name, p.VNI)
		if err != nil {
			writeError(w, err)
			return
		}
		writeJSON(w, http.StatusCreated, out)
	})
	mux.HandleFunc("GET /v1/pods/{name}", func(w http.ResponseWriter, r *http.Request) {
		snap := c.Snapshot()
		p, ok := snap.Pod(r.PathValue("name"))
		if !ok {
			writeError(w, fmt.Errorf("pod %q: %w", r.PathValue("name"), topology.ErrNotFound))
			return
		}
		writeJSON(w, http.StatusOK, PodDetail{Pod: p, Members: nonNil(snap.Members(p.Name))})
	})
	mux.HandleFunc("DELETE /v1/pods/{name}", func(w http.ResponseWriter, r *http.Request) {
		force, ok := boolParam(w, r, "force")
		if !ok {
			return
		}
		if err := c.DeletePod(r.PathValue("name"), force); err != nil {
			writeError(w, err)
			return
		}
		w.WriteHeader(http.StatusNoContent)
	})

	mux.HandleFunc("GET /v1/attachments", func(w http.ResponseWriter, r *http.Request) {
		pod, host := r.URL.Query().Get("pod"), r.URL.Query().Get("host")
		// Narrow by the indexed filter first: the full list copies every
		// attachment.
		snap := c.Snapshot()
		var list []topology.Attachment
		switch {
		case host != "":
			list = snap.AttachmentsOn(host)
		case pod != "":
			list = snap.Members(pod)
		default:
			list = snap.AttachmentList()
		}
		out := []topology.Attachment{}
		for _, a := range list {
			if (pod == "" || a.Pod == pod) && (host == "" || a.Host == host) {
				out = append(out, a)
			}
		}
		writeJSON(w, http.StatusOK, out)
	})
	mux.HandleFunc("POST /v1/attachments", func(w http.ResponseWriter, r *http.Request) {
		var a topology.Attachment
		if !readJSON(w, r, &a) {
			return
		}
		out, err := c.Attach(a)
		if err != nil {
			writeError(w, err)
			return
		}
		writeJSON(w, http.StatusCreated, out)
	})
	mux.HandleFunc("POST /v1/attachments/batch", c.handleAttachBatch) // attach_batch.go
	mux.HandleFunc("DELETE /v1/attachments/{id}", func(w http.ResponseWriter, r *http.Request) {
		if _, err := c.Detach(r.PathValue("id")); err != nil {
			writeError(w, err)
			return
		}
		w.WriteHeader(http.StatusNoContent)
	})
	return c.metrics.instrument(mux)
}

func nonNil[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}

type apiError struct {
	Error string `json:"error"`
}

func writeJSON(w http.ResponseWriter, code int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.Encode(v)
}

// writeError maps model errors to HTTP status codes.
func writeError(w http.ResponseWriter, err error) {
	code := http.StatusInternalServerError
	switch {
	case errors.Is(err, topology.ErrNotFound):
		code = http.StatusNotFound
	case errors.Is(err, topology.ErrConflict):
		code = http.StatusConflict
	case errors.Is(err, topology.ErrInvalid):
		code = http.StatusBadRequest
	}
	writeJSON(w, code, apiError{Error: err.Error()})
}

// readJSON decodes a bounded body with unknown fields rejected, answering
// 400 itself when it fails.
func readJSON(w http.ResponseWriter, r *http.Request, v any) bool {
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, maxBodyBytes))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		writeJSON(w, http.StatusBadRequest, apiError{Error: "invalid request body: " + err.Error()})
		return false
	}
	if dec.More() {
		writeJSON(w, http.StatusBadRequest, apiError{Error: "invalid request body: trailing data after the JSON object"})
		return false
	}
	return true
}

func boolParam(w http.ResponseWriter, r *http.Request, name string) (bool, bool) {
	v := r.URL.Query().Get(name)
	if v == "" {
		return false, true
	}
	b, err := strconv.ParseBool(v)
	if err != nil {
		writeJSON(w, http.StatusBadRequest, apiError{Error: fmt.Sprintf("query parameter %s: %q is not a boolean", name, v)})
		return false, false
	}
	return b, true
}
