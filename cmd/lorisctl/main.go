// Command lorisctl manages a loris controller over its HTTP API and wires
// hosts and containers into loris' Open vSwitch bridge.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/signal"
	"time"

	"github.com/spf13/cobra"
)

const defaultServer = "http://127.0.0.1:6680"

// app holds what every command needs; tests build one with fakes.
type app struct {
	stdout, stderr io.Writer
	getenv         func(string) string
	// run, when set, replaces the real program runner.
	run runner
	// pathExists reports whether a namespace file exists.
	pathExists func(string) bool
	httpClient *http.Client
	now        func() time.Time

	server  string
	output  string
	timeout time.Duration
	token   string // bearer token for the API
	caFile  string // CA that an https controller's certificate must chain to
}

func newApp() *app {
	return &app{
		stdout: os.Stdout,
		stderr: os.Stderr,
		getenv: os.Getenv,
		now:    time.Now,
		pathExists: func(p string) bool {
			_, err := os.Stat(p)
			return err == nil
		},
	}
}

func (a *app) runner() runner {
	if a.run != nil {
		return a.run
	}
	return execRunner{timeout: a.timeout}
}

func (a *app) client() (*apiClient, error) {
	hc := a.httpClient
	if hc == nil {
		var err error
		ca := a.caFile
		if ca == "" {
			ca = a.getenv("LORIS_CA")
		}
		if hc, err = httpClientWithCA(ca, a.timeout); err != nil {
			return nil, err
		}
	}
	c, err := newAPIClient(a.server, hc)
	if err != nil {
		return nil, err
	}
	c.token = a.token
	if c.token == "" {
		c.token = a.getenv("LORIS_TOKEN")
	}
	return c, nil
}

func (a *app) printer() printer {
	return printer{w: a.stdout, json: a.output == "json"}
}

// usageError marks errors in how lorisctl was invoked; they exit 2.
type usageError struct{ err error }

func (e usageError) Error() string { return e.err.Error() }
func (e usageError) Unwrap() error { return e.err }

func usageErrorf(format string, args ...any) error {
	return usageError{fmt.Errorf(format, args...)}
}

func newRootCmd(a *app) *cobra.Command {
	serverDefault := defaultServer
	if s := a.getenv("LORIS_SERVER"); s != "" {
		serverDefault = s
	}
	root := &cobra.Command{
		Use:   "lorisctl",
		Short: "Control a loris SDN controller and plumb hosts and containers into it",
		Long: `lorisctl talks to the loris controller's HTTP API (pods, hosts,
attachments, status) and, when run on a container host, configures the
host's Open vSwitch bridge and the containers' veth interfaces.`,
		Example: `  lorisctl --server http://10.0.0.1:6680 status
  lorisctl pod create web --vni 100
  lorisctl attach web-1 --pod web --ip 10.244.1.2/24`,
		SilenceErrors: true,
		SilenceUsage:  true,
		PersistentPreRunE: func(cmd *cobra.Command, args []string) error {
			if a.output != "table" && a.output != "json" {
				return usageErrorf("invalid -o %q: want table or json", a.output)
			}
			if a.timeout <= 0 {
				return usageErrorf("invalid --timeout %s: must be positive", a.timeout)
			}
			return nil
		},
	}
	groupRun(root)
	root.CompletionOptions.DisableDefaultCmd = true
	f := root.PersistentFlags()
	f.StringVar(&a.server, "server", serverDefault, "controller API URL (env LORIS_SERVER)")
	f.StringVarP(&a.output, "output", "o", "table", "output format: table or json")
	f.DurationVar(&a.timeout, "timeout", 10*time.Second, "limit for each controller request and each local command")
	// The token's default stays out of the flag so that --help never prints it.
	f.StringVar(&a.token, "token", "", "bearer token for the controller API (default: env LORIS_TOKEN)")
	f.StringVar(&a.caFile, "ca", "", "PEM CA file to verify an https controller with (default: env LORIS_CA)")
	root.SetFlagErrorFunc(func(_ *cobra.Command, err error) error { return usageError{err} })
	root.SetOut(a.stdout)
	root.SetErr(a.stderr)

	root.AddCommand(
		newHostCmd(a),
		newPodCmd(a),
		newAttachCmd(a),
		newDetachCmd(a),
		newAttachmentsCmd(a),
		newStatusCmd(a),
		newSwitchesCmd(a),
		newMACsCmd(a), newEventsCmd(a), // cmd_macs.go, cmd_events.go
		newPKICmd(a),
	)
	return root
}

// groupRun makes a command that only groups subcommands print its help
// when called alone and reject unknown subcommands as usage errors
// (cobra would otherwise print help and exit 0).
func groupRun(c *cobra.Command) {
	c.Args = cobra.ArbitraryArgs
	c.RunE = func(cmd *cobra.Command, args []string) error {
		if len(args) > 0 {
			return usageErrorf("unknown command %q for %q", args[0], cmd.CommandPath())
		}
		return cmd.Help()
	}
}

// exactArgs is cobra.ExactArgs with a usage error and named arguments.
func exactArgs(names ...string) cobra.PositionalArgs {
	return func(cmd *cobra.Command, args []string) error {
		if len(args) != len(names) {
			if len(names) == 0 {
				return usageErrorf("%s takes no arguments", cmd.CommandPath())
			}
			return usageErrorf("%s wants %d argument(s): %v, got %d", cmd.CommandPath(), len(names), names, len(args))
		}
		return nil
	}
}

// execute runs lorisctl with args and returns the process exit code.
func execute(ctx context.Context, a *app, args []string) int {
	root := newRootCmd(a)
	root.SetArgs(args)
	cmd, err := root.ExecuteContextC(ctx)
	if err == nil {
		return 0
	}
	fmt.Fprintf(a.stderr, "lorisctl: %v\n", err)
	var ue usageError
	if errors.As(err, &ue) {
		fmt.Fprintf(a.stderr, "Run '%s --help' for usage.\n", cmd.CommandPath())
		return 2
	}
	return 1
}

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	code := execute(ctx, newApp(), os.Args[1:])
	stop()
	os.Exit(code)
}
