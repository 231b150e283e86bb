package controller

import (
	"bufio"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"strings"
)

// Role is what a bearer token may do with the API.
type Role int

const (
	// RoleNone is the role of a missing or unknown token.
	RoleNone Role = iota
	// RoleRead may read (GET/HEAD) but change nothing.
	RoleRead
	// RoleAdmin may also create and delete hosts, pods and attachments.
	RoleAdmin
)

func (r Role) String() string {
	switch r {
	case RoleRead:
		return "read"
	case RoleAdmin:
		return "admin"
	}
	return "none"
}

// minTokenLen keeps guessable tokens out of token files: 16 characters of
// a random generator are far beyond online guessing.
const minTokenLen = 16

// Tokens maps bearer tokens to roles. Tokens are kept as SHA-256 digests so
// that the lookup time does not depend on how much of a guess matched.
type Tokens struct {
	roles map[[sha256.Size]byte]Role
}

// ParseTokens reads a token file: one "ROLE TOKEN" pair per line, ROLE
// being "admin" or "read"; blank lines and lines starting with # are
// ignored. A file that grants nothing is an error, since a controller
// started with it could never be administered.
func ParseTokens(r io.Reader) (*Tokens, error) {
	t := &Tokens{roles: map[[sha256.Size]byte]Role{}}
	sc := bufio.NewScanner(r)
	line := 0
	for sc.Scan() {
		line++
		text := strings.TrimSpace(sc.Text())
		if text == "" || strings.HasPrefix(text, "#") {
			continue
		}
		fields := strings.Fields(text)
		if len(fields) != 2 {
			return nil, fmt.Errorf("token file line %d: want \"ROLE TOKEN\" (ROLE admin or read)", line)
		}
		var role Role
		switch fields[0] {
		case "admin":
			role = RoleAdmin
		case "read":
			role = RoleRead
		default:
			return nil, fmt.Errorf("token file line %d: role %q is neither admin nor read", line, fields[0])
		}
		tok := fields[1]
		if len(tok) < minTokenLen {
			return nil, fmt.Errorf("token file line %d: token shorter than %d characters", line, minTokenLen)
		}
		sum := sha256.Sum256([]byte(tok))
		if _, dup := t.roles[sum]; dup {
			return nil, fmt.Errorf("token file line %d: token listed twice", line)
		}
		t.roles[sum] = role
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("token file: %w", err)
	}
	if len(t.roles) == 0 {
		return nil, errors.New("token file holds no token")
	}
	return t, nil
}

// LoadTokens reads a token file from disk. The file holds secrets, so one
// that other users can read is refused.
func LoadTokens(path string) (*Tokens, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return nil, err
	}
	if fi.Mode().Perm()&0o077 != 0 {
		return nil, fmt.Errorf("token file %s: mode %v lets other users read it; chmod 600 it", path, fi.Mode().Perm())
	}
	t, err := ParseTokens(f)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return t, nil
}

// Role returns the role of a presented token.
func (t *Tokens) Role(token string) Role {
	if t == nil || token == "" {
		return RoleNone
	}
	return t.roles[sha256.Sum256([]byte(token))]
}

// openPaths answer without a token: liveness probes carry no secrets and
// must work for the supervisor that restarts the controller.
var openPaths = map[string]bool{"/healthz": true, "/readyz": true}

// RequireTokens wraps an API handler: reading needs a read or admin token,
// anything else an admin token. Refusals are logged with the peer address
// but never with the presented token.
func RequireTokens(t *Tokens, log *slog.Logger, next http.Handler) http.Handler {
	if log == nil {
		log = slog.Default()
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		readOnly := r.Method == http.MethodGet || r.Method == http.MethodHead
		if readOnly && openPaths[r.URL.Path] {
			next.ServeHTTP(w, r)
			return
		}
		token, ok := bearerToken(r)
		role := RoleNone
		if ok {
			role = t.Role(token)
		}
		switch {
		case role == RoleNone:
			log.Warn("API request refused: missing or unknown token", "remote", r.RemoteAddr, "method", r.Method, "path", r.URL.Path)
			w.Header().Set("WWW-Authenticate", `Bearer realm="loris"`)
			writeJSON(w, http.StatusUnauthorized, apiError{Error: "authentication required: send an Authorization: Bearer token (lorisctl --token or LORIS_TOKEN)"})
		case !readOnly && role != RoleAdmin:
			log.Warn("API request refused: read-only token", "remote", r.RemoteAddr, "method", r.Method, "path", r.URL.Path)
			writeJSON(w, http.StatusForbidden, apiError{Error: "this token may only read; changes need an admin token"})
		default:
			next.ServeHTTP(w, r)
		}
	})
}

// bearerToken extracts the token of an "Authorization: Bearer X" header.
func bearerToken(r *http.Request) (string, bool) {
	h := r.Header.Get("Authorization")
	scheme, tok, ok := strings.Cut(h, " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") {
		return "", false
	}
	tok = strings.TrimSpace(tok)
	return tok, tok != ""
}
