package cluster

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
)

// teardown undoes New: processes, then OVS daemons, then namespaces and the
// root link, then the directory. Failing to clean up fails the test, since
// leftovers break later runs.
func (c *Cluster) teardown() {
	if c.t.Failed() {
		c.logDiagnostics()
	}
	var errs []error
	c.mu.Lock()
	processes := slices.Clone(c.processes)
	namespaces := slices.Clone(c.netns)
	links := slices.Clone(c.links)
	c.mu.Unlock()

	slices.Reverse(processes)
	for _, p := range processes {
		if err := p.Stop(); err != nil {
			errs = append(errs, err)
		}
	}
	var wg sync.WaitGroup
	var mu sync.Mutex
	for _, h := range c.Hosts {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for _, daemon := range []string{vswitchdPidFile, ovsdbPidFile} {
				if err := h.stopDaemon(daemon, 5*time.Second, false); err != nil {
					mu.Lock()
					errs = append(errs, fmt.Errorf("host %s: %w", h.Name, err))
					mu.Unlock()
				}
			}
		}()
	}
	wg.Wait()

	slices.Reverse(namespaces)
	existing, err := listNamespaces()
	if err != nil {
		errs = append(errs, err)
	}
	for _, ns := range namespaces {
		if !slices.Contains(existing, ns) {
			continue
		}
		if _, err := runCommand(context.Background(), nil, "ip", "netns", "del", ns); err != nil {
			errs = append(errs, err)
		}
	}
	// The root end of a veth dies with its peer's namespace, but only once
	// the kernel gets round to it; deleting it here makes teardown final.
	for _, link := range links {
		if err := deleteLink(link); err != nil {
			errs = append(errs, err)
		}
	}

	if c.t.Failed() {
		c.keepLogs()
	} else if err := os.RemoveAll(c.Dir); err != nil {
		errs = append(errs, err)
	}
	if err := errors.Join(errs...); err != nil {
		c.t.Errorf("cluster %s: teardown: %v", c.Prefix, err)
	}
}

func (c *Cluster) logDiagnostics() {
	for _, h := range c.Hosts {
		for _, log := range []string{"vswitchd.log", "ovsdb.log"} {
			if tail := FileTail(filepath.Join(h.Dir, log), 30); tail != "" {
				c.t.Logf("cluster %s: %s %s (last lines):\n%s", c.Prefix, h.Name, log, tail)
			}
		}
	}
	c.mu.Lock()
	processes := slices.Clone(c.processes)
	c.mu.Unlock()
	for _, p := range processes {
		c.t.Logf("cluster %s: process %s (pid %d) log (last lines):\n%s", c.Prefix, p.Name, p.Pid, p.LogTail(30))
	}
}

// keepLogs moves the cluster directory out of the registry, where the sweep
// would delete it, so the full logs survive a failed run.
func (c *Cluster) keepLogs() {
	if err := os.MkdirAll(keptLogsRoot, 0o755); err != nil {
		c.t.Logf("cluster %s: cannot keep logs: %v", c.Prefix, err)
		return
	}
	dst := filepath.Join(keptLogsRoot, c.Prefix+"-"+strconv.FormatInt(time.Now().Unix(), 10))
	if err := os.Rename(c.Dir, dst); err != nil {
		c.t.Logf("cluster %s: cannot keep logs: %v", c.Prefix, err)
		return
	}
	c.t.Logf("cluster %s: logs kept in %s", c.Prefix, dst)
}

// Leftovers lists what of the cluster still exists: namespaces and root
// links with its prefix, live processes it started or whose command line
// names its directory, and the directory itself. Empty after teardown.
func (c *Cluster) Leftovers() []string {
	var found []string
	if ns, err := namespacesWithPrefix(c.Prefix); err != nil {
		found = append(found, "cannot list namespaces: "+err.Error())
	} else {
		for _, n := range ns {
			found = append(found, "netns "+n)
		}
	}
	if links, err := os.ReadDir("/sys/class/net"); err == nil {
		for _, l := range links {
			if strings.HasPrefix(l.Name(), c.Prefix+"-") {
				found = append(found, "link "+l.Name())
			}
		}
	}
	c.mu.Lock()
	for _, p := range c.processes {
		if p.id.alive() {
			found = append(found, fmt.Sprintf("process %s pid %d", p.Name, p.Pid))
		}
	}
	c.mu.Unlock()
	if procs, err := os.ReadDir("/proc"); err == nil {
		self := os.Getpid()
		for _, e := range procs {
			pid, err := strconv.Atoi(e.Name())
			if err != nil || pid == self || !processRunning(pid) {
				continue
			}
			if cmd := processCmdline(pid); strings.Contains(cmd, c.Dir+"/") {
				found = append(found, fmt.Sprintf("process %d: %s", pid, cmd))
			}
		}
	}
	if _, err := os.Stat(c.Dir); err == nil {
		found = append(found, "dir "+c.Dir)
	}
	return found
}

// FileTail returns the last n lines of the file at path ("" if it cannot
// be read).
func FileTail(path string, n int) string {
	b, err := os.ReadFile(path)
	if err != nil {
		return ""
	}
	lines := strings.Split(strings.TrimRight(string(b), "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}
