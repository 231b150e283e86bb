package main

import (
	"bytes"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestSecurityRefusesAnOpenAPIOffLoopback(t *testing.T) {
	dir := t.TempDir()
	tokens := filepath.Join(dir, "tokens")
	if err := os.WriteFile(tokens, []byte("admin 0123456789abcdef0123\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name    string
		addr    string
		opts    securityOptions
		wantErr string
		warns   bool
	}{
		{"loopback without tokens", "127.0.0.1:6680", securityOptions{}, "", false},
		{"all interfaces without tokens", ":6680", securityOptions{}, "no authentication", false},
		{"routable address without tokens", "198.18.0.254:6680", securityOptions{}, "no authentication", false},
		{"routable address with tokens", "198.18.0.254:6680", securityOptions{apiTokenFile: tokens}, "", false},
		{"explicitly insecure", "0.0.0.0:6680", securityOptions{allowInsecureAPI: true}, "", true},
		{"openflow TLS without CA", "127.0.0.1:6680", securityOptions{openflowCert: "c.pem", openflowKey: "k.pem"}, "--openflow-tls-ca is required", false},
		{"API TLS files missing", "127.0.0.1:6680", securityOptions{apiCert: filepath.Join(dir, "none.pem"), apiKey: filepath.Join(dir, "none-key.pem")}, "--api-tls", false},
		{"token file missing", "127.0.0.1:6680", securityOptions{apiTokenFile: filepath.Join(dir, "nope")}, "--api-token-file", false},
	}
	for _, tc := range cases {
		var logs bytes.Buffer
		log := slog.New(slog.NewTextHandler(&logs, nil))
		sec, err := tc.opts.load(tc.addr, log)
		switch {
		case tc.wantErr == "" && err != nil:
			t.Errorf("%s: %v", tc.name, err)
		case tc.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tc.wantErr)):
			t.Errorf("%s: err = %v, want it to mention %q", tc.name, err, tc.wantErr)
		case tc.wantErr == "" && tc.opts.apiTokenFile != "" && sec.tokens == nil:
			t.Errorf("%s: tokens not loaded", tc.name)
		}
		if got := strings.Contains(logs.String(), "INSECURE"); got != tc.warns {
			t.Errorf("%s: INSECURE warning logged = %v, want %v", tc.name, got, tc.warns)
		}
	}
}
