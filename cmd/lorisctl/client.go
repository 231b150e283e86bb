package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"

	"github.com/lorispack/loris/topology"
)

// apiClient talks to the controller's HTTP JSON API.
type apiClient struct {
	base  *url.URL
	http  *http.Client
	token string // sent as a bearer token when set
}

// apiError is a non-2xx answer from the controller. message is the
// controller's own explanation, shown to the user verbatim.
type apiError struct {
	method  string
	path    string
	status  int
	message string
}

func (e *apiError) Error() string {
	return fmt.Sprintf("controller refused %s %s (%d %s): %s",
		e.method, e.path, e.status, http.StatusText(e.status), e.message)
}

func isNotFound(err error) bool { return hasStatus(err, http.StatusNotFound) }

func isConflict(err error) bool { return hasStatus(err, http.StatusConflict) }

func hasStatus(err error, status int) bool {
	var ae *apiError
	return errors.As(err, &ae) && ae.status == status
}

// parseServer accepts "http://host:port", "https://..." or a bare
// "host:port".
func parseServer(s string) (*url.URL, error) {
	if s == "" {
		return nil, errors.New("--server is empty")
	}
	if !strings.Contains(s, "://") {
		s = "http://" + s
	}
	u, err := url.Parse(s)
	if err != nil {
		return nil, fmt.Errorf("invalid --server %q: %v", s, err)
	}
	if u.Scheme != "http" && u.Scheme != "https" {
		return nil, fmt.Errorf("invalid --server %q: scheme must be http or https", s)
	}
	if u.Host == "" {
		return nil, fmt.Errorf("invalid --server %q: no host", s)
	}
	u.Path = strings.TrimSuffix(u.Path, "/")
	return u, nil
}

func newAPIClient(server string, hc *http.Client) (*apiClient, error) {
	u, err := parseServer(server)
	if err != nil {
		return nil, err
	}
	return &apiClient{base: u, http: hc}, nil
}

// do sends one request. body, when not nil, is encoded as JSON; the raw
// response body is returned for -o json and decoded into out when out is
// not nil.
func (c *apiClient) do(ctx context.Context, method, path string, query url.Values, body, out any) ([]byte, error) {
	u := *c.base
	u.Path = c.base.Path + path
	u.RawQuery = query.Encode()
	var reqBody io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return nil, err
		}
		reqBody = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, u.String(), reqBody)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Accept", "application/json")
	if c.token != "" {
		req.Header.Set("Authorization", "Bearer "+c.token)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return nil, fmt.Errorf("cannot reach controller at %s (set --server or LORIS_SERVER): %w", c.base, err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(resp.Body, 16<<20))
	if err != nil {
		return nil, fmt.Errorf("%s %s: reading response: %w", method, path, err)
	}
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return raw, &apiError{method: method, path: path, status: resp.StatusCode, message: errorMessage(raw)}
	}
	if out != nil && len(bytes.TrimSpace(raw)) > 0 {
		if err := json.Unmarshal(raw, out); err != nil {
			return raw, fmt.Errorf("%s %s: unexpected response from controller: %v", method, path, err)
		}
	}
	return raw, nil
}

// errorMessage extracts {"error":"..."} and falls back to the body text,
// so that a proxy's HTML error page still says something.
func errorMessage(raw []byte) string {
	var e struct {
		Error string `json:"error"`
	}
	if json.Unmarshal(raw, &e) == nil && e.Error != "" {
		return e.Error
	}
	text := strings.TrimSpace(string(raw))
	if len(text) > 300 {
		text = text[:300] + "..."
	}
	if text == "" {
		return "no error message"
	}
	return text
}

func (c *apiClient) status(ctx context.Context) (controllerStatus, []byte, error) {
	var s controllerStatus
	raw, err := c.do(ctx, http.MethodGet, "/v1/status", nil, nil, &s)
	return s, raw, err
}

func (c *apiClient) listHosts(ctx context.Context) ([]topology.Host, []byte, error) {
	var hs []topology.Host
	raw, err := c.do(ctx, http.MethodGet, "/v1/hosts", nil, nil, &hs)
	return hs, raw, err
}

func (c *apiClient) putHost(ctx context.Context, h topology.Host) (topology.Host, []byte, error) {
	var out topology.Host
	raw, err := c.do(ctx, http.MethodPost, "/v1/hosts", nil, h, &out)
	return out, raw, err
}

func (c *apiClient) removeHost(ctx context.Context, name string, force bool) error {
	_, err := c.do(ctx, http.MethodDelete, "/v1/hosts/"+url.PathEscape(name), forceQuery(force), nil, nil)
	return err
}

func (c *apiClient) listPods(ctx context.Context) ([]topology.Pod, []byte, error) {
	var ps []topology.Pod
	raw, err := c.do(ctx, http.MethodGet, "/v1/pods", nil, nil, &ps)
	return ps, raw, err
}

func (c *apiClient) createPod(ctx context.Context, p topology.Pod) (topology.Pod, []byte, error) {
	var out topology.Pod
	raw, err := c.do(ctx, http.MethodPost, "/v1/pods", nil, p, &out)
	return out, raw, err
}

func (c *apiClient) getPod(ctx context.Context, name string) (podDetail, []byte, error) {
	var out podDetail
	raw, err := c.do(ctx, http.MethodGet, "/v1/pods/"+url.PathEscape(name), nil, nil, &out)
	return out, raw, err
}

func (c *apiClient) deletePod(ctx context.Context, name string, force bool) error {
	_, err := c.do(ctx, http.MethodDelete, "/v1/pods/"+url.PathEscape(name), forceQuery(force), nil, nil)
	return err
}

func (c *apiClient) listAttachments(ctx context.Context, podName, hostName string) ([]topology.Attachment, []byte, error) {
	q := url.Values{}
	if podName != "" {
		q.Set("pod", podName)
	}
	if hostName != "" {
		q.Set("host", hostName)
	}
	var out []topology.Attachment
	raw, err := c.do(ctx, http.MethodGet, "/v1/attachments", q, nil, &out)
	return out, raw, err
}

func (c *apiClient) createAttachment(ctx context.Context, att topology.Attachment) (topology.Attachment, []byte, error) {
	var out topology.Attachment
	raw, err := c.do(ctx, http.MethodPost, "/v1/attachments", nil, att, &out)
	return out, raw, err
}

func (c *apiClient) deleteAttachment(ctx context.Context, id string) error {
	_, err := c.do(ctx, http.MethodDelete, "/v1/attachments/"+url.PathEscape(id), nil, nil, nil)
	return err
}

func forceQuery(force bool) url.Values {
	if !force {
		return nil
	}
	return url.Values{"force": {"true"}}
}
