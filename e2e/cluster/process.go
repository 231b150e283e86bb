package cluster

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"syscall"
	"time"
)

// Process is a background process started by the cluster. Its stdout and
// stderr go to LogPath; the cluster stops it on teardown.
type Process struct {
	Name    string
	Pid     int
	LogPath string

	id   processIdentity
	done chan struct{}
	err  error // exit status, valid once done is closed
}

var processNamePattern = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]*$`)

// StartProcess starts a background process in the root namespace (where
// the controller runs). env is added to ours. It fails the test if the
// process cannot be started.
func (c *Cluster) StartProcess(name string, args []string, env []string) *Process {
	c.t.Helper()
	return c.mustStart(name, "", args, env)
}

func (c *Cluster) mustStart(name, ns string, args, env []string) *Process {
	c.t.Helper()
	p, err := c.startProcess(name, ns, args, env)
	if err != nil {
		c.t.Fatalf("cluster %s: %v", c.Prefix, err)
	}
	return p
}

// startProcess runs args[0] with args[1:]; name labels the log and pid
// files. In a namespace it runs through `ip netns exec`, which execs in
// place, so Pid is the program's own pid.
func (c *Cluster) startProcess(name, ns string, args, env []string) (*Process, error) {
	if !processNamePattern.MatchString(name) {
		return nil, fmt.Errorf("process name %q: want [A-Za-z0-9._-]", name)
	}
	if len(args) == 0 {
		return nil, fmt.Errorf("process %s: no command", name)
	}
	c.mu.Lock()
	base := name
	for n := 2; c.processNamed(base); n++ {
		base = name + "-" + strconv.Itoa(n)
	}
	// Reserve the name before unlocking so concurrent starts differ.
	p := &Process{Name: base, LogPath: filepath.Join(c.Dir, base+".log"), done: make(chan struct{})}
	c.processes = append(c.processes, p)
	c.mu.Unlock()

	log, err := os.Create(p.LogPath)
	if err != nil {
		p.err = err
		close(p.done)
		return nil, err
	}
	defer log.Close()
	cmdArgs := args
	if ns != "" {
		cmdArgs = append([]string{"ip", "netns", "exec", ns}, args...)
	}
	cmd := exec.Command(cmdArgs[0], cmdArgs[1:]...)
	cmd.Env = append(os.Environ(), env...)
	cmd.Stdout = log
	cmd.Stderr = log
	cmd.Dir = c.Dir
	// Its own process group: a terminal's ^C goes to the test, which then
	// stops the process through teardown.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		p.err = err
		close(p.done)
		return nil, fmt.Errorf("start %s: %w", commandLine(cmdArgs[0], cmdArgs[1:]), err)
	}
	p.Pid = cmd.Process.Pid
	p.id, _ = identify(p.Pid)
	// The pid file lets the sweep of a later run stop this process if the
	// test crashes.
	if err := os.WriteFile(filepath.Join(c.Dir, base+".pid"), []byte(p.id.String()+"\n"), 0o644); err != nil {
		cmd.Process.Kill()
	}
	go func() {
		p.err = cmd.Wait()
		close(p.done)
	}()
	return p, nil
}

func (c *Cluster) processNamed(name string) bool {
	for _, p := range c.processes {
		if p.Name == name {
			return true
		}
	}
	return false
}

// Done is closed when the process has exited.
func (p *Process) Done() <-chan struct{} { return p.done }

// Exited reports whether the process has exited.
func (p *Process) Exited() bool {
	select {
	case <-p.done:
		return true
	default:
		return false
	}
}

// Wait waits at most timeout for the process to exit and returns its exit
// error (nil for status 0).
func (p *Process) Wait(timeout time.Duration) error {
	select {
	case <-p.done:
		return p.err
	case <-time.After(timeout):
		return fmt.Errorf("process %s (pid %d) still running after %v", p.Name, p.Pid, timeout)
	}
}

// Kill9 kills the process with SIGKILL and waits for it to be reaped.
func (p *Process) Kill9() error {
	return p.signalAndWait(syscall.SIGKILL, 5*time.Second)
}

// Stop sends SIGTERM, waits up to 5 s, then SIGKILLs. Stopping an exited
// process is not an error.
func (p *Process) Stop() error {
	if err := p.signalAndWait(syscall.SIGTERM, 5*time.Second); err == nil {
		return nil
	}
	return p.Kill9()
}

func (p *Process) signalAndWait(sig syscall.Signal, timeout time.Duration) error {
	// Pid 0 would signal our own process group.
	if p.Exited() || p.Pid <= 0 {
		return nil
	}
	if err := syscall.Kill(p.Pid, sig); err != nil && !errors.Is(err, syscall.ESRCH) {
		return fmt.Errorf("signal %v to %s (pid %d): %w", sig, p.Name, p.Pid, err)
	}
	select {
	case <-p.done:
		return nil
	case <-time.After(timeout):
		return fmt.Errorf("process %s (pid %d) still running %v after %v", p.Name, p.Pid, timeout, sig)
	}
}

// LogTail returns the last n lines of the process's combined output.
func (p *Process) LogTail(n int) string {
	return FileTail(p.LogPath, n)
}
