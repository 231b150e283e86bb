package cluster

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// processIdentity is a pid plus its kernel start time: a pid alone may be
// reused by an unrelated process after ours died, the pair cannot.
type processIdentity struct {
	Pid       int
	StartTime uint64
}

func identify(pid int) (processIdentity, error) {
	st, err := processStartTime(pid)
	if err != nil {
		return processIdentity{}, err
	}
	return processIdentity{Pid: pid, StartTime: st}, nil
}

// alive reports whether the very process identified still runs.
func (id processIdentity) alive() bool {
	st, err := processStartTime(id.Pid)
	return err == nil && st == id.StartTime && processRunning(id.Pid)
}

func (id processIdentity) String() string {
	return fmt.Sprintf("%d %d", id.Pid, id.StartTime)
}

func parseIdentity(s string) (processIdentity, error) {
	f := strings.Fields(s)
	if len(f) != 2 {
		return processIdentity{}, fmt.Errorf("want \"pid starttime\", got %q", s)
	}
	pid, err := strconv.Atoi(f[0])
	if err != nil {
		return processIdentity{}, err
	}
	st, err := strconv.ParseUint(f[1], 10, 64)
	if err != nil {
		return processIdentity{}, err
	}
	return processIdentity{Pid: pid, StartTime: st}, nil
}

// procStatFields returns the fields of /proc/PID/stat after the command
// name, which may itself contain spaces and parentheses.
func procStatFields(pid int) ([]string, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return nil, err
	}
	i := bytes.LastIndexByte(b, ')')
	if i < 0 {
		return nil, fmt.Errorf("malformed /proc/%d/stat", pid)
	}
	return strings.Fields(string(b[i+1:])), nil
}

func processStartTime(pid int) (uint64, error) {
	f, err := procStatFields(pid)
	if err != nil {
		return 0, err
	}
	// Field 22 of stat; f[0] is field 3 (state).
	if len(f) < 20 {
		return 0, fmt.Errorf("short /proc/%d/stat", pid)
	}
	return strconv.ParseUint(f[19], 10, 64)
}

// processRunning is false for a missing pid and for a zombie: a detached
// daemon's exit may never be reaped when pid 1 does not reap.
func processRunning(pid int) bool {
	f, err := procStatFields(pid)
	if err != nil || len(f) == 0 {
		return false
	}
	return f[0] != "Z" && f[0] != "X"
}

func processCmdline(pid int) string {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/cmdline", pid))
	if err != nil {
		return ""
	}
	return string(bytes.ReplaceAll(bytes.TrimRight(b, "\x00"), []byte{0}, []byte{' '}))
}

// readPidFile reads a pid file as OVS writes it (a single number).
func readPidFile(path string) (int, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return 0, err
	}
	pid, err := strconv.Atoi(strings.TrimSpace(string(b)))
	if err != nil || pid <= 0 {
		return 0, fmt.Errorf("pid file %s: bad content %q", path, strings.TrimSpace(string(b)))
	}
	return pid, nil
}

// terminate sends SIGTERM, waits up to grace for the process to go, then
// SIGKILLs it and waits a little more. The process need not be our child.
func terminate(id processIdentity, grace time.Duration) error {
	if !id.alive() {
		return nil
	}
	if err := syscall.Kill(id.Pid, syscall.SIGTERM); err != nil && !errors.Is(err, syscall.ESRCH) {
		return fmt.Errorf("SIGTERM %d: %w", id.Pid, err)
	}
	if waitGone(id, grace) {
		return nil
	}
	return kill9(id)
}

func kill9(id processIdentity) error {
	if !id.alive() {
		return nil
	}
	if err := syscall.Kill(id.Pid, syscall.SIGKILL); err != nil && !errors.Is(err, syscall.ESRCH) {
		return fmt.Errorf("SIGKILL %d: %w", id.Pid, err)
	}
	if !waitGone(id, 5*time.Second) {
		return fmt.Errorf("process %d still alive 5s after SIGKILL", id.Pid)
	}
	return nil
}

func waitGone(id processIdentity, limit time.Duration) bool {
	deadline := time.Now().Add(limit)
	for delay := time.Millisecond; ; delay = min(delay*2, 50*time.Millisecond) {
		if !id.alive() {
			return true
		}
		if time.Now().After(deadline) {
			return false
		}
		time.Sleep(delay)
	}
}
