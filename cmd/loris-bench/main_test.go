package main

import (
	"io"
	"strings"
	"testing"
)

// Bad flags are refused before anything connects or listens.
func TestRunRefusesBadFlags(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"--serve-floor", "127.0.0.1:0", "--floor-own-flow-mods", "0"}, "--floor-own-flow-mods 0"},
		{[]string{"--mode", "bursty"}, `--mode "bursty"`},
		{[]string{"--procs", "-1"}, "--procs -1"},
		{[]string{"--switches", "0"}, "--switches must be"},
	} {
		err := run(tc.args, io.Discard)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("run(%q) = %v, want an error naming %s", tc.args, err, tc.want)
		}
	}
}
