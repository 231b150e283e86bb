package cluster

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"
)

func TestOfctlArgs(t *testing.T) {
	const target = "unix:/d/br.mgmt"
	cases := []struct {
		args []string
		want []string
	}{
		{[]string{"dump-flows"}, []string{"-O", "OpenFlow13", "dump-flows", target}},
		{[]string{"add-flow", "actions=drop"}, []string{"-O", "OpenFlow13", "add-flow", target, "actions=drop"}},
		{[]string{"-O", "OpenFlow13", "dump-flows"}, []string{"-O", "OpenFlow13", "dump-flows", target}},
		{[]string{"--strict", "del-flows", "in_port=1"}, []string{"-O", "OpenFlow13", "--strict", "del-flows", target, "in_port=1"}},
		{[]string{"--protocols=OpenFlow15", "dump-groups"}, []string{"--protocols=OpenFlow15", "dump-groups", target}},
	}
	for _, c := range cases {
		got, err := ofctlArgs(target, c.args)
		if err != nil || !slices.Equal(got, c.want) {
			t.Errorf("ofctlArgs(%q) = %q, %v; want %q", c.args, got, err, c.want)
		}
	}
	if _, err := ofctlArgs(target, []string{"-O", "OpenFlow13"}); err == nil {
		t.Error("ofctlArgs without a command: want an error")
	}
}

func TestNormalizeFlows(t *testing.T) {
	dump := `OFPST_FLOW reply (OF1.3) (xid=0x2):
 cookie=0x0, duration=12.345s, table=0, n_packets=7, n_bytes=588, priority=100,in_port=1 actions=output:2
 cookie=0x1, duration=1.5s, table=0, n_packets=0, n_bytes=0, idle_age=3, hard_age=4, priority=0 actions=drop
`
	want := []string{
		"cookie=0x0, table=0, priority=100,in_port=1 actions=output:2",
		"cookie=0x1, table=0, priority=0 actions=drop",
	}
	if got := normalizeFlows(dump); !slices.Equal(got, want) {
		t.Errorf("normalizeFlows = %q, want %q", got, want)
	}
}

func TestMatrixStringAndDiff(t *testing.T) {
	a, b := &Container{Name: "a"}, &Container{Name: "bb"}
	m := Matrix{order: []*Container{a, b}, reached: map[[2]*Container]bool{{a, b}: true, {b, a}: false}}
	if !m.Get(a, b) || m.Get(b, a) {
		t.Fatalf("Get: a->b %v, b->a %v", m.Get(a, b), m.Get(b, a))
	}
	s := m.String()
	lines := strings.Split(strings.TrimSpace(s), "\n")
	if len(lines) != 3 || !strings.HasSuffix(lines[1], "✓") || !strings.Contains(lines[2], "✗") {
		t.Errorf("String() =\n%s", s)
	}
	diff := m.Diff(func(x, y *Container) bool { return true })
	if !slices.Equal(diff, []string{"bb -> a: unreachable, want reached"}) {
		t.Errorf("Diff = %q", diff)
	}
}

func TestWaitFor(t *testing.T) {
	n := 0
	if err := WaitFor(context.Background(), func() (bool, error) { n++; return n == 3, nil }, 5*time.Second); err != nil || n != 3 {
		t.Errorf("WaitFor: err %v after %d polls, want success on the third", err, n)
	}
	start := time.Now()
	err := WaitFor(context.Background(), func() (bool, error) { return false, errors.New("port closed") }, 100*time.Millisecond)
	if err == nil || !strings.Contains(err.Error(), "port closed") {
		t.Errorf("WaitFor timeout error = %v, want it to carry the last error", err)
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Errorf("WaitFor with 100ms timeout took %v", d)
	}
}

func TestIdentityRoundTrip(t *testing.T) {
	id := processIdentity{Pid: 42, StartTime: 123456}
	got, err := parseIdentity(id.String() + "\n")
	if err != nil || got != id {
		t.Errorf("parseIdentity(%q) = %v, %v", id.String(), got, err)
	}
	if _, err := parseIdentity("42"); err == nil {
		t.Error("parseIdentity of a bare pid: want an error")
	}
}
