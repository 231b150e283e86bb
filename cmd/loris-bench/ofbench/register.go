package ofbench

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/netip"
	"time"

	"github.com/lorispack/loris/topology"
)

// LorisRegistrar makes a loris controller know the emulated switches,
// through its API at Base (http://HOST:PORT, with Token as bearer token if
// set): one host per switch, one attachment per port, spread over pods.
type LorisRegistrar struct {
	Base, Token string
	client      http.Client
}

// benchHost is the host name of switch i.
func benchHost(i int) string { return fmt.Sprintf("bench-%d", i) }

// benchPod is the pod of attachment n (counted over all switches).
func benchPod(n, pods int) string { return fmt.Sprintf("bench-pod-%d", n%pods) }

// attachmentMAC is the static MAC of port p of switch i; it differs from
// every generated source MAC (first octet 0x06, not 0x02).
func attachmentMAC(i, p int) topology.MAC {
	return topology.MAC{0x06, 0, byte(i >> 8), byte(i), byte(p >> 8), byte(p)}
}

// Register registers cfg's switches and ports, the attachments spread
// over pods pods. It can run again against the same controller.
func (r *LorisRegistrar) Register(ctx context.Context, cfg RunConfig, pods int) error {
	if pods < 1 {
		pods = 1
	}
	for p := range pods {
		if err := r.post(ctx, "/v1/pods", topology.Pod{Name: benchPod(p, pods)}, true); err != nil {
			return err
		}
	}
	n := 0
	for i := range cfg.Switches {
		h := topology.Host{Name: benchHost(i), DatapathID: topology.DatapathID(cfg.DatapathIDBase + uint64(i)),
			TunnelIP: netip.AddrFrom4([4]byte{198, 19, byte(i >> 8), byte(i)}), Tunnel: topology.TunnelVXLAN}
		if err := r.post(ctx, "/v1/hosts", h, false); err != nil {
			return err
		}
		for p := range cfg.PortsPerSwitch {
			a := topology.Attachment{Host: h.Name, Container: fmt.Sprintf("c%d", p), IfName: "eth0",
				Port: PortName(i, p), MAC: attachmentMAC(i, p), Pod: benchPod(n, pods),
				IP: netip.PrefixFrom(netip.AddrFrom4([4]byte{10, byte(244 + n>>16), byte(n >> 8), byte(n)}), 8)}
			if err := r.post(ctx, "/v1/attachments", a, true); err != nil {
				return err
			}
			n++
		}
	}
	return nil
}

// post sends v as JSON; with conflictOK an existing object (HTTP 409) is
// fine, so a second run against the same controller works.
func (r *LorisRegistrar) post(ctx context.Context, path string, v any, conflictOK bool) error {
	body, err := json.Marshal(v)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, r.Base+path, bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	if r.Token != "" {
		req.Header.Set("Authorization", "Bearer "+r.Token)
	}
	resp, err := r.client.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	msg, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
	switch {
	case resp.StatusCode < 300:
		return nil
	case resp.StatusCode == http.StatusConflict && conflictOK:
		return nil
	}
	return fmt.Errorf("POST %s: HTTP %d: %s", path, resp.StatusCode, bytes.TrimSpace(msg))
}
