package e2e

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/lorispack/loris/e2e/cluster"
)

// runLorisctlLocal runs lorisctl in the root namespace (pki needs no host).
func runLorisctlLocal(t *testing.T, args ...string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	out, err := runLocal(ctx, filepath.Join(binDir, "lorisctl"), args...)
	if err != nil {
		t.Fatalf("lorisctl %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return out
}

// useTLS makes a lab's switches and API speak TLS with a fresh CA: each
// host's OVS gets its own certificate through set-ssl. It returns the PKI
// directory.
func useTLS(t *testing.T, l *lab) string {
	t.Helper()
	pki := filepath.Join(t.TempDir(), "pki")
	runLorisctlLocal(t, "pki", "ca", "--dir", pki)
	runLorisctlLocal(t, "pki", "cert", "controller", "--dir", pki, "--ip", l.c.ControllerIP.String())
	for _, h := range l.c.Hosts {
		runLorisctlLocal(t, "pki", "cert", h.Name, "--dir", pki)
		if out, err := h.Vsctl("set-ssl", filepath.Join(pki, h.Name+"-key.pem"), filepath.Join(pki, h.Name+".pem"), filepath.Join(pki, "ca.pem")); err != nil {
			t.Fatalf("set-ssl on %s: %v\n%s", h.Name, err, out)
		}
	}
	ca := filepath.Join(pki, "ca.pem")
	l.ofAddr = fmt.Sprintf("ssl:%s", netip.AddrPortFrom(l.c.ControllerIP, openflowPort))
	l.server = fmt.Sprintf("https://%s", netip.AddrPortFrom(l.c.ControllerIP, apiPort))
	l.ctlArgs = []string{
		"--openflow-tls-cert", filepath.Join(pki, "controller.pem"), "--openflow-tls-key", filepath.Join(pki, "controller-key.pem"),
		"--openflow-tls-ca", ca,
		"--api-tls-cert", filepath.Join(pki, "controller.pem"), "--api-tls-key", filepath.Join(pki, "controller-key.pem"),
	}
	l.lorisctlArgs = []string{"--ca", ca}
	pem, err := os.ReadFile(ca)
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(pem)
	l.apiTLS = &tls.Config{RootCAs: pool}
	return pki
}

// TestOpenFlowAndAPIOverTLS runs a lab whose switches connect over
// ssl: with CA-signed certificates and whose API is HTTPS with tokens. A
// switch presenting a certificate from another CA, a TLS client without a
// certificate and a plain-TCP switch are refused, while the real switches
// keep being served.
func TestOpenFlowAndAPIOverTLS(t *testing.T) {
	requireE2E(t)
	var pki string
	l := newLabWith(t, 2, "vxlan", func(l *lab) { pki = useTLS(t, l) })
	h1, h2 := l.c.Hosts[0], l.c.Hosts[1]
	for _, h := range l.c.Hosts {
		target, _ := h.Vsctl("get", "controller", "br-loris", "target")
		if !strings.Contains(target, "ssl:") {
			t.Fatalf("%s's controller target is %s, want ssl:", h.Name, target)
		}
	}
	a := l.attach(h1, "ta", "", "10.244.9.1/24")
	b := l.attach(h2, "tb", "", "10.244.9.2/24")
	l.waitConverged()
	if err := a.Ping(l.ips[b], 2, 2*time.Second); err != nil {
		t.Fatalf("ping over a TLS-programmed fabric: %v", err)
	}
	t.Logf("switches connected over TLS; %s pings %s", a.Name, b.Name)

	// The API: HTTPS only, tokens required.
	plain := http.Client{Timeout: 3 * time.Second}
	if resp, err := plain.Get(strings.Replace(l.server, "https:", "http:", 1) + "/v1/status"); err == nil {
		resp.Body.Close()
		if resp.StatusCode == http.StatusOK {
			t.Fatal("plain HTTP to the HTTPS API answered 200")
		}
	}
	noToken := http.Client{Timeout: 3 * time.Second, Transport: &http.Transport{TLSClientConfig: l.apiTLS}}
	resp, err := noToken.Get(l.server + "/v1/pods")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusUnauthorized {
		t.Fatalf("GET /v1/pods without a token over HTTPS: %d, want 401", resp.StatusCode)
	}

	// Rogue OpenFlow peers, in the root namespace next to the controller.
	ofAddr := netip.AddrPortFrom(l.c.ControllerIP, openflowPort).String()
	rogue := filepath.Join(t.TempDir(), "rogue")
	runLorisctlLocal(t, "pki", "ca", "--dir", rogue)
	runLorisctlLocal(t, "pki", "cert", "switch", "--dir", rogue)
	caPool := l.apiTLS.RootCAs
	rogueCert, err := tls.LoadX509KeyPair(filepath.Join(rogue, "switch.pem"), filepath.Join(rogue, "switch-key.pem"))
	if err != nil {
		t.Fatal(err)
	}
	for name, cfg := range map[string]*tls.Config{
		"certificate from another CA": {RootCAs: caPool, Certificates: []tls.Certificate{rogueCert}, ServerName: l.c.ControllerIP.String()},
		"no certificate":              {RootCAs: caPool, ServerName: l.c.ControllerIP.String()},
	} {
		if err := openflowHelloOverTLS(ofAddr, cfg); err == nil {
			t.Errorf("%s: the controller completed an OpenFlow HELLO exchange", name)
		}
	}
	if err := openflowHelloPlain(ofAddr); err == nil {
		t.Error("plain TCP: the controller completed an OpenFlow HELLO exchange on its TLS port")
	}
	t.Logf("rogue peer refused: %s", waitLog(t, l, 10*time.Second, "level=WARN", "switch refused: TLS handshake failed"))

	// A real OVS whose certificate comes from another CA is refused too.
	if out, err := h2.Vsctl("del-ssl"); err != nil {
		t.Fatalf("del-ssl: %v\n%s", err, out)
	}
	runLorisctlLocal(t, "pki", "cert", "rogue-"+h2.Name, "--dir", rogue)
	if out, err := h2.Vsctl("set-ssl", filepath.Join(rogue, "rogue-"+h2.Name+"-key.pem"), filepath.Join(rogue, "rogue-"+h2.Name+".pem"), filepath.Join(pki, "ca.pem")); err != nil {
		t.Fatalf("set-ssl: %v\n%s", err, out)
	}
	toggleController(t, h2, l.ofAddr)
	err = cluster.WaitFor(context.Background(), func() (bool, error) {
		st, err := l.status()
		if err != nil {
			return false, nil
		}
		for _, s := range st.Switches {
			if s.Host == h2.Name {
				return !s.Connected, nil
			}
		}
		return false, nil
	}, 20*time.Second)
	if err != nil {
		t.Fatalf("%s with a rogue certificate stayed connected: %v", h2.Name, err)
	}
	t.Logf("rogue OVS refused: %s", waitLog(t, l, 20*time.Second, "level=WARN", "TLS handshake failed", "switch="+h2.TunnelIP.String()+":"))
	// h1 is still served: a model change reaches it.
	l.lorisctl(h1, "pod", "create", "tlspod")
	if err := cluster.WaitFor(context.Background(), func() (bool, error) {
		st, err := l.status()
		if err != nil {
			return false, nil
		}
		for _, s := range st.Switches {
			if s.Host == h1.Name {
				return s.Connected && !s.Pending && s.LastError == "", nil
			}
		}
		return false, nil
	}, 20*time.Second); err != nil {
		t.Fatalf("%s not served while a rogue switch was refused: %v", h1.Name, err)
	}
	// Back to the right certificate: h2 reconnects and converges.
	h2.Vsctl("del-ssl")
	if out, err := h2.Vsctl("set-ssl", filepath.Join(pki, h2.Name+"-key.pem"), filepath.Join(pki, h2.Name+".pem"), filepath.Join(pki, "ca.pem")); err != nil {
		t.Fatalf("set-ssl: %v\n%s", err, out)
	}
	toggleController(t, h2, l.ofAddr)
	l.waitConverged()
	if err := cluster.WaitFor(context.Background(), func() (bool, error) { return a.Ping(l.ips[b], 1, time.Second) == nil, nil }, 20*time.Second); err != nil {
		t.Fatalf("ping after %s came back with its own certificate: %v", h2.Name, err)
	}
}

// openflowHelloOverTLS dials the controller with cfg and reports whether a
// whole OpenFlow HELLO came back.
func openflowHelloOverTLS(addr string, cfg *tls.Config) error {
	d := &net.Dialer{Timeout: 5 * time.Second}
	c, err := tls.DialWithDialer(d, "tcp", addr, cfg)
	if err != nil {
		return err
	}
	defer c.Close()
	return exchangeHello(c)
}

func openflowHelloPlain(addr string) error {
	c, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		return err
	}
	defer c.Close()
	return exchangeHello(c)
}
