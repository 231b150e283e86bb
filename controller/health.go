package controller

import (
	"fmt"
	"io"
	"net/http"
	"strings"
)

// healthRoutes serves the probes:
//
//	GET /healthz  liveness: the process answers HTTP (always 200 "ok").
//	GET /readyz   readiness: 200 once the controller accepts switch
//	              connections, 503 otherwise; the body names each check.
//
// Readiness does not depend on switches being connected: a controller with
// no switch yet is exactly the one they should be sent to.
func (c *Controller) healthRoutes(mux *http.ServeMux) {
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "ok\n") })
	mux.HandleFunc("GET /readyz", func(w http.ResponseWriter, r *http.Request) {
		failed, report := c.readiness()
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		if failed {
			w.WriteHeader(http.StatusServiceUnavailable)
		}
		io.WriteString(w, report)
	})
}

// readiness runs the readiness checks and reports them one per line.
func (c *Controller) readiness() (failed bool, report string) {
	var b strings.Builder
	check := func(name string, ok bool, why string) {
		if ok {
			fmt.Fprintf(&b, "[+] %s ok\n", name)
			return
		}
		failed = true
		fmt.Fprintf(&b, "[-] %s failed: %s\n", name, why)
	}
	check("openflow", c.openflowServing.Load(), "not accepting switch connections")
	check("model", c.Snapshot() != nil, "no model loaded")
	if failed {
		b.WriteString("not ready\n")
	} else {
		b.WriteString("ready\n")
	}
	return failed, b.String()
}
