package cluster

import (
	"context"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"
)

// sweepDeadClusters removes what clusters of crashed test processes left
// behind: only directories in the registry whose owner process is gone, and
// within them only the namespaces, links and processes they recorded. It
// returns what it removed and the subnets still held by live clusters.
func sweepDeadClusters() (swept []string, used map[int]bool, err error) {
	used = map[int]bool{}
	entries, err := os.ReadDir(registryRoot)
	if err != nil {
		return nil, nil, err
	}
	for _, e := range entries {
		if !e.IsDir() || !prefixPattern.MatchString(e.Name()) {
			continue
		}
		dir := filepath.Join(registryRoot, e.Name())
		owner, oerr := os.ReadFile(filepath.Join(dir, ownerFile))
		if oerr == nil {
			if id, perr := parseIdentity(string(owner)); perr == nil && id.alive() {
				if x, err := strconv.Atoi(strings.TrimSpace(readFirstLine(filepath.Join(dir, subnetFile)))); err == nil {
					used[x] = true
				}
				continue
			}
		} else if info, serr := e.Info(); serr == nil && time.Since(info.ModTime()) < time.Minute {
			// A cluster being registered right now by a process that has
			// not yet written its owner file; the lock makes this rare.
			continue
		}
		removed, serr := sweepCluster(e.Name(), dir)
		swept = append(swept, removed...)
		if serr != nil {
			return swept, used, fmt.Errorf("sweeping leftovers of dead cluster %s: %w", dir, serr)
		}
	}
	return swept, used, nil
}

func readFirstLine(path string) string {
	lines := readLines(path)
	if len(lines) == 0 {
		return ""
	}
	return lines[0]
}

func sweepCluster(prefix, dir string) ([]string, error) {
	var removed []string
	for _, id := range recordedProcesses(dir) {
		if err := terminate(id, 3*time.Second); err != nil {
			return removed, err
		}
		removed = append(removed, fmt.Sprintf("process %d", id.Pid))
	}
	existing, err := listNamespaces()
	if err != nil {
		return removed, err
	}
	recorded := readLines(filepath.Join(dir, netnsFile))
	slices.Reverse(recorded)
	for _, ns := range recorded {
		if !strings.HasPrefix(ns, prefix+"-") || !slices.Contains(existing, ns) {
			continue
		}
		if _, err := runCommand(context.Background(), nil, "ip", "netns", "del", ns); err != nil {
			return removed, err
		}
		removed = append(removed, "netns "+ns)
	}
	for _, link := range readLines(filepath.Join(dir, linksFile)) {
		if !strings.HasPrefix(link, prefix+"-") || !linkExists(link) {
			continue
		}
		if err := deleteLink(link); err != nil {
			return removed, err
		}
		removed = append(removed, "link "+link)
	}
	if err := os.RemoveAll(dir); err != nil {
		return removed, err
	}
	return append(removed, "dir "+dir), nil
}

// recordedProcesses returns the live processes named by pid files under dir.
// Two kinds exist: ours ("pid starttime", checked exactly) and OVS daemons'
// (bare pid), which count only if their command line names dir, so a reused
// pid never gets killed.
func recordedProcesses(dir string) []processIdentity {
	var ids []processIdentity
	filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(path, ".pid") {
			return nil
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return nil
		}
		if id, err := parseIdentity(string(b)); err == nil {
			if id.alive() {
				ids = append(ids, id)
			}
			return nil
		}
		pid, err := readPidFile(path)
		if err != nil || !processRunning(pid) || !strings.Contains(processCmdline(pid), dir+"/") {
			return nil
		}
		if id, err := identify(pid); err == nil {
			ids = append(ids, id)
		}
		return nil
	})
	return ids
}
