package cluster

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"time"
)

// defaultCommandTimeout bounds every command whose caller gave no deadline,
// so a wedged ovs-vsctl or ip cannot hang a test run.
const defaultCommandTimeout = 30 * time.Second

// runCommand runs name with args, extra environment appended to ours, and
// returns the combined output. The error names the command and carries its
// output, because that is what one needs to read when a step fails.
func runCommand(ctx context.Context, env []string, name string, args ...string) (string, error) {
	if _, ok := ctx.Deadline(); !ok {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, defaultCommandTimeout)
		defer cancel()
	}
	cmd := exec.CommandContext(ctx, name, args...)
	if len(env) > 0 {
		cmd.Env = append(os.Environ(), env...)
	}
	// A daemon that keeps our output pipe open must not block us forever.
	cmd.WaitDelay = 2 * time.Second
	out, err := cmd.CombinedOutput()
	if err != nil {
		return string(out), fmt.Errorf("%s: %w: %s", commandLine(name, args), err, strings.TrimSpace(string(out)))
	}
	return string(out), nil
}

// runInNS runs a command inside network namespace ns.
func runInNS(ctx context.Context, ns string, env []string, name string, args ...string) (string, error) {
	return runCommand(ctx, env, "ip", append([]string{"netns", "exec", ns, name}, args...)...)
}

func commandLine(name string, args []string) string {
	parts := make([]string, 0, len(args)+1)
	for _, a := range append([]string{name}, args...) {
		if a == "" || strings.ContainsAny(a, " \t\"'") {
			a = fmt.Sprintf("%q", a)
		}
		parts = append(parts, a)
	}
	return strings.Join(parts, " ")
}

// steps runs commands in order and stops at the first failure.
func steps(ctx context.Context, ns string, env []string, cmds ...[]string) error {
	for _, c := range cmds {
		var err error
		if ns == "" {
			_, err = runCommand(ctx, env, c[0], c[1:]...)
		} else {
			_, err = runInNS(ctx, ns, env, c[0], c[1:]...)
		}
		if err != nil {
			return err
		}
	}
	return nil
}
