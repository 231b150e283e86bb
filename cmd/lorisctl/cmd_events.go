package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"time"

	"github.com/spf13/cobra"
)

type contextT = context.Context

// controllerEvent mirrors the controller's events (GET /v1/events).
type controllerEvent struct {
	Seq          uint64    `json:"seq"`
	Time         time.Time `json:"time"`
	Kind         string    `json:"kind"`
	Pod          string    `json:"pod,omitempty"`
	MAC          string    `json:"mac,omitempty"`
	Host         string    `json:"host,omitempty"`
	Port         string    `json:"port,omitempty"`
	AttachmentID string    `json:"attachment_id,omitempty"`
	HolderID     string    `json:"holder_id,omitempty"`
	HolderHost   string    `json:"holder_host,omitempty"`
	DatapathID   string    `json:"datapath_id,omitempty"`
	Message      string    `json:"message"`
}

func newEventsCmd(a *app) *cobra.Command {
	var follow bool
	var after uint64
	cmd := &cobra.Command{
		Use:   "events",
		Short: "Show recent controller events: MAC learns, releases, conflicts, switch connects",
		Long: `events prints the controller's recent events, oldest first: MACs
learned and released, MAC conflicts (refused MACs), ports reaching their
learning limit, switches connecting and disconnecting. With --follow it
keeps printing new events until interrupted; -o json prints one JSON
object per line.`,
		Example: `  lorisctl events
  lorisctl events --follow
  lorisctl events --follow -o json`,
		Args: exactArgs(),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := a.client()
			if err != nil {
				return err
			}
			p := a.printer()
			print := func(e controllerEvent, raw []byte) error {
				if p.json {
					_, err := fmt.Fprintf(p.w, "%s\n", bytes.TrimSpace(raw))
					return err
				}
				p.line("%s  #%d  %-17s  %s", formatTime(e.Time), e.Seq, e.Kind, e.Message)
				return nil
			}
			if !follow {
				var evs []json.RawMessage
				if _, err := c.do(cmd.Context(), http.MethodGet, "/v1/events", afterQuery(after), nil, &evs); err != nil {
					return err
				}
				for _, raw := range evs {
					var e controllerEvent
					if err := json.Unmarshal(raw, &e); err != nil {
						return err
					}
					if err := print(e, raw); err != nil {
						return err
					}
				}
				return nil
			}
			return c.followEvents(cmd.Context(), after, print)
		},
	}
	cmd.Flags().BoolVarP(&follow, "follow", "f", false, "keep printing new events")
	cmd.Flags().Uint64Var(&after, "after", 0, "only events with a sequence number above this")
	return cmd
}

func afterQuery(after uint64) map[string][]string {
	q := map[string][]string{}
	if after > 0 {
		q["after"] = []string{strconv.FormatUint(after, 10)}
	}
	return q
}

// followEvents streams GET /v1/events?follow=true. The per-request
// timeout does not apply: the stream is meant to stay open.
func (c *apiClient) followEvents(ctx context.Context, after uint64, print func(controllerEvent, []byte) error) error {
	u := *c.base
	u.Path = c.base.Path + "/v1/events"
	q := u.Query()
	q.Set("follow", "true")
	if after > 0 {
		q.Set("after", strconv.FormatUint(after, 10))
	}
	u.RawQuery = q.Encode()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
	if err != nil {
		return err
	}
	if c.token != "" {
		req.Header.Set("Authorization", "Bearer "+c.token)
	}
	hc := *c.http
	hc.Timeout = 0
	resp, err := hc.Do(req)
	if err != nil {
		return fmt.Errorf("cannot reach controller at %s (set --server or LORIS_SERVER): %w", c.base, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		var buf bytes.Buffer
		buf.ReadFrom(resp.Body)
		return &apiError{method: http.MethodGet, path: "/v1/events", status: resp.StatusCode, message: errorMessage(buf.Bytes())}
	}
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		line := bytes.TrimSpace(sc.Bytes())
		if len(line) == 0 {
			continue // keepalive
		}
		var e controllerEvent
		if err := json.Unmarshal(line, &e); err != nil {
			return fmt.Errorf("events stream: %w", err)
		}
		if err := print(e, line); err != nil {
			return err
		}
	}
	if ctx.Err() != nil {
		return nil // interrupted: a normal way to stop following
	}
	return sc.Err()
}
