// Command loris-bench is a cbench-style load generator for OpenFlow 1.3
// controllers: it connects N emulated switches and streams PACKET_INs with
// new source MACs on their ports, counting the controller's answers (a
// PACKET_OUT carrying the packet, or a FLOW_MOD matching its source MAC).
//
// Throughput mode keeps a window of unanswered packet-ins per switch;
// latency mode sends one at a time and reports p50/p99.
//
// With --loris-api the switches are first registered with a loris
// controller as hosts, each port as an attachment, so loris treats the
// packet-ins as coming from its containers.
//
// With --serve-floor it is no generator but the other side: a controller
// that only sends the messages loris sends for each learn (ofbench.Floor),
// to measure what they alone cost next to what a controller costs.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/lorispack/loris/cmd/loris-bench/ofbench"
	"github.com/lorispack/loris/ofproto"
	"github.com/lorispack/loris/policy"
)

// report is the --json output.
type report struct {
	Controller string  `json:"controller"`
	Mode       string  `json:"mode"`
	Switches   int     `json:"switches"`
	Ports      int     `json:"ports_per_switch"`
	Window     int     `json:"window"`
	Seconds    float64 `json:"seconds"`
	Sent       uint64  `json:"sent"`
	Answered   uint64  `json:"answered"`
	Lost       uint64  `json:"lost"`
	Rate       float64 `json:"answered_per_second"`
	P50us      float64 `json:"p50_us"`
	P99us      float64 `json:"p99_us"`
	MaxUs      float64 `json:"max_us"`
	MinSwitch  uint64  `json:"min_switch_answered"`
	MaxSwitch  uint64  `json:"max_switch_answered"`
	FlowMods   uint64  `json:"flow_mods"`
	PacketOuts uint64  `json:"packet_outs"`
}

func main() {
	if err := run(os.Args[1:], os.Stdout); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			os.Exit(2)
		}
		fmt.Fprintln(os.Stderr, "loris-bench:", err)
		os.Exit(1)
	}
}

func run(args []string, stdout io.Writer) error {
	fs := flag.NewFlagSet("loris-bench", flag.ContinueOnError)
	addr := fs.String("controller", "127.0.0.1:6653", "controller OpenFlow address HOST:PORT")
	switches := fs.Int("switches", 16, "emulated switches")
	ports := fs.Int("ports", 4, "ports per switch (packet-ins arrive on them in turn)")
	mode := fs.String("mode", "throughput", "throughput (a window of outstanding packet-ins per switch) or latency (one at a time)")
	window := fs.Int("window", 64, "outstanding packet-ins per switch in throughput mode")
	duration := fs.Duration("duration", 5*time.Second, "measured interval")
	warmup := fs.Duration("warmup", time.Second, "unmeasured load before the measured interval")
	timeout := fs.Duration("timeout", time.Second, "an unanswered packet-in is lost after this")
	macsPerPort := fs.Int("macs-per-port", 0, "distinct source MACs per port before they repeat (0: always new)")
	dpidBase := fs.Uint64("dpid-base", 0x10b0000, "datapath id of the first switch")
	reason := fs.Uint("reason", 1, "PACKET_IN reason (0 no match, 1 action)")
	tableID := fs.Uint("table", 0, "PACKET_IN table id")
	cookie := fs.Uint64("cookie", 0, "PACKET_IN cookie (with --loris-api, default: the cookie of loris's unknown-source punt flow, which loris requires)")
	quiet := fs.Duration("ready-quiet", 300*time.Millisecond, "a switch is ready once the controller read its ports and then sent nothing for this long")
	lorisAPI := fs.String("loris-api", "", "register switches and ports with this loris API (http://HOST:PORT) first")
	lorisToken := fs.String("loris-token", "", "bearer token for --loris-api")
	pods := fs.Int("pods", 1, "with --loris-api: pods the attachments are spread over")
	tunnel := fs.Bool("loris-tunnel-port", true, "with --loris-api: every switch also reports loris's tunnel port, as a\n"+
		"real host does, so that a learn programs the pod's other hosts too (false: a lighter, unrealistic load)")
	procs := fs.Int("procs", 0, "threads (GOMAXPROCS) the switches run on while the load runs; 0: one in latency mode,\n"+
		"as cbench runs, so that the generator's own wake-ups stay out of the latencies, and every CPU in throughput mode")
	name := fs.String("name", "", "controller name in the report")
	asJSON := fs.Bool("json", false, "print the result as JSON")
	floor := fs.String("serve-floor", "", "serve the floor controller on this address HOST:PORT until interrupted, instead of\n"+
		"generating load: per new source MAC it only sends what loris sends (--floor-own-flow-mods\n"+
		"FLOW_MODs and a re-injection to that switch, one FLOW_MOD to every other, a barrier each)")
	floorOwn := fs.Int("floor-own-flow-mods", 5, "with --serve-floor: FLOW_MODs per learn to the switch that saw the MAC")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *floor != "" {
		if *floorOwn < 1 {
			return fmt.Errorf("--floor-own-flow-mods %d: want 1 or more", *floorOwn)
		}
		ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
		defer stop()
		return ofbench.ListenFloor(ctx, *floor, ofbench.FloorConfig{OwnFlowMods: *floorOwn})
	}
	cfg := ofbench.RunConfig{
		Addr: *addr, Switches: *switches, PortsPerSwitch: *ports, DatapathIDBase: *dpidBase,
		Warmup: *warmup, Duration: *duration, ReadyQuiet: *quiet,
		Load: ofbench.LoadConfig{Window: *window, Timeout: *timeout, MACsPerPort: *macsPerPort,
			Reason: uint8(*reason), TableID: uint8(*tableID), Cookie: *cookie},
	}
	switch *mode {
	case "throughput":
	case "latency":
		cfg.Load.Window = 1
		if *procs == 0 {
			cfg.Procs = 1
		}
	default:
		return fmt.Errorf("--mode %q: want throughput or latency", *mode)
	}
	if *procs < 0 {
		return fmt.Errorf("--procs %d: want 0 or more", *procs)
	}
	if *procs > 0 {
		cfg.Procs = *procs
	}
	if *switches < 1 || *switches > 1<<16 || *ports < 1 || *ports > 60000 {
		return errors.New("--switches must be 1..65536 and --ports 1..60000")
	}

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	if *lorisAPI != "" {
		cookieSet := false
		fs.Visit(func(f *flag.Flag) { cookieSet = cookieSet || f.Name == "cookie" })
		if !cookieSet {
			cfg.Load.Cookie = policy.Cookie(policy.KindUnknownSource, 0)
		}
		if *tunnel {
			cfg.ExtraPorts = []ofproto.Port{ofbench.LorisTunnelPort()}
		}
		reg := &ofbench.LorisRegistrar{Base: *lorisAPI, Token: *lorisToken}
		if err := reg.Register(ctx, cfg, *pods); err != nil {
			return fmt.Errorf("registering with loris: %w", err)
		}
	}
	sws, err := ofbench.Connect(ctx, cfg)
	if err != nil {
		return err
	}
	defer func() {
		for _, s := range sws {
			s.Close()
		}
	}()
	before := make([]ofbench.Counters, len(sws))
	for i, s := range sws {
		before[i] = s.Counters()
	}
	res := ofbench.Generate(ctx, sws, cfg)
	for _, s := range sws {
		if err := s.Err(); err != nil {
			return fmt.Errorf("switch %016x disconnected during the run: %w", s.Config().DatapathID, err)
		}
	}
	rep := report{Controller: *name, Mode: *mode, Switches: *switches, Ports: *ports, Window: cfg.Load.Window,
		Seconds: res.Elapsed.Seconds(), Sent: res.Sent, Answered: res.Answered, Lost: res.Lost, Rate: res.Rate(),
		P50us: us(res.Percentile(0.5)), P99us: us(res.Percentile(0.99)), MaxUs: us(res.Percentile(1))}
	for i, s := range sws {
		c := s.Counters()
		rep.FlowMods += c.FlowMods - before[i].FlowMods
		rep.PacketOuts += c.PacketOuts - before[i].PacketOuts
	}
	if len(res.PerSwitch) > 0 {
		rep.MinSwitch, rep.MaxSwitch = res.PerSwitch[0], res.PerSwitch[0]
		for _, n := range res.PerSwitch {
			rep.MinSwitch, rep.MaxSwitch = min(rep.MinSwitch, n), max(rep.MaxSwitch, n)
		}
	}
	if *asJSON {
		return json.NewEncoder(stdout).Encode(rep)
	}
	fmt.Fprintf(stdout, "%s %s: %d switches x %d ports, window %d: %s; flow_mods %d packet_outs %d\n",
		*name, *mode, *switches, *ports, cfg.Load.Window, res.Summary(), rep.FlowMods, rep.PacketOuts)
	return nil
}

func us(d time.Duration) float64 { return float64(d) / float64(time.Microsecond) }
