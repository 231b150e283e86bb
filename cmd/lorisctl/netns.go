package main

import (
	"context"
	"errors"
	"fmt"
	"os/exec"
	"strconv"
	"strings"
)

// netnsTarget is the network namespace of the container being attached:
// a named namespace (ip netns) or the namespace of a process.
type netnsTarget struct {
	name string
	pid  int
}

func (t netnsTarget) String() string {
	if t.name != "" {
		return "netns " + t.name
	}
	return "netns of pid " + strconv.Itoa(t.pid)
}

// path is the namespace file, checked before anything is changed.
func (t netnsTarget) path() string {
	if t.name != "" {
		return "/var/run/netns/" + t.name
	}
	return "/proc/" + strconv.Itoa(t.pid) + "/ns/net"
}

// linkArg is what `ip link set DEV netns X` takes: a name or a pid.
func (t netnsTarget) linkArg() string {
	if t.name != "" {
		return t.name
	}
	return strconv.Itoa(t.pid)
}

// inside prefixes argv so that it runs in the namespace. nsenter rather
// than `ip netns exec` for named namespaces too: the latter also makes a
// mount namespace and remounts /sys, which costs milliseconds that
// ethtool does not need.
func (t netnsTarget) inside(argv ...string) []string {
	return append([]string{"nsenter", "--net=" + t.path()}, argv...)
}

// ipBatch runs `ip -batch -` (commands on stdin) in the namespace; ip -n
// enters a named namespace itself, without a second program.
func (t netnsTarget) ipBatch() []string {
	if t.name != "" {
		return []string{"ip", "-n", t.name, "-batch", "-"}
	}
	return t.inside("ip", "-batch", "-")
}

// resolveNetns finds the container's namespace from --netns, --pid or, when
// neither is given, from Docker. exists reports whether a path exists; it
// is a parameter so tests need not create namespaces.
func resolveNetns(ctx context.Context, r runner, exists func(string) bool, container, netns string, pid int) (netnsTarget, error) {
	var t netnsTarget
	switch {
	case netns != "" && pid != 0:
		return t, usageErrorf("--netns and --pid are mutually exclusive")
	case netns != "":
		if err := validateNetnsName(netns); err != nil {
			return t, usageErrorf("%v", err)
		}
		t = netnsTarget{name: netns}
	case pid < 0:
		return t, usageErrorf("invalid --pid %d", pid)
	case pid > 0:
		t = netnsTarget{pid: pid}
	default:
		p, err := dockerPid(ctx, r, container)
		if err != nil {
			return t, err
		}
		t = netnsTarget{pid: p}
	}
	if !exists(t.path()) {
		return t, fmt.Errorf("%s does not exist (%s)", t, t.path())
	}
	return t, nil
}

func dockerPid(ctx context.Context, r runner, container string) (int, error) {
	out, err := r.run(ctx, "docker", "inspect", "-f", "{{.State.Pid}}", container)
	if errors.Is(err, exec.ErrNotFound) {
		return 0, fmt.Errorf("docker is not installed: give the container's namespace with --netns NAME or --pid PID")
	}
	if err != nil {
		return 0, fmt.Errorf("cannot find Docker container %q: %w", container, err)
	}
	pid, err := strconv.Atoi(strings.TrimSpace(out))
	if err != nil {
		return 0, fmt.Errorf("docker inspect %s: unexpected pid %q", container, strings.TrimSpace(out))
	}
	if pid <= 0 {
		return 0, fmt.Errorf("Docker container %q is not running", container)
	}
	return pid, nil
}
