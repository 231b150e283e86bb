package main

import (
	"cmp"
	"slices"
	"strconv"

	"github.com/spf13/cobra"

	"github.com/lorispack/loris/topology"
)

func newPodCmd(a *app) *cobra.Command {
	c := &cobra.Command{
		Use:   "pod",
		Short: "Create, list, show and delete pods (groups of containers that share an L2 segment)",
		Example: `  lorisctl pod create web --vni 100
  lorisctl pod show web`,
	}
	groupRun(c)
	c.AddCommand(newPodCreateCmd(a), newPodListCmd(a), newPodShowCmd(a), newPodDeleteCmd(a))
	return c
}

func newPodCreateCmd(a *app) *cobra.Command {
	var vni uint32
	c := &cobra.Command{
		Use:   "create NAME",
		Short: "Create a pod",
		Long: `create makes a pod. Containers in the same pod reach each other at
L2 across hosts; containers in different pods never do. Without --vni the
controller picks a free VNI.`,
		Example: `  lorisctl pod create web
  lorisctl pod create db --vni 200`,
		Args: exactArgs("NAME"),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := validateName("pod", args[0]); err != nil {
				return usageError{err}
			}
			if vni > topology.MaxVNI {
				return usageErrorf("invalid --vni %d: want 1-%d (0 lets the controller choose)", vni, topology.MaxVNI)
			}
			c, err := a.client()
			if err != nil {
				return err
			}
			created, raw, err := c.createPod(cmd.Context(), topology.Pod{Name: args[0], VNI: vni})
			if err != nil {
				return err
			}
			p := a.printer()
			if p.json {
				return p.rawJSON(raw)
			}
			p.line("pod %s created with VNI %d", created.Name, created.VNI)
			return nil
		},
	}
	c.Flags().Uint32Var(&vni, "vni", 0, "virtual network id, 1-16777215 (default: chosen by the controller)")
	return c
}

func newPodListCmd(a *app) *cobra.Command {
	return &cobra.Command{
		Use:     "list",
		Aliases: []string{"ls"},
		Short:   "List pods",
		Example: `  lorisctl pod list`,
		Args:    exactArgs(),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := a.client()
			if err != nil {
				return err
			}
			pods, raw, err := c.listPods(cmd.Context())
			if err != nil {
				return err
			}
			p := a.printer()
			if p.json {
				return p.rawJSON(raw)
			}
			rows := make([][]string, 0, len(pods))
			for _, x := range pods {
				rows = append(rows, []string{x.Name, strconv.FormatUint(uint64(x.VNI), 10)})
			}
			return p.table([]string{"NAME", "VNI"}, rows)
		},
	}
}

func newPodShowCmd(a *app) *cobra.Command {
	return &cobra.Command{
		Use:     "show NAME",
		Short:   "Show a pod and its member containers",
		Example: `  lorisctl pod show web`,
		Args:    exactArgs("NAME"),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := validateName("pod", args[0]); err != nil {
				return usageError{err}
			}
			c, err := a.client()
			if err != nil {
				return err
			}
			detail, raw, err := c.getPod(cmd.Context(), args[0])
			if err != nil {
				return err
			}
			p := a.printer()
			if p.json {
				return p.rawJSON(raw)
			}
			p.line("Pod:      %s", detail.Name)
			p.line("VNI:      %d", detail.VNI)
			p.line("Members:  %d", len(detail.Members))
			if len(detail.Members) == 0 {
				return nil
			}
			p.line("")
			members := slices.Clone(detail.Members)
			slices.SortFunc(members, func(x, y topology.Attachment) int {
				return cmp.Or(cmp.Compare(x.Host, y.Host), cmp.Compare(x.Container, y.Container), cmp.Compare(x.IfName, y.IfName))
			})
			return attachmentTable(p, members, false)
		},
	}
}

func newPodDeleteCmd(a *app) *cobra.Command {
	var force bool
	c := &cobra.Command{
		Use:     "delete NAME",
		Aliases: []string{"rm"},
		Short:   "Delete a pod",
		Long: `delete removes a pod. The controller refuses while containers are
attached to it, unless --force is given (then it drops those attachments;
their veths stay on the hosts until "lorisctl detach" or "host cleanup").`,
		Example: `  lorisctl pod delete web
  lorisctl pod delete web --force`,
		Args: exactArgs("NAME"),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := validateName("pod", args[0]); err != nil {
				return usageError{err}
			}
			c, err := a.client()
			if err != nil {
				return err
			}
			if err := c.deletePod(cmd.Context(), args[0], force); err != nil {
				return err
			}
			p := a.printer()
			if p.json {
				return p.value(map[string]any{"removed": "pod", "name": args[0]})
			}
			p.line("pod %s deleted", args[0])
			return nil
		},
	}
	c.Flags().BoolVar(&force, "force", false, "also drop the pod's attachments")
	return c
}

// attachmentTable lists attachments; withPod adds the pod column for
// listings that span pods.
func attachmentTable(p printer, atts []topology.Attachment, withPod bool) error {
	headers := []string{"CONTAINER", "HOST", "IFNAME", "MAC", "IP", "PORT", "ID"}
	if withPod {
		headers = append([]string{"POD"}, headers...)
	}
	rows := make([][]string, 0, len(atts))
	for _, x := range atts {
		row := []string{x.Container, x.Host, x.IfName, x.MAC.String(), x.IP.String(), x.Port, x.ID}
		if withPod {
			row = append([]string{x.Pod}, row...)
		}
		rows = append(rows, row)
	}
	return p.table(headers, rows)
}
