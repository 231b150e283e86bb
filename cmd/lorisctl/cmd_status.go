package main

import (
	"strconv"
	"time"

	"github.com/spf13/cobra"
)

func newStatusCmd(a *app) *cobra.Command {
	return &cobra.Command{
		Use:   "status",
		Short: "Show the controller's health and its switches",
		Long: `status shows the controller's version and uptime, how many switches
are connected, and per switch its connection state, how long it has been
connected, its flow count and its last reconciliation.`,
		Example: `  lorisctl status
  lorisctl status -o json`,
		Args: exactArgs(),
		RunE: func(cmd *cobra.Command, args []string) error {
			st, p, done, err := a.fetchStatus(cmd)
			if done || err != nil {
				return err
			}
			now := a.now()
			connected := 0
			for _, s := range st.Switches {
				if s.Connected {
					connected++
				}
			}
			p.line("Version:   %s", st.Version)
			p.line("Started:   %s (up %s)", formatTime(st.Started), formatAge(st.Started, now))
			p.line("Switches:  %d connected of %d", connected, len(st.Switches))
			if len(st.Switches) == 0 {
				return nil
			}
			p.line("")
			rows := make([][]string, 0, len(st.Switches))
			for _, s := range st.Switches {
				rows = append(rows, []string{s.Host, switchState(s), switchUptime(s, now), strconv.Itoa(s.Flows),
					formatAgo(s.LastReconcile, now), s.LastError})
			}
			return p.table([]string{"HOST", "STATE", "UPTIME", "FLOWS", "LAST RECONCILE", "LAST ERROR"}, rows)
		},
	}
}

func newSwitchesCmd(a *app) *cobra.Command {
	return &cobra.Command{
		Use:   "switches",
		Short: "List the switches the controller knows, with their connection state",
		Long: `switches lists every registered host's switch (and connected switches of
unregistered datapaths): datapath id, connection state, remote address, when
it connected and for how long, its ports, flows and groups, and its last
reconciliation.`,
		Example: `  lorisctl switches
  lorisctl switches -o json`,
		Args: exactArgs(),
		RunE: func(cmd *cobra.Command, args []string) error {
			st, p, done, err := a.fetchStatus(cmd)
			if done || err != nil {
				return err
			}
			now := a.now()
			rows := make([][]string, 0, len(st.Switches))
			for _, s := range st.Switches {
				rows = append(rows, []string{s.Host, s.DatapathID, switchState(s), s.Remote,
					formatTime(s.Since), switchUptime(s, now), strconv.Itoa(s.Ports), strconv.Itoa(s.Flows), strconv.Itoa(s.Groups),
					formatAgo(s.LastReconcile, now), s.LastError})
			}
			return p.table([]string{"HOST", "DATAPATH ID", "STATE", "REMOTE", "SINCE", "UPTIME", "PORTS", "FLOWS", "GROUPS",
				"LAST RECONCILE", "LAST ERROR"}, rows)
		},
	}
}

// fetchStatus asks the controller for its status. In JSON mode it prints
// the answer as received and reports done.
func (a *app) fetchStatus(cmd *cobra.Command) (controllerStatus, printer, bool, error) {
	p := a.printer()
	c, err := a.client()
	if err != nil {
		return controllerStatus{}, p, false, err
	}
	st, raw, err := c.status(cmd.Context())
	if err != nil {
		return st, p, false, err
	}
	if p.json {
		return st, p, true, p.rawJSON(raw)
	}
	return st, p, false, nil
}

// switchState is "connected", "connected, pending" (a change not yet on
// the switch) or "disconnected".
func switchState(s switchStatus) string {
	switch {
	case !s.Connected:
		return "disconnected"
	case s.Pending:
		return "connected, pending"
	}
	return "connected"
}

// switchUptime is how long a connected switch has been connected; empty
// (shown as "-") for a disconnected one.
func switchUptime(s switchStatus, now time.Time) string {
	if !s.Connected {
		return ""
	}
	return formatAge(s.Since, now)
}
