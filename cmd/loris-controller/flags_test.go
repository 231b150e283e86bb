package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestParseFlagsSwitchBudget(t *testing.T) {
	o, err := parseFlags(nil)
	if err != nil {
		t.Fatal(err)
	}
	if o.switchMsgRate != 5000 || o.switchMsgBurst != 20000 {
		t.Errorf("defaults: rate %d burst %d, want 5000 and 20000", o.switchMsgRate, o.switchMsgBurst)
	}
	o, err = parseFlags([]string{"--switch-msg-rate", "100000", "--switch-msg-burst", "400000"})
	if err != nil {
		t.Fatal(err)
	}
	if o.switchMsgRate != 100000 || o.switchMsgBurst != 400000 {
		t.Errorf("set: rate %d burst %d", o.switchMsgRate, o.switchMsgBurst)
	}
	for _, args := range [][]string{
		{"--switch-msg-rate", "0"},
		{"--switch-msg-burst", "-1"},
		{"--switch-msg-rate", "lots"},
	} {
		if _, err := parseFlags(args); err == nil {
			t.Errorf("%v: accepted", args)
		} else if !strings.Contains(err.Error(), "switch-msg") {
			t.Errorf("%v: error %q does not name the flag", args, err)
		}
	}
}

func TestParseFlagsPeerLearnDelay(t *testing.T) {
	o, err := parseFlags(nil)
	if err != nil {
		t.Fatal(err)
	}
	if o.peerLearnDelay != 5*time.Millisecond || zeroOff(o.peerLearnDelay) != 5*time.Millisecond {
		t.Errorf("default %v, want 5ms", o.peerLearnDelay)
	}
	o, err = parseFlags([]string{"--peer-learn-delay", "0"})
	if err != nil {
		t.Fatal(err)
	}
	if d := zeroOff(o.peerLearnDelay); d >= 0 {
		t.Errorf("--peer-learn-delay 0 gives Config.PeerLearnDelay %v, want negative (no wait)", d)
	}
	for _, args := range [][]string{{"--peer-learn-delay", "-1ms"}, {"--peer-learn-delay", "2s"}, {"--peer-learn-delay", "soon"}} {
		if _, err := parseFlags(args); err == nil {
			t.Errorf("%v: accepted", args)
		} else if !strings.Contains(err.Error(), "peer-learn-delay") {
			t.Errorf("%v: error %q does not name the flag", args, err)
		}
	}
}

// --cpu-profile writes a profile once stopped (gzipped, as pprof writes
// them), and a path it cannot create is an error that names the flag.
func TestCPUProfile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "ctl.cpu")
	o, err := parseFlags([]string{"--cpu-profile", path})
	if err != nil || o.cpuProfile != path {
		t.Fatalf("parseFlags: %q, %v", o.cpuProfile, err)
	}
	stop, err := startCPUProfile(path)
	if err != nil {
		t.Fatal(err)
	}
	stop()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if len(data) < 2 || data[0] != 0x1f || data[1] != 0x8b {
		t.Errorf("the profile is not gzip data: % x", data[:min(len(data), 8)])
	}
	if _, err := startCPUProfile(filepath.Join(t.TempDir(), "missing", "ctl.cpu")); err == nil || !strings.Contains(err.Error(), "--cpu-profile") {
		t.Errorf("uncreatable path: err %v", err)
	}
}
