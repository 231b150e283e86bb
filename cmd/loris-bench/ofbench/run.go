package ofbench

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"sync"
	"time"

	"github.com/lorispack/loris/ofproto"
)

// RunConfig describes one benchmark run: Switches emulated switches with
// PortsPerSwitch ports each connect to Addr and stream packet-ins.
type RunConfig struct {
	Addr           string
	Switches       int
	PortsPerSwitch int
	// DatapathIDBase is the datapath id of switch 0; switch i has base+i.
	DatapathIDBase uint64
	// ExtraPorts: every switch also has these, where no packet-in comes
	// from (SwitchConfig.ExtraPorts).
	ExtraPorts []ofproto.Port
	Load       LoadConfig
	// Warmup runs the load unmeasured before Duration is measured.
	Warmup, Duration time.Duration
	// Procs, if above 0, is this process's GOMAXPROCS while the load runs
	// (the previous value is restored after). 1 makes the generator one
	// thread, as cbench is: in latency mode it has little to do, and
	// spread over every CPU its goroutines take CPUs from the controller
	// and add their own wake-ups to the latencies it measures.
	Procs int
	// ReadyQuiet is how long the controller must stay silent after reading
	// a switch's ports before the switch counts as ready; ReadyTimeout
	// bounds the wait for all switches.
	ReadyQuiet, ReadyTimeout time.Duration
}

// PortName is the name of port p (from 0) of switch i; loris attachments
// refer to ports by name.
func PortName(i, p int) string { return fmt.Sprintf("lb%dp%d", i, p) }

// SwitchPorts returns the ports of switch i: numbers 1..n, names from
// PortName.
func SwitchPorts(i, n int) []ofproto.Port {
	ports := make([]ofproto.Port, n)
	for p := range ports {
		ports[p] = ofproto.Port{PortNo: uint32(p + 1), Name: PortName(i, p),
			HWAddr:    [6]byte{0x0a, 0xbe, byte(i >> 8), byte(i), byte(p >> 8), byte(p)},
			CurrSpeed: 10_000_000, MaxSpeed: 10_000_000}
	}
	return ports
}

// Connect dials every switch of cfg and waits until all are ready. On
// error the switches already connected are closed.
func Connect(ctx context.Context, cfg RunConfig) ([]*Switch, error) {
	if cfg.Switches <= 0 || cfg.PortsPerSwitch <= 0 {
		return nil, errors.New("need at least one switch with one port")
	}
	if cfg.ReadyQuiet <= 0 {
		cfg.ReadyQuiet = 200 * time.Millisecond
	}
	if cfg.ReadyTimeout <= 0 {
		cfg.ReadyTimeout = 30 * time.Second
	}
	ctx, cancel := context.WithTimeout(ctx, cfg.ReadyTimeout)
	defer cancel()
	switches := make([]*Switch, 0, cfg.Switches)
	fail := func(err error) ([]*Switch, error) {
		for _, s := range switches {
			s.Close()
		}
		return nil, err
	}
	for i := range cfg.Switches {
		s, err := Dial(ctx, cfg.Addr, SwitchConfig{DatapathID: cfg.DatapathIDBase + uint64(i), Ports: SwitchPorts(i, cfg.PortsPerSwitch),
			ExtraPorts: cfg.ExtraPorts, Index: i})
		if err != nil {
			return fail(err)
		}
		switches = append(switches, s)
	}
	for _, s := range switches {
		if err := s.WaitReady(ctx, cfg.ReadyQuiet); err != nil {
			return fail(err)
		}
	}
	return switches, nil
}

// Generate runs the load on every switch for cfg.Warmup+cfg.Duration and
// returns the merged result of the measured part.
func Generate(ctx context.Context, switches []*Switch, cfg RunConfig) Result {
	if cfg.Procs > 0 {
		defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(cfg.Procs))
	}
	start := time.Now()
	measureFrom := start.Add(cfg.Warmup)
	ctx, cancel := context.WithDeadline(ctx, measureFrom.Add(cfg.Duration))
	defer cancel()
	results := make([]Result, len(switches))
	var wg sync.WaitGroup
	for i, s := range switches {
		wg.Add(1)
		go func() {
			defer wg.Done()
			results[i] = s.Generate(ctx, cfg.Load, measureFrom)
		}()
	}
	wg.Wait()
	var total Result
	for _, r := range results {
		total.Merge(r)
	}
	total.Elapsed = time.Since(measureFrom)
	if total.Elapsed > cfg.Duration {
		total.Elapsed = cfg.Duration
	}
	return total
}
