package cluster

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"syscall"
	"testing"
	"time"
)

const crashHelperEnv = "LORIS_E2E_CRASH_HELPER"

// TestCrashHelper is not a test: TestSweepAfterCrash runs it in a child
// process that builds a cluster and dies by SIGKILL, so no cleanup runs.
func TestCrashHelper(t *testing.T) {
	if os.Getenv(crashHelperEnv) != "1" {
		t.Skip("helper process for TestSweepAfterCrash")
	}
	c := New(t, Options{Hosts: 1})
	c.StartProcess("orphan", []string{"sleep", "60"}, nil)
	fmt.Printf("CRASHED-PREFIX=%s\n", c.Prefix)
	os.Stdout.Sync()
	syscall.Kill(os.Getpid(), syscall.SIGKILL)
}

// TestSweepAfterCrash: a test process dies with a cluster up; the next
// cluster built removes its namespaces, daemons, processes and files.
func TestSweepAfterCrash(t *testing.T) {
	Require(t)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, os.Args[0], "-test.run=^TestCrashHelper$", "-test.count=1")
	cmd.Env = append(os.Environ(), crashHelperEnv+"=1")
	out, _ := cmd.CombinedOutput()
	m := regexp.MustCompile(`CRASHED-PREFIX=(\w+)`).FindStringSubmatch(string(out))
	if m == nil {
		t.Fatalf("helper did not report its cluster:\n%s", out)
	}
	crashed := &Cluster{Prefix: m[1], Dir: filepath.Join(registryRoot, m[1])}
	if left := crashed.Leftovers(); len(left) < 4 {
		t.Fatalf("the crashed run should have left namespaces, daemons and files, found only %v", left)
	} else {
		t.Logf("left by the crashed run: %d items, e.g. %v", len(left), left[:4])
	}
	// The orphan's pid file is ours ("pid starttime"); its process does not
	// name the directory, so check it by identity.
	orphan, err := os.ReadFile(filepath.Join(crashed.Dir, "orphan.pid"))
	if err != nil {
		t.Fatal(err)
	}
	orphanID, err := parseIdentity(string(orphan))
	if err != nil || !orphanID.alive() {
		t.Fatalf("orphan process %q not alive before the sweep (%v)", orphan, err)
	}

	New(t, Options{Hosts: 1})

	if left := crashed.Leftovers(); len(left) > 0 {
		t.Errorf("after the sweep these remain of the crashed run: %v", left)
	}
	if orphanID.alive() {
		t.Errorf("orphan process %d survived the sweep", orphanID.Pid)
		syscall.Kill(orphanID.Pid, syscall.SIGKILL)
	}
}
