package cluster

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"testing"
	"time"
)

// TestSweepRemovesOnlyDeadClustersLeftovers fakes a crashed run (dead owner,
// a namespace, a root link, a recorded process, an OVS-style pid file) next
// to a live cluster and an unrelated process, and checks that the sweep
// removes exactly the crashed run's things.
func TestSweepRemovesOnlyDeadClustersLeftovers(t *testing.T) {
	Require(t)
	unlock, err := lockRegistry()
	if err != nil {
		t.Fatal(err)
	}
	defer unlock()

	dead := fakeCluster(t, deadIdentity(t))
	live := fakeCluster(t, mustIdentify(t, os.Getpid()))
	t.Cleanup(func() { sweepCluster(live.prefix, live.dir) })

	recorded := startSleeper(t, "sleep", "60")
	if err := os.WriteFile(filepath.Join(dead.dir, "ctl.pid"), []byte(recorded.String()+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	// A daemon-style bare pid file is honoured only when the command line
	// names the directory: the shell gets dead.dir as its $0.
	daemon := startSleeper(t, "sh", "-c", "sleep 60; exit 0", dead.dir+"/h1/fake-daemon")
	os.MkdirAll(filepath.Join(dead.dir, "h1"), 0o755)
	if err := os.WriteFile(filepath.Join(dead.dir, "h1", "vswitchd.pid"), []byte(strconv.Itoa(daemon.Pid)+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	unrelated := startSleeper(t, "sleep", "60")
	if err := os.WriteFile(filepath.Join(dead.dir, "h1", "ovsdb.pid"), []byte(strconv.Itoa(unrelated.Pid)+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}

	swept, used, err := sweepDeadClusters()
	if err != nil {
		t.Fatalf("sweep: %v", err)
	}
	t.Logf("swept %v", swept)
	if !used[live.subnet] {
		t.Errorf("live cluster's subnet %d not reported as used", live.subnet)
	}
	if _, err := os.Stat(dead.dir); err == nil {
		t.Errorf("dead cluster's directory survived")
	}
	if _, err := os.Stat(live.dir); err != nil {
		t.Errorf("live cluster's directory was removed: %v", err)
	}
	namespaces, _ := listNamespaces()
	if slices.Contains(namespaces, dead.prefix+"-x") {
		t.Errorf("dead cluster's namespace survived")
	}
	if !slices.Contains(namespaces, live.prefix+"-x") {
		t.Errorf("live cluster's namespace was removed")
	}
	if linkExists(dead.prefix + "-x") {
		t.Errorf("dead cluster's root link survived")
	}
	if !linkExists(live.prefix + "-x") {
		t.Errorf("live cluster's root link was removed")
	}
	if recorded.alive() || daemon.alive() {
		t.Errorf("dead cluster's processes survived: recorded %v, daemon %v", recorded.alive(), daemon.alive())
	}
	if !unrelated.alive() {
		t.Errorf("an unrelated process named by a stale pid file was killed")
	}
}

type fakeRun struct {
	prefix, dir string
	subnet      int
}

// fakeCluster registers a cluster directory owned by owner with one
// namespace and one root link (a veth), as a real run would record them.
func fakeCluster(t *testing.T, owner processIdentity) fakeRun {
	t.Helper()
	prefix, err := freePrefix()
	if err != nil {
		t.Fatal(err)
	}
	r := fakeRun{prefix: prefix, dir: filepath.Join(registryRoot, prefix), subnet: 200}
	if err := os.Mkdir(r.dir, 0o755); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		exec.Command("ip", "netns", "del", prefix+"-x").Run()
		exec.Command("ip", "link", "del", prefix+"-x").Run()
		exec.Command("ip", "link", "del", prefix+"-y").Run()
		os.RemoveAll(r.dir)
	})
	write := func(name, content string) {
		if err := os.WriteFile(filepath.Join(r.dir, name), []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write(ownerFile, owner.String()+"\n")
	write(subnetFile, strconv.Itoa(r.subnet)+"\n")
	write(netnsFile, prefix+"-x\n")
	write(linksFile, prefix+"-x\n")
	ctx := context.Background()
	if _, err := runCommand(ctx, nil, "ip", "netns", "add", prefix+"-x"); err != nil {
		t.Fatal(err)
	}
	if _, err := runCommand(ctx, nil, "ip", "link", "add", prefix+"-x", "type", "veth", "peer", "name", prefix+"-y"); err != nil {
		t.Fatal(err)
	}
	return r
}

// deadIdentity is the identity of a process that has exited.
func deadIdentity(t *testing.T) processIdentity {
	t.Helper()
	cmd := exec.Command("sleep", "60")
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	id := mustIdentify(t, cmd.Process.Pid)
	cmd.Process.Kill()
	cmd.Wait()
	return id
}

// startSleeper starts a process that the sweep may or may not kill; the
// test stops it in any case.
func startSleeper(t *testing.T, name string, args ...string) processIdentity {
	t.Helper()
	cmd := exec.Command(name, args...)
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() { cmd.Wait(); close(done) }()
	t.Cleanup(func() {
		cmd.Process.Kill()
		select {
		case <-done:
		case <-time.After(5 * time.Second):
			t.Errorf("process %d not reaped", cmd.Process.Pid)
		}
	})
	return mustIdentify(t, cmd.Process.Pid)
}

func mustIdentify(t *testing.T, pid int) processIdentity {
	t.Helper()
	id, err := identify(pid)
	if err != nil {
		t.Fatal(err)
	}
	return id
}
