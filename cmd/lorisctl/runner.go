package main

import (
	"bytes"
	"context"
	"fmt"
	"os/exec"
	"strings"
	"time"
)

// runner runs a local program and returns what it printed on stdout. All
// host-side work (ovs-vsctl, ip, ethtool, docker) goes through it so that
// tests can substitute a fake that records the calls.
type runner interface {
	run(ctx context.Context, name string, args ...string) (string, error)
	// runInput is run with input on the program's stdin.
	runInput(ctx context.Context, input, name string, args ...string) (string, error)
}

// commandError names the failed command and carries its diagnostics, so
// an error reaching the user says which step broke and why.
type commandError struct {
	argv   []string
	output string
	err    error
}

func (e *commandError) Error() string {
	msg := strings.Join(e.argv, " ") + ": " + e.err.Error()
	if e.output != "" {
		msg += ": " + e.output
	}
	return msg
}

func (e *commandError) Unwrap() error { return e.err }

// execRunner runs real programs, each bounded by timeout so that a hung
// ovs-vsctl (for example one waiting for an absent ovs-vswitchd) cannot
// block the CLI forever.
type execRunner struct {
	timeout time.Duration
}

func (r execRunner) run(ctx context.Context, name string, args ...string) (string, error) {
	return r.runInput(ctx, "", name, args...)
}

func (r execRunner) runInput(ctx context.Context, input, name string, args ...string) (string, error) {
	if r.timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, r.timeout)
		defer cancel()
	}
	cmd := exec.CommandContext(ctx, name, args...)
	if input != "" {
		cmd.Stdin = strings.NewReader(input)
	}
	var stdout, stderr bytes.Buffer
	cmd.Stdout = &stdout
	cmd.Stderr = &stderr
	err := cmd.Run()
	if err != nil {
		if ctx.Err() == context.DeadlineExceeded {
			err = fmt.Errorf("timed out after %s", r.timeout)
		}
		out := strings.TrimSpace(stderr.String())
		if out == "" {
			out = strings.TrimSpace(stdout.String())
		}
		return stdout.String(), &commandError{argv: append([]string{name}, args...), output: out, err: err}
	}
	return stdout.String(), nil
}
