package main

import (
	"strconv"

	"github.com/spf13/cobra"
)

func newStatusCmd(a *app) *cobra.Command {
	return &cobra.Command{
		Use:   "status",
		Short: "Show the controller's health and its switches",
		Long: `status shows the controller's version and uptime, how many switches
are connected, and per switch its flow count and last reconcile.`,
		Example: `  lorisctl status
  lorisctl status -o json`,
		Args: exactArgs(),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := a.client()
			if err != nil {
				return err
			}
			st, raw, err := c.status(cmd.Context())
			if err != nil {
				return err
			}
			p := a.printer()
			if p.json {
				return p.rawJSON(raw)
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
				rows = append(rows, []string{s.Host, switchState(s), strconv.Itoa(s.Flows),
					formatAgo(s.LastReconcile, now), s.LastError})
			}
			return p.table([]string{"HOST", "STATE", "FLOWS", "LAST RECONCILE", "LAST ERROR"}, rows)
		},
	}
}

func newSwitchesCmd(a *app) *cobra.Command {
	return &cobra.Command{
		Use:   "switches",
		Short: "List the switches the controller knows, with their connection state",
		Example: `  lorisctl switches
  lorisctl switches -o json`,
		Args: exactArgs(),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := a.client()
			if err != nil {
				return err
			}
			st, raw, err := c.status(cmd.Context())
			if err != nil {
				return err
			}
			p := a.printer()
			if p.json {
				return p.rawJSON(raw)
			}
			now := a.now()
			rows := make([][]string, 0, len(st.Switches))
			for _, s := range st.Switches {
				rows = append(rows, []string{s.Host, s.DatapathID, switchState(s), s.Remote,
					formatTime(s.Since), strconv.Itoa(s.Ports), strconv.Itoa(s.Flows), strconv.Itoa(s.Groups),
					formatAgo(s.LastReconcile, now), s.LastError})
			}
			return p.table([]string{"HOST", "DATAPATH ID", "STATE", "REMOTE", "SINCE", "PORTS", "FLOWS", "GROUPS", "LAST RECONCILE", "LAST ERROR"}, rows)
		},
	}
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
