package e2e

import (
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"runtime/pprof"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/lorispack/loris/cmd/loris-bench/ofbench"
	"github.com/lorispack/loris/e2e/cluster"
	"github.com/lorispack/loris/ofproto"
	"github.com/lorispack/loris/policy"
	"github.com/lorispack/loris/topology"
)

// BenchmarkPacketInSideBySide (issue 6, item 1): the same cbench-style
// generator (cmd/loris-bench/ofbench), in the same run, against the os-ken
// learning switch (../shared/bench/learning_switch_13.py under
// osken-manager) and against loris. 16 switches; throughput mode with a
// window of 64 packet-ins per switch, then latency mode (one at a time per
// switch) twice: after the usual 1 s warm-up, while loris is still
// learning, and once every MAC is learned (steady: a 10 s warm-up; the
// learns that still reach its window are reported as steady-learns),
// and a storm phase without warm-up, whose window holds every learn. The
// floor (ofbench.Floor, loris-bench --serve-floor) runs the latency,
// steady and storm phases too: it sends what loris sends per learn and
// does nothing else, so the difference is loris's own work, measured in
// the same minutes.
// In latency mode the generator runs on one thread (GOMAXPROCS 1), as
// cbench does: on 2 vCPUs its goroutines spread over both CPUs took CPU
// from the controller and added their own wake-ups to the measured tail
// (docs/performance.md, session 9).
//
// Both controllers run as processes of their own (startBenchLoris), the
// generator in this one. (Until session 7 loris ran in this process: its
// goroutines then shared one Go scheduler with the generator's, which
// added a steady ~4 ms p99 to the known-MAC answers that a separate
// process does not see.) loris answers a packet-in with a PACKET_OUT
// re-injecting the frame (and a FLOW_MOD for the learned source MAC); at
// most 16 MACs are learned per
// port, so each port cycles through 16 source MACs: the first round of
// each is a real learn (model update, store write, flows on every host of
// the pod), later ones are already bound.
func BenchmarkPacketInSideBySide(b *testing.B) {
	requireBenchE2E(b)
	const switches, ports, window = 16, 64, 64
	app := filepath.Join("..", "..", "shared", "bench", "learning_switch_13.py")
	if _, err := os.Stat(app); err != nil {
		b.Skipf("os-ken app not found: %v", err)
	}
	if _, err := exec.LookPath("osken-manager"); err != nil {
		b.Skip("osken-manager not installed (apt-get install python3-os-ken)")
	}
	if binDir == "" {
		b.Skip("loris binaries not built (LORIS_E2E=skip)")
	}
	if os.Getenv("LORIS_E2E_RACE") != "" {
		b.Skip("the loris binaries are built with -race (LORIS_E2E_RACE): not measured")
	}
	base := ofbench.RunConfig{Switches: switches, PortsPerSwitch: ports, DatapathIDBase: 0x10b0000,
		Warmup: time.Second, Duration: 5 * time.Second, ReadyQuiet: 300 * time.Millisecond, ReadyTimeout: time.Minute,
		// The cookie of loris's punt flow, which loris checks (it learns
		// only from packets its punt flows sent); os-ken ignores it.
		Load: ofbench.LoadConfig{Timeout: time.Second, MACsPerPort: topology.MaxLearnedPerAttachment, Reason: ofproto.PacketInReasonAction,
			TableID: policy.TableClassify, Cookie: policy.Cookie(policy.KindUnknownSource, 0)},
		// Each switch has loris's tunnel port, as a real host does: a
		// learn then programs every host of its pod (os-ken ignores it).
		ExtraPorts: []ofproto.Port{ofbench.LorisTunnelPort()}}
	for b.Loop() {
		results := map[string]map[string]ofbench.Result{}
		for _, peer := range []struct {
			name  string
			modes []string
			start func(b *testing.B, mode string) (addr string, stop func())
		}{
			{"os-ken", []string{"throughput", "latency", "steady"}, func(b *testing.B, _ string) (string, func()) { return startOsken(b, app) }},
			{"loris", []string{"throughput", "latency", "steady", "storm"}, func(b *testing.B, mode string) (string, func()) { return startBenchLoris(b, base, mode) }},
			{"floor", []string{"latency", "steady", "storm"}, func(b *testing.B, _ string) (string, func()) { return startFloor(b) }},
		} {
			results[peer.name] = map[string]ofbench.Result{}
			for _, mode := range peer.modes {
				// Every pass starts a fresh controller with fresh switches,
				// so each controller sees the same sequence of new MACs.
				cfg := base
				addr, stop := peer.start(b, mode)
				cfg.Addr = addr
				cfg.Load.Window = window
				if mode != "throughput" {
					// One packet-in at a time per switch, the generator on
					// one thread, as cbench runs (RunConfig.Procs).
					cfg.Load.Window = 1
					cfg.Procs = 1
				}
				switch mode {
				case "steady":
					cfg.Warmup = steadyWarmup
				case "storm":
					cfg.Warmup = 0 // every learn in the window
				}
				sws, err := ofbench.Connect(context.Background(), cfg)
				if err != nil {
					b.Fatalf("%s: %v", peer.name, err)
				}
				stopProfile := benchCPUProfile(b, "generator-"+peer.name+"-"+mode)
				res := ofbench.Generate(context.Background(), sws, cfg)
				stopProfile()
				for _, s := range sws {
					if err := s.Err(); err != nil {
						b.Errorf("%s %s: switch %016x disconnected: %v", peer.name, mode, s.Config().DatapathID, err)
					}
					s.Close()
				}
				stop()
				b.Logf("%s %s: %s", peer.name, mode, res.Summary())
				results[peer.name][mode] = res
			}
		}
		osken, loris := results["os-ken"], results["loris"]
		ot, lt := osken["throughput"], loris["throughput"]
		ol, ll := osken["latency"], loris["latency"]
		b.ReportMetric(ot.Rate(), "osken-pktin/s")
		b.ReportMetric(lt.Rate(), "loris-pktin/s")
		b.ReportMetric(lt.Rate()/ot.Rate(), "loris/osken")
		b.ReportMetric(benchMicros(ol.Percentile(0.5)), "osken-p50-us")
		b.ReportMetric(benchMicros(ol.Percentile(0.99)), "osken-p99-us")
		b.ReportMetric(benchMicros(ll.Percentile(0.5)), "loris-p50-us")
		b.ReportMetric(benchMicros(ll.Percentile(0.99)), "loris-p99-us")
		// The packet-ins of known MACs, without the learns that run past
		// the warm-up.
		b.ReportMetric(benchMicros(ll.PacketOutPercentile(0.99)), "loris-known-p99-us")
		os, ls := osken["steady"], loris["steady"]
		b.ReportMetric(benchMicros(os.Percentile(0.99)), "osken-steady-p99-us")
		b.ReportMetric(benchMicros(ls.Percentile(0.5)), "loris-steady-p50-us")
		b.ReportMetric(benchMicros(ls.Percentile(0.99)), "loris-steady-p99-us")
		b.ReportMetric(float64(len(ls.FlowModLatencies)), "loris-steady-learns")
		// What the messages of a learn alone cost (ofbench.Floor), and
		// what loris's own work adds: the learns' latency while all of
		// them are learned, and how many of them outlast the 1 s warm-up.
		fl, fs, lstorm := results["floor"]["latency"], results["floor"]["storm"], loris["storm"]
		b.ReportMetric(benchMicros(fl.Percentile(0.99)), "floor-p99-us")
		// The floor's steady state is the machine's own tail in the
		// same minutes: loris's over it is what loris adds.
		fsteady := results["floor"]["steady"]
		b.ReportMetric(benchMicros(fsteady.Percentile(0.99)), "floor-steady-p99-us")
		b.ReportMetric(float64(ls.Percentile(0.99))/float64(fsteady.Percentile(0.99)), "loris/floor-steady-p99")
		b.ReportMetric(float64(len(fl.FlowModLatencies)), "floor-learns-after-1s")
		b.ReportMetric(float64(len(ll.FlowModLatencies)), "loris-learns-after-1s")
		b.ReportMetric(benchMicros(fs.FlowModPercentile(0.5)), "floor-learn-p50-us")
		b.ReportMetric(benchMicros(lstorm.FlowModPercentile(0.5)), "loris-learn-p50-us")
		b.ReportMetric(float64(lstorm.FlowModPercentile(0.5))/float64(fs.FlowModPercentile(0.5)), "loris/floor-learn-p50")
	}
}

// startFloor runs loris-bench's floor controller (ofbench.Floor) as a
// process of its own on loopback, as the controllers run, and returns its
// address and a function that stops it.
func startFloor(b *testing.B) (string, func()) {
	b.Helper()
	addr := freeLoopbackAddrs(b, 1)[0]
	stop, _ := startBenchProcess(b, filepath.Join(binDir, "loris-bench"), []string{"--serve-floor", addr}, addr)
	return addr, stop
}

// steadyWarmup is the warm-up of the steady latency phase: longer than
// loris takes to learn the 16,384 MACs one at a time per switch (3.6-5.9 s
// on 2 vCPUs, docs/performance.md).
const steadyWarmup = 10 * time.Second

// benchCPUProfile profiles this process (the generator) into
// $LORIS_BENCH_CPUPROFILE_DIR/<name>.cpu until the returned function is
// called, when that variable is set: the profile of one phase, without
// the set-up around it. loris profiles itself there (startBenchLoris).
func benchCPUProfile(b *testing.B, name string) (stop func()) {
	dir := os.Getenv("LORIS_BENCH_CPUPROFILE_DIR")
	if dir == "" {
		return func() {}
	}
	f, err := os.Create(filepath.Join(dir, name+".cpu"))
	if err != nil {
		b.Fatal(err)
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		f.Close()
		b.Fatal(err)
	}
	return func() {
		pprof.StopCPUProfile()
		f.Close()
	}
}

// cpuProfileArgs are the controller flags that write its CPU profile to
// $LORIS_BENCH_CPUPROFILE_DIR/loris-<name>.cpu (none when it is unset).
func cpuProfileArgs(name string) []string {
	dir := os.Getenv("LORIS_BENCH_CPUPROFILE_DIR")
	if dir == "" {
		return nil
	}
	return []string{"--cpu-profile", filepath.Join(dir, "loris-"+name+".cpu")}
}

func benchMicros(d time.Duration) float64 { return float64(d) / float64(time.Microsecond) }

// freeLoopbackAddrs returns n distinct loopback TCP addresses nothing
// listens on (all held open until all are chosen).
func freeLoopbackAddrs(b *testing.B, n int) []string {
	b.Helper()
	addrs := make([]string, n)
	for i := range addrs {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			b.Fatal(err)
		}
		defer ln.Close()
		addrs[i] = ln.Addr().String()
	}
	return addrs
}

// startOsken runs osken-manager with the learning switch on loopback and
// returns its OpenFlow address and a function that stops it.
func startOsken(b *testing.B, app string) (string, func()) {
	b.Helper()
	addr := freeLoopbackAddrs(b, 1)[0]
	host, port, _ := net.SplitHostPort(addr)
	stop, _ := startBenchProcess(b, "osken-manager", []string{"--ofp-listen-host", host, "--ofp-tcp-listen-port", port, app}, addr)
	return addr, stop
}

// startBenchLoris runs loris-controller as os-ken runs, a process of its
// own on loopback, with its bbolt store, as in production, and the
// per-switch message budget raised (the default, 5,000 messages/s per
// switch, disconnects a switch long before these rates, by design). It
// registers one host per emulated switch and one attachment per port
// through the API (attachments spread over as many pods as switches, so
// each pod has members on every host), and returns its OpenFlow address
// and a function that stops it. With $LORIS_BENCH_CPUPROFILE_DIR set,
// loris writes its CPU profile of the run to loris-<mode>.cpu there.
func startBenchLoris(b *testing.B, cfg ofbench.RunConfig, mode string) (string, func()) {
	b.Helper()
	addrs := freeLoopbackAddrs(b, 2)
	ofAddr, apiAddr := addrs[0], addrs[1]
	args := []string{"--openflow-addr", ofAddr, "--api-addr", apiAddr, "--db", filepath.Join(b.TempDir(), "loris.db"),
		"--log-level", "warn", "--switch-msg-rate", "1000000000", "--switch-msg-burst", "1000000000", "--port-stats-interval", "0"}
	args = append(args, cpuProfileArgs(mode)...)
	// The API listens after the OpenFlow port: once it answers, both do.
	stop, logPath := startBenchProcess(b, filepath.Join(binDir, "loris-controller"), args, apiAddr)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	reg := &ofbench.LorisRegistrar{Base: "http://" + apiAddr}
	if err := reg.Register(ctx, cfg, cfg.Switches); err != nil {
		b.Fatalf("registering the switches with loris: %v\nloris log:\n%s", err, cluster.FileTail(logPath, 20))
	}
	return ofAddr, stop
}

// startBenchProcess starts a controller, its output in a log file of b's
// (whose tail a failure to start prints), waits until it accepts
// connections on addr, and returns a function that stops it by its pid
// (SIGTERM, then SIGKILL after 10 s; it is stopped when b ends in any
// case) and the log's path.
func startBenchProcess(b *testing.B, name string, args []string, addr string) (stop func(), logPath string) {
	b.Helper()
	logf, err := os.Create(filepath.Join(b.TempDir(), filepath.Base(name)+".log"))
	if err != nil {
		b.Fatal(err)
	}
	cmd := exec.Command(name, args...)
	cmd.Stdout, cmd.Stderr = logf, logf
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		logf.Close()
		b.Fatal(err)
	}
	exited := make(chan struct{})
	go func() {
		cmd.Wait()
		close(exited)
	}()
	var once sync.Once
	stop = func() {
		once.Do(func() {
			cmd.Process.Signal(syscall.SIGTERM)
			select {
			case <-exited:
			case <-time.After(10 * time.Second):
				cmd.Process.Kill()
				<-exited
			}
			logf.Close()
		})
	}
	b.Cleanup(stop)
	err = cluster.WaitFor(context.Background(), func() (bool, error) {
		select {
		case <-exited:
			return false, fmt.Errorf("%s exited", name)
		default:
		}
		c, err := net.DialTimeout("tcp", addr, time.Second)
		if err != nil {
			return false, nil
		}
		c.Close()
		return true, nil
	}, 30*time.Second)
	if err != nil {
		b.Fatalf("%s did not start listening on %s: %v\nits log:\n%s", name, addr, err, cluster.FileTail(logf.Name(), 20))
	}
	return stop, logf.Name()
}
