package main

import (
	"crypto/tls"
	"crypto/x509"
	"encoding/pem"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/lorispack/loris/controller"
)

func TestPKIIssuesCertificatesThatMutualTLSAccepts(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "pki")
	other := filepath.Join(t.TempDir(), "other")
	ta := newTestApp("", &fakeRunner{})
	for _, args := range [][]string{
		{"pki", "ca", "--dir", dir},
		{"pki", "cert", "controller", "--dir", dir, "--ip", "127.0.0.1", "--dns", "localhost"},
		{"pki", "cert", "switch1", "--dir", dir},
		{"pki", "ca", "--dir", other},
		{"pki", "cert", "rogue", "--dir", other},
	} {
		if code := ta.exec(args...); code != 0 {
			t.Fatalf("lorisctl %v: exit %d: %s", args, code, ta.stderr)
		}
	}
	if fi, err := os.Stat(filepath.Join(dir, "switch1-key.pem")); err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("key file mode: %v, %v; want 0600", fi.Mode(), err)
	}
	// Nothing is ever overwritten.
	before, _ := os.ReadFile(filepath.Join(dir, "ca.pem"))
	if code := ta.exec("pki", "ca", "--dir", dir); code == 0 {
		t.Fatal("pki ca over an existing CA succeeded")
	}
	if code := ta.exec("pki", "cert", "switch1", "--dir", dir); code == 0 {
		t.Fatal("pki cert over an existing certificate succeeded")
	}
	if after, _ := os.ReadFile(filepath.Join(dir, "ca.pem")); string(after) != string(before) {
		t.Fatal("the CA changed")
	}

	ca := parseCertFile(t, filepath.Join(dir, "ca.pem"))
	leaf := parseCertFile(t, filepath.Join(dir, "controller.pem"))
	pool := x509.NewCertPool()
	pool.AddCert(ca)
	if _, err := leaf.Verify(x509.VerifyOptions{Roots: pool, DNSName: "localhost", CurrentTime: ta.app.now(),
		KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}}); err != nil {
		t.Fatalf("controller certificate does not verify: %v", err)
	}

	// A real mutual-TLS handshake: the switch certificate is accepted, one
	// from another CA and none at all are refused.
	srvCfg, err := controller.ServerTLSConfig(controller.TLSFiles{
		Cert: filepath.Join(dir, "controller.pem"), Key: filepath.Join(dir, "controller-key.pem"), ClientCA: filepath.Join(dir, "ca.pem")})
	if err != nil {
		t.Fatal(err)
	}
	l, err := tls.Listen("tcp", "127.0.0.1:0", srvCfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				if c.(*tls.Conn).Handshake() == nil {
					c.Write([]byte("ok"))
				}
			}()
		}
	}()
	dial := func(certDir, name string) error {
		cfg := &tls.Config{RootCAs: pool, ServerName: "localhost"}
		if name != "" {
			cert, err := tls.LoadX509KeyPair(filepath.Join(certDir, name+".pem"), filepath.Join(certDir, name+"-key.pem"))
			if err != nil {
				t.Fatal(err)
			}
			cfg.Certificates = []tls.Certificate{cert}
		}
		c, err := tls.DialWithDialer(&net.Dialer{Timeout: 5 * 1e9}, "tcp", l.Addr().String(), cfg)
		if err != nil {
			return err
		}
		defer c.Close()
		// TLS 1.3 reports a refused client certificate on the first read.
		b, err := io.ReadAll(c)
		if err == nil && string(b) != "ok" {
			err = io.ErrUnexpectedEOF
		}
		return err
	}
	if err := dial(dir, "switch1"); err != nil {
		t.Fatalf("switch signed by the CA refused: %v", err)
	}
	if err := dial(other, "rogue"); err == nil {
		t.Fatal("switch signed by another CA accepted")
	}
	if err := dial(dir, ""); err == nil {
		t.Fatal("switch without a certificate accepted")
	}
}

func parseCertFile(t *testing.T, path string) *x509.Certificate {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	blk, _ := pem.Decode(b)
	if blk == nil {
		t.Fatalf("%s: no PEM", path)
	}
	c, err := x509.ParseCertificate(blk.Bytes)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestTokenAndCAReachAnHTTPSController(t *testing.T) {
	dir := t.TempDir()
	ta := newTestApp("", &fakeRunner{})
	if ta.exec("pki", "ca", "--dir", dir) != 0 || ta.exec("pki", "cert", "api", "--dir", dir, "--ip", "127.0.0.1") != 0 {
		t.Fatalf("pki: %s", ta.stderr)
	}
	var gotAuth string
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		gotAuth = r.Header.Get("Authorization")
		io.WriteString(w, `{"version":"t","switches":[]}`)
	}))
	cfg, err := controller.ServerTLSConfig(controller.TLSFiles{Cert: filepath.Join(dir, "api.pem"), Key: filepath.Join(dir, "api-key.pem")})
	if err != nil {
		t.Fatal(err)
	}
	srv.TLS = cfg
	srv.StartTLS()
	t.Cleanup(srv.Close)

	// Without --ca the private CA is not trusted.
	ta = newTestApp(srv.URL, &fakeRunner{})
	if code := ta.exec("status"); code == 0 || !strings.Contains(ta.stderr.String(), "certificate") {
		t.Fatalf("status against an unknown CA: exit %d, stderr %s", code, ta.stderr)
	}
	ta = newTestApp(srv.URL, &fakeRunner{})
	if code := ta.exec("--ca", filepath.Join(dir, "ca.pem"), "--token", "tok-0123456789abcdef", "status"); code != 0 {
		t.Fatalf("status with --ca: exit %d: %s", code, ta.stderr)
	}
	if gotAuth != "Bearer tok-0123456789abcdef" {
		t.Fatalf("Authorization = %q", gotAuth)
	}
	// LORIS_TOKEN is the default, and --help never shows it.
	ta = newTestApp(srv.URL, &fakeRunner{})
	env := ta.app.getenv
	ta.app.getenv = func(k string) string {
		switch k {
		case "LORIS_TOKEN":
			return "env-0123456789abcdef"
		case "LORIS_CA":
			return filepath.Join(dir, "ca.pem")
		}
		return env(k)
	}
	if code := ta.exec("status"); code != 0 || gotAuth != "Bearer env-0123456789abcdef" {
		t.Fatalf("status with LORIS_TOKEN: exit %d, Authorization %q: %s", code, gotAuth, ta.stderr)
	}
	ta.exec("--help")
	if strings.Contains(ta.stdout.String(), "env-0123456789abcdef") {
		t.Fatal("--help printed the token")
	}
}
