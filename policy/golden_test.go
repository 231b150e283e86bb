package policy

import (
	"flag"
	"fmt"
	"net/netip"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/lorispack/loris/topology"
)

var rewrite = flag.Bool("rewrite", false, "rewrite the expected outputs in testdata/*.txt")

// The golden files are sequences of cases:
//
//	# comments and blank lines between cases are kept
//	command
//	input line
//	...
//	----
//	expected output
//	(ends at a blank line or the end of the file)
//
// Commands:
//
//	topology        builds a new model from the input lines:
//	                  host NAME dpid=N ip=A [tunnel=T]
//	                  pod NAME vni=N
//	                  attach HOST CONTAINER IFNAME ip=P [port=X] [pod=X] [mac=M]
//	                  ports HOST NAME=NUMBER ...
//	                  learn HOST CONTAINER IFNAME mac=M  (MAC seen on the port)
//	                prints "ok" or the error
//	compile HOST    prints Compile(...).String() for HOST with its ports
type goldenCase struct {
	leading  []string // comments and blank lines before the case
	command  []string // command line plus input lines
	expected []string
}

func parseGolden(t *testing.T, text string) (cases []goldenCase, trailing []string) {
	t.Helper()
	lines := strings.Split(strings.TrimRight(text, "\n"), "\n")
	var cur goldenCase
	i := 0
	for i < len(lines) {
		line := lines[i]
		if len(cur.command) == 0 && (strings.TrimSpace(line) == "" || strings.HasPrefix(line, "#")) {
			cur.leading = append(cur.leading, line)
			i++
			continue
		}
		if line != "----" {
			cur.command = append(cur.command, line)
			i++
			continue
		}
		if len(cur.command) == 0 {
			t.Fatalf("line %d: ---- without a command", i+1)
		}
		i++
		for i < len(lines) && strings.TrimSpace(lines[i]) != "" {
			cur.expected = append(cur.expected, lines[i])
			i++
		}
		cases = append(cases, cur)
		cur = goldenCase{}
	}
	if len(cur.command) > 0 {
		t.Fatalf("case %q has no ---- line", cur.command[0])
	}
	return cases, cur.leading
}

func TestGolden(t *testing.T) {
	files, err := filepath.Glob("testdata/*.txt")
	if err != nil || len(files) == 0 {
		t.Fatalf("no golden files: %v", err)
	}
	for _, file := range files {
		t.Run(filepath.Base(file), func(t *testing.T) {
			raw, err := os.ReadFile(file)
			if err != nil {
				t.Fatal(err)
			}
			cases, trailing := parseGolden(t, string(raw))
			env := &goldenEnv{}
			var out strings.Builder
			for _, c := range cases {
				got := env.run(c.command)
				want := strings.Join(c.expected, "\n")
				if !*rewrite && got != want {
					t.Errorf("%s: %s\n--- got\n%s\n--- want\n%s", file, c.command[0], got, want)
				}
				for _, l := range c.leading {
					out.WriteString(l + "\n")
				}
				out.WriteString(strings.Join(c.command, "\n") + "\n----\n" + got + "\n")
			}
			for _, l := range trailing {
				out.WriteString(l + "\n")
			}
			if *rewrite {
				if err := os.WriteFile(file, []byte(out.String()), 0o644); err != nil {
					t.Fatal(err)
				}
			}
		})
	}
}

type goldenEnv struct {
	model *topology.Model
	ports map[string]Ports
}

func (e *goldenEnv) run(command []string) string {
	fields := strings.Fields(command[0])
	switch fields[0] {
	case "topology":
		if err := e.build(command[1:]); err != nil {
			return "error: " + err.Error()
		}
		return "ok"
	case "compile":
		if len(fields) != 2 || e.model == nil {
			return "error: usage: compile HOST, after topology"
		}
		out := strings.TrimRight(Compile(e.model.Snapshot(), fields[1], e.ports[fields[1]]).String(), "\n")
		if out == "" {
			return "(empty)"
		}
		return out
	}
	return "error: unknown command " + fields[0]
}

func (e *goldenEnv) build(lines []string) error {
	m := topology.New()
	m.SetClock(func() time.Time { return time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC) })
	ports := map[string]Ports{}
	for _, line := range lines {
		if err := buildLine(m, ports, line); err != nil {
			return fmt.Errorf("%q: %w", line, err)
		}
	}
	e.model, e.ports = m, ports
	return nil
}

func buildLine(m *topology.Model, ports map[string]Ports, line string) error {
	fields := strings.Fields(line)
	if len(fields) < 2 {
		return fmt.Errorf("too short")
	}
	kind, positional, opts := fields[0], []string{}, map[string]string{}
	for _, f := range fields[1:] {
		if k, v, ok := strings.Cut(f, "="); ok {
			opts[k] = v
		} else {
			positional = append(positional, f)
		}
	}
	switch kind {
	case "host":
		dpid, err := topology.ParseDatapathID(opts["dpid"])
		if err != nil {
			return err
		}
		ip, err := netip.ParseAddr(opts["ip"])
		if err != nil {
			return err
		}
		_, _, err = m.AddHost(topology.Host{Name: positional[0], DatapathID: dpid, TunnelIP: ip, Tunnel: topology.TunnelType(opts["tunnel"])})
		return err
	case "pod":
		vni, err := strconv.ParseUint(opts["vni"], 10, 32)
		if err != nil {
			return err
		}
		_, err = m.AddPod(positional[0], uint32(vni))
		return err
	case "attach":
		if len(positional) != 3 {
			return fmt.Errorf("want attach HOST CONTAINER IFNAME")
		}
		ip, err := netip.ParsePrefix(opts["ip"])
		if err != nil {
			return err
		}
		var mac topology.MAC
		if opts["mac"] != "" {
			if mac, err = topology.ParseMAC(opts["mac"]); err != nil {
				return err
			}
		}
		_, err = m.Attach(topology.Attachment{Host: positional[0], Container: positional[1], IfName: positional[2],
			Port: opts["port"], Pod: opts["pod"], MAC: mac, IP: ip})
		return err
	case "learn":
		if len(positional) != 3 {
			return fmt.Errorf("want learn HOST CONTAINER IFNAME mac=M")
		}
		mac, err := topology.ParseMAC(opts["mac"])
		if err != nil {
			return err
		}
		a, ok := m.FindAttachment(positional[0], positional[1], positional[2])
		if !ok {
			return fmt.Errorf("no attachment %s/%s/%s", positional[0], positional[1], positional[2])
		}
		_, err = m.Learn(a.ID, mac)
		return err
	case "ports":
		p := Ports{}
		for name, num := range opts {
			n, err := strconv.ParseUint(num, 10, 32)
			if err != nil {
				return err
			}
			p[name] = uint32(n)
		}
		ports[positional[0]] = p
		return nil
	}
	return fmt.Errorf("unknown line kind %q", kind)
}
