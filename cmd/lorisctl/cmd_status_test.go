package main

import (
	"strings"
	"testing"
)

// column returns the cells of an aligned table's column by its header.
func column(t *testing.T, table, header, next string) []string {
	t.Helper()
	lines := strings.Split(strings.TrimRight(table, "\n"), "\n")
	start, end := strings.Index(lines[0], header), strings.Index(lines[0], next)
	if start < 0 || end < start {
		t.Fatalf("no %s column before %s in %q", header, next, lines[0])
	}
	var cells []string
	for _, l := range lines[1:] {
		cells = append(cells, strings.TrimSpace(l[start:end]))
	}
	return cells
}

func TestSwitchesShowUptimeOfConnectedSwitches(t *testing.T) {
	api := newFakeAPI(t)
	api.reply("GET /v1/status", 200, statusJSON)
	ta := newTestApp(api.srv.URL, &fakeRunner{})
	if code := ta.exec("switches"); code != 0 {
		t.Fatalf("exit %d: %s", code, ta.stderr)
	}
	// h1 connected at 10:00:05 and the test clock says 12:00:00; h2 is
	// disconnected and has no uptime.
	got := column(t, ta.stdout.String(), "UPTIME", "PORTS")
	if len(got) != 2 || got[0] != "1h59m" || got[1] != "-" {
		t.Errorf("UPTIME column = %q, want [1h59m -]\n%s", got, ta.stdout)
	}
}
