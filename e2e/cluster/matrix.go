package cluster

import (
	"fmt"
	"net/netip"
	"strings"
	"sync"
	"time"
)

// Matrix holds which container reached which in a ping round.
type Matrix struct {
	order   []*Container
	reached map[[2]*Container]bool
}

// pingMatrixParallelism bounds concurrent pings: each is a process, and
// the machine has few cores shared with the datapaths under test.
const pingMatrixParallelism = 8

// PingMatrix pings, for every ordered pair (a, b) of distinct containers,
// ips[b] from a: one reply within 2 s counts as reached. A container
// missing from ips is unreachable.
func (c *Cluster) PingMatrix(ctrs []*Container, ips map[*Container]netip.Addr) Matrix {
	m := Matrix{order: ctrs, reached: map[[2]*Container]bool{}}
	var mu sync.Mutex
	var wg sync.WaitGroup
	slots := make(chan struct{}, pingMatrixParallelism)
	for _, a := range ctrs {
		for _, b := range ctrs {
			ip, ok := ips[b]
			if a == b || !ok {
				continue
			}
			wg.Add(1)
			slots <- struct{}{}
			go func() {
				defer func() { <-slots; wg.Done() }()
				ok := a.Ping(ip, 1, 2*time.Second) == nil
				mu.Lock()
				m.reached[[2]*Container{a, b}] = ok
				mu.Unlock()
			}()
		}
	}
	wg.Wait()
	return m
}

// Get reports whether a reached b.
func (m Matrix) Get(a, b *Container) bool {
	return m.reached[[2]*Container{a, b}]
}

// Diff lists the pairs where the matrix disagrees with want, e.g.
// "c1 -> c3: reached, want unreachable".
func (m Matrix) Diff(want func(a, b *Container) bool) []string {
	var diffs []string
	for _, a := range m.order {
		for _, b := range m.order {
			if a == b {
				continue
			}
			got, w := m.Get(a, b), want(a, b)
			if got != w {
				diffs = append(diffs, fmt.Sprintf("%s -> %s: %s, want %s", a.Name, b.Name, reachWord(got), reachWord(w)))
			}
		}
	}
	return diffs
}

func reachWord(ok bool) string {
	if ok {
		return "reached"
	}
	return "unreachable"
}

// String renders the matrix with sources as rows and destinations as
// columns: ✓ reached, ✗ not, · self.
func (m Matrix) String() string {
	width := len("from\\to")
	for _, c := range m.order {
		width = max(width, len(c.Name))
	}
	var b strings.Builder
	fmt.Fprintf(&b, "%-*s", width, "from\\to")
	for _, c := range m.order {
		fmt.Fprintf(&b, " %*s", width, c.Name)
	}
	b.WriteByte('\n')
	for _, a := range m.order {
		fmt.Fprintf(&b, "%-*s", width, a.Name)
		for _, c := range m.order {
			mark := "✗"
			switch {
			case a == c:
				mark = "·"
			case m.Get(a, c):
				mark = "✓"
			}
			fmt.Fprintf(&b, " %s%s", strings.Repeat(" ", width-1), mark)
		}
		b.WriteByte('\n')
	}
	return b.String()
}
