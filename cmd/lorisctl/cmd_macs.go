package main

import (
	"net/http"
	"net/url"

	"github.com/spf13/cobra"

	"github.com/lorispack/loris/topology"
)

// macReport mirrors the controller's GET /v1/macs answer.
type macReport struct {
	Bindings  []topology.Binding  `json:"bindings"`
	Conflicts []topology.Conflict `json:"conflicts"`
}

func (c *apiClient) macs(ctx contextT, pod string) (macReport, []byte, error) {
	var r macReport
	q := url.Values{}
	if pod != "" {
		q.Set("pod", pod)
	}
	raw, err := c.do(ctx, http.MethodGet, "/v1/macs", q, nil, &r)
	return r, raw, err
}

func newMACsCmd(a *app) *cobra.Command {
	var pod string
	cmd := &cobra.Command{
		Use:   "macs",
		Short: "Show MAC bindings (static and learned) and MAC conflicts",
		Long: `macs lists every MAC bound in a pod: each attachment's own (static)
MAC and the MACs the controller learned on its port, with host, port and
since when. Conflicts are MACs a port sent while another member of the pod
held them: the controller refused them and drops that port's frames from
those MACs.`,
		Example: `  lorisctl macs
  lorisctl macs --pod blue
  lorisctl macs -o json`,
		Args: exactArgs(),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := a.client()
			if err != nil {
				return err
			}
			rep, raw, err := c.macs(cmd.Context(), pod)
			if err != nil {
				return err
			}
			p := a.printer()
			if p.json {
				return p.rawJSON(raw)
			}
			rows := make([][]string, 0, len(rep.Bindings))
			for _, b := range rep.Bindings {
				kind := "static"
				if b.Learned {
					kind = "learned"
				}
				rows = append(rows, []string{b.Pod, b.MAC.String(), b.Host, b.Port, kind, formatTime(b.Since)})
			}
			if err := p.table([]string{"POD", "MAC", "HOST", "PORT", "KIND", "SINCE"}, rows); err != nil {
				return err
			}
			if len(rep.Conflicts) == 0 {
				return nil
			}
			p.line("")
			p.line("Conflicts (refused, dropped on their host):")
			rows = rows[:0]
			for _, cf := range rep.Conflicts {
				rows = append(rows, []string{cf.Pod, cf.MAC.String(), cf.Host, cf.Port, cf.HolderHost + " " + cf.HolderID, formatTime(cf.Since)})
			}
			return p.table([]string{"POD", "MAC", "HOST", "PORT", "HELD BY", "SINCE"}, rows)
		},
	}
	cmd.Flags().StringVar(&pod, "pod", "", "only this pod")
	return cmd
}
