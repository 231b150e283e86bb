package cluster

import (
	"bufio"
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"io/fs"
	"net/netip"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// registryRoot holds one directory per live cluster. It is short on purpose:
// OVS puts unix sockets in the host directories below it, and socket paths
// are limited to 108 bytes.
const registryRoot = "/tmp/loris-e2e"

// keptLogsRoot receives the directory of a failed cluster; the sweep never
// looks there.
const keptLogsRoot = "/tmp/loris-e2e-logs"

// Files inside a cluster directory.
const (
	ownerFile  = "owner"  // "pid starttime" of the test process
	netnsFile  = "netns"  // namespaces, one a line, written before creation
	linksFile  = "links"  // root-namespace links, one a line, written before creation
	subnetFile = "subnet" // the third octet X of 198.18.X.0/24
)

var prefixPattern = regexp.MustCompile(`^[a-z][a-z0-9]{0,7}$`)

// registration is a cluster's claim on a prefix and a subnet.
type registration struct {
	Prefix string
	Subnet int
	Dir    string
}

// register sweeps leftovers of dead runs, then claims a prefix and a subnet,
// all under one lock so that concurrent test processes cannot pick the same.
func register(prefix string, subnet int) (registration, []string, error) {
	if err := os.MkdirAll(registryRoot, 0o755); err != nil {
		return registration{}, nil, err
	}
	unlock, err := lockRegistry()
	if err != nil {
		return registration{}, nil, err
	}
	defer unlock()

	swept, used, err := sweepDeadClusters()
	if err != nil {
		return registration{}, swept, err
	}
	rootUsed, err := rootSubnetsInUse()
	if err != nil {
		return registration{}, swept, err
	}
	for x := range rootUsed {
		used[x] = true
	}

	switch {
	case subnet < 0 || subnet > 255:
		return registration{}, swept, fmt.Errorf("subnet %d: want the third octet of 198.18.X.0/24, 1..255", subnet)
	case subnet > 0 && used[subnet]:
		return registration{}, swept, fmt.Errorf("subnet 198.18.%d.0/24 is already in use in the root namespace or by another cluster", subnet)
	case subnet == 0:
		for x := 1; x <= 255; x++ {
			if !used[x] {
				subnet = x
				break
			}
		}
		if subnet == 0 {
			return registration{}, swept, errors.New("no free 198.18.X.0/24 subnet")
		}
	}

	if prefix == "" {
		if prefix, err = freePrefix(); err != nil {
			return registration{}, swept, err
		}
	} else if !prefixPattern.MatchString(prefix) {
		return registration{}, swept, fmt.Errorf("prefix %q: want 1-8 characters [a-z0-9] starting with a letter (it becomes part of interface names)", prefix)
	}
	dir := filepath.Join(registryRoot, prefix)
	if err := os.Mkdir(dir, 0o755); err != nil {
		if errors.Is(err, fs.ErrExist) {
			return registration{}, swept, fmt.Errorf("prefix %q is used by a live cluster (%s exists)", prefix, dir)
		}
		return registration{}, swept, err
	}
	if inUse, err := namespacesWithPrefix(prefix); err == nil && len(inUse) > 0 {
		os.Remove(dir)
		return registration{}, swept, fmt.Errorf("prefix %q: namespaces %v already exist and are not ours", prefix, inUse)
	}
	self, err := identify(os.Getpid())
	if err != nil {
		return registration{}, swept, err
	}
	if err := os.WriteFile(filepath.Join(dir, ownerFile), []byte(self.String()+"\n"), 0o644); err != nil {
		return registration{}, swept, err
	}
	if err := os.WriteFile(filepath.Join(dir, subnetFile), []byte(strconv.Itoa(subnet)+"\n"), 0o644); err != nil {
		return registration{}, swept, err
	}
	return registration{Prefix: prefix, Subnet: subnet, Dir: dir}, swept, nil
}

func lockRegistry() (func(), error) {
	f, err := os.OpenFile(filepath.Join(registryRoot, ".lock"), os.O_CREATE|os.O_RDWR, 0o644)
	if err != nil {
		return nil, err
	}
	// Bounded: a holder only sweeps and writes a few files.
	deadline := time.Now().Add(30 * time.Second)
	for {
		err = syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB)
		if err == nil {
			return func() { syscall.Flock(int(f.Fd()), syscall.LOCK_UN); f.Close() }, nil
		}
		if !errors.Is(err, syscall.EWOULDBLOCK) || time.Now().After(deadline) {
			f.Close()
			return nil, fmt.Errorf("lock %s: %w", f.Name(), err)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func freePrefix() (string, error) {
	const alphabet = "abcdefghijklmnopqrstuvwxyz0123456789"
	for range 20 {
		b := make([]byte, 4)
		if _, err := rand.Read(b); err != nil {
			return "", err
		}
		p := []byte{'l'}
		for _, v := range b {
			p = append(p, alphabet[int(v)%len(alphabet)])
		}
		prefix := string(p)
		if _, err := os.Stat(filepath.Join(registryRoot, prefix)); err == nil {
			continue
		}
		if ns, err := namespacesWithPrefix(prefix); err != nil || len(ns) > 0 {
			continue
		}
		return prefix, nil
	}
	return "", errors.New("could not find a free namespace prefix")
}

// rootSubnetsInUse lists X for every 198.18.X.0/24 that already has an
// address or route of /17 or longer in the root namespace: a second root
// veth in the same subnet would steal the first one's traffic. Coarser routes
// (198.18.0.0/15) lose to our /24 by longest match and only for that /24.
// X=0 counts as used: it is what hand-made setups pick first.
func rootSubnetsInUse() (map[int]bool, error) {
	used := map[int]bool{0: true}
	for _, args := range [][]string{{"-4", "-o", "addr", "show"}, {"-4", "route", "show", "table", "all"}} {
		out, err := runCommand(context.Background(), nil, "ip", args...)
		if err != nil {
			return nil, err
		}
		for _, f := range strings.Fields(out) {
			p, err := netip.ParsePrefix(f)
			if err != nil {
				a, aerr := netip.ParseAddr(f)
				if aerr != nil {
					continue
				}
				p = netip.PrefixFrom(a, 32)
			}
			b := p.Addr().As4()
			if !p.Addr().Is4() || b[0] != 198 || b[1] != 18 || p.Bits() < 17 {
				continue
			}
			used[int(b[2])] = true
		}
	}
	return used, nil
}

func namespacesWithPrefix(prefix string) ([]string, error) {
	all, err := listNamespaces()
	if err != nil {
		return nil, err
	}
	var mine []string
	for _, ns := range all {
		if strings.HasPrefix(ns, prefix+"-") {
			mine = append(mine, ns)
		}
	}
	return mine, nil
}

func listNamespaces() ([]string, error) {
	entries, err := os.ReadDir("/run/netns")
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	names := make([]string, 0, len(entries))
	for _, e := range entries {
		names = append(names, e.Name())
	}
	return names, nil
}

// deleteLink deletes a root-namespace link unless it is already gone; the
// kernel dismantles a deleted namespace asynchronously, so a veth whose
// peer lived there may vanish between the check and the delete.
func deleteLink(name string) error {
	if !linkExists(name) {
		return nil
	}
	if _, err := runCommand(context.Background(), nil, "ip", "link", "del", name); err != nil && linkExists(name) {
		return err
	}
	return nil
}

func linkExists(name string) bool {
	_, err := os.Stat("/sys/class/net/" + name)
	return err == nil
}

func appendLine(path, line string) error {
	f, err := os.OpenFile(path, os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o644)
	if err != nil {
		return err
	}
	if _, err := f.WriteString(line + "\n"); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

func readLines(path string) []string {
	f, err := os.Open(path)
	if err != nil {
		return nil
	}
	defer f.Close()
	var lines []string
	s := bufio.NewScanner(f)
	for s.Scan() {
		if l := strings.TrimSpace(s.Text()); l != "" {
			lines = append(lines, l)
		}
	}
	return lines
}
