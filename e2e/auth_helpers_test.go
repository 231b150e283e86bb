package e2e

import (
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"io"
	"net/http"
	"os"
	"testing"
	"time"
)

// writeTokenFile writes a controller token file with a fresh admin token
// and a fresh read token; it returns the admin token.
func writeTokenFile(t testing.TB, path string) string {
	t.Helper()
	admin, read := randomToken(t), randomToken(t)
	if err := os.WriteFile(path, []byte("# e2e lab\nadmin "+admin+"\nread "+read+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	return admin
}

func randomToken(t testing.TB) string {
	t.Helper()
	b := make([]byte, 16)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return hex.EncodeToString(b)
}

// apiGet sends an authenticated GET to the lab's controller.
func (l *lab) apiGet(path string, timeout time.Duration) (*http.Response, error) {
	return l.apiDo(http.MethodGet, path, nil, timeout)
}

// apiDo sends an authenticated request to the lab's controller.
func (l *lab) apiDo(method, path string, body []byte, timeout time.Duration) (*http.Response, error) {
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequest(method, l.server+path, rd)
	if err != nil {
		return nil, err
	}
	if l.token != "" {
		req.Header.Set("Authorization", "Bearer "+l.token)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	cl := http.Client{Timeout: timeout}
	if l.apiTLS != nil {
		cl.Transport = &http.Transport{TLSClientConfig: l.apiTLS}
	}
	return cl.Do(req)
}
