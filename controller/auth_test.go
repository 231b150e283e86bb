package controller

import (
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

const (
	testAdminToken = "admin-0123456789abcdef"
	testReadToken  = "read-0123456789abcdef"
)

func testTokens(t *testing.T) *Tokens {
	t.Helper()
	tok, err := ParseTokens(strings.NewReader("# tokens\n\nadmin " + testAdminToken + "\nread " + testReadToken + "\n"))
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

func TestParseTokensRejectsBadFiles(t *testing.T) {
	for name, text := range map[string]string{
		"empty":        "# nothing\n",
		"unknown role": "root 0123456789abcdef0\n",
		"short token":  "admin short\n",
		"three fields": "admin 0123456789abcdef0 extra\n",
		"duplicate":    "admin 0123456789abcdef0\nread 0123456789abcdef0\n",
	} {
		if _, err := ParseTokens(strings.NewReader(text)); err == nil {
			t.Errorf("%s: accepted %q", name, text)
		}
	}
}

func TestLoadTokensRefusesWorldReadableFile(t *testing.T) {
	p := filepath.Join(t.TempDir(), "tokens")
	if err := os.WriteFile(p, []byte("admin "+testAdminToken+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := LoadTokens(p); err == nil || !strings.Contains(err.Error(), "chmod 600") {
		t.Fatalf("world-readable token file: err = %v, want a chmod hint", err)
	}
	if err := os.Chmod(p, 0o600); err != nil {
		t.Fatal(err)
	}
	tok, err := LoadTokens(p)
	if err != nil {
		t.Fatal(err)
	}
	if tok.Role(testAdminToken) != RoleAdmin {
		t.Fatalf("role of admin token = %v", tok.Role(testAdminToken))
	}
}

// tokenServer serves c's API behind the test tokens until the test ends.
func tokenServer(t *testing.T, c *Controller) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(RequireTokens(testTokens(t), slog.New(slog.NewTextHandler(io.Discard, nil)), c.Handler()))
	t.Cleanup(srv.Close)
	return srv
}

// authCall sends one request with Authorization auth ("" for none) and
// returns the response, its body closed.
func authCall(t *testing.T, srv *httptest.Server, method, path, body, auth string) *http.Response {
	t.Helper()
	req, err := http.NewRequest(method, srv.URL+path, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if auth != "" {
		req.Header.Set("Authorization", auth)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp
}

func TestRequireTokensRoles(t *testing.T) {
	c, _ := newTestAPI(t, nil)
	srv := tokenServer(t, c)
	pod := `{"name":"web","vni":100}`
	cases := []struct {
		name, method, path, body, auth string
		code                           int
	}{
		{"no token read", "GET", "/v1/pods", "", "", 401},
		{"no token write", "POST", "/v1/pods", pod, "", 401},
		{"unknown token", "GET", "/v1/pods", "", "Bearer nope-nope-nope-nope-nope", 401},
		{"wrong scheme", "GET", "/v1/pods", "", "Basic " + testAdminToken, 401},
		{"read token reads", "GET", "/v1/pods", "", "Bearer " + testReadToken, 200},
		{"read token cannot write", "POST", "/v1/pods", pod, "Bearer " + testReadToken, 403},
		{"read token cannot delete", "DELETE", "/v1/pods/web", "", "Bearer " + testReadToken, 403},
		{"admin writes", "POST", "/v1/pods", pod, "Bearer " + testAdminToken, 201},
		{"admin deletes", "DELETE", "/v1/pods/web", "", "bearer " + testAdminToken, 204},
		{"healthz open", "GET", "/healthz", "", "", 200},
		{"healthz write still needs a token", "POST", "/healthz", "", "", 401},
	}
	for _, tc := range cases {
		resp := authCall(t, srv, tc.method, tc.path, tc.body, tc.auth)
		if resp.StatusCode != tc.code {
			t.Errorf("%s: %s %s = %d, want %d", tc.name, tc.method, tc.path, resp.StatusCode, tc.code)
		}
		if tc.code == 401 && resp.Header.Get("WWW-Authenticate") == "" {
			t.Errorf("%s: 401 without WWW-Authenticate", tc.name)
		}
	}
	// The refused writes changed nothing: only the admin's pod came and went.
	if _, ok := c.Snapshot().Pod("web"); ok {
		t.Fatal("pod web still exists after the admin deleted it")
	}
}

func TestIsLoopbackListen(t *testing.T) {
	for addr, want := range map[string]bool{
		"127.0.0.1:6680": true, "[::1]:6680": true, "localhost:6680": true,
		":6680": false, "0.0.0.0:6680": false, "198.18.0.254:6680": false, "example.com:6680": false,
	} {
		got, err := IsLoopbackListen(addr)
		if err != nil || got != want {
			t.Errorf("IsLoopbackListen(%q) = %v, %v; want %v", addr, got, err, want)
		}
	}
	if _, err := IsLoopbackListen("nonsense"); err == nil {
		t.Error("IsLoopbackListen accepted an address without a port")
	}
}
