// Command loris-controller is loris's central SDN controller: it holds the
// host inventory and pod membership, serves the HTTP JSON API that lorisctl
// drives, and programs every host's br-loris bridge over OpenFlow 1.3.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"runtime/pprof"
	"syscall"
	"time"

	"github.com/lorispack/loris/controller"
	"github.com/lorispack/loris/store"
	"github.com/prometheus/client_golang/prometheus"
)

// version is set at build time with -ldflags "-X main.version=...".
var version = "dev"

type options struct {
	openflowAddr string
	apiAddr      string
	dbPath       string
	logLevel     string
	logFormat    string
	echoInterval time.Duration
	deadTimeout  time.Duration
	// statsInterval is how often switch counters are polled; 0 disables.
	statsInterval time.Duration
	// switchMsgRate and switchMsgBurst: the token bucket over what one
	// switch may send unasked (packet-ins, port status).
	switchMsgRate, switchMsgBurst int
	// peerLearnDelay: Config.PeerLearnDelay, except that 0 means no wait.
	peerLearnDelay time.Duration
	security       securityOptions
	cpuProfile     string
}

func main() {
	if err := run(os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "loris-controller:", err)
		os.Exit(1)
	}
}

func parseFlags(args []string) (options, error) {
	var o options
	fs := flag.NewFlagSet("loris-controller", flag.ContinueOnError)
	fs.Usage = func() {
		fmt.Fprint(fs.Output(), `Usage: loris-controller [flags]

The loris controller. Hosts point their bridge at it with
  ovs-vsctl set-controller br-loris tcp:CONTROLLER:6653
(lorisctl host init does this), and users drive it with lorisctl through the
HTTP API. State lives in an embedded database (bbolt) and survives restarts.

Flags:
`)
		fs.PrintDefaults()
	}
	fs.StringVar(&o.openflowAddr, "openflow-addr", ":6653", "address to accept OpenFlow 1.3 switch connections on")
	fs.StringVar(&o.apiAddr, "api-addr", "127.0.0.1:6680", "address of the HTTP JSON API (lorisctl --server)")
	fs.StringVar(&o.dbPath, "db", "/var/lib/loris/loris.db", "path of the state database (created if missing)")
	fs.StringVar(&o.logLevel, "log-level", "info", "log level: debug, info, warn, error")
	fs.StringVar(&o.logFormat, "log-format", "text", "log format: text or json")
	fs.DurationVar(&o.echoInterval, "echo-interval", 5*time.Second, "keepalive interval towards switches")
	fs.DurationVar(&o.deadTimeout, "dead-timeout", 15*time.Second, "drop a switch that has been silent this long")
	fs.DurationVar(&o.statsInterval, "port-stats-interval", 15*time.Second,
		"how often to poll port and flow counters from each switch for /metrics (0 disables)")
	fs.IntVar(&o.switchMsgRate, "switch-msg-rate", 5000,
		"messages per second one switch may send unasked (packet-ins, port status), sustained; a switch over its budget is disconnected")
	fs.IntVar(&o.switchMsgBurst, "switch-msg-burst", 20000, "messages one switch may send unasked at once, above --switch-msg-rate")
	fs.DurationVar(&o.peerLearnDelay, "peer-learn-delay", 5*time.Millisecond,
		"how long the other hosts of a pod may wait for the flows of a MAC learned on one host, so that a\n"+
			"burst of learns costs each of them one round, not one per MAC. The learning host is programmed\n"+
			"at once; the MAC's first frame goes on once every host has its flows (0: no wait, at most 1s)")
	fs.StringVar(&o.cpuProfile, "cpu-profile", "", "write a Go CPU profile of the whole run to this file, stopped at shutdown\n"+
		"(for performance work: go tool pprof FILE)")
	o.security.register(fs)
	showVersion := fs.Bool("version", false, "print the version and exit")
	if err := fs.Parse(args); err != nil {
		return o, err
	}
	if fs.NArg() > 0 {
		return o, fmt.Errorf("unexpected arguments: %v", fs.Args())
	}
	if *showVersion {
		fmt.Println("loris-controller", version)
		os.Exit(0)
	}
	if o.echoInterval <= 0 || o.deadTimeout <= o.echoInterval {
		return o, errors.New("--dead-timeout must be longer than a positive --echo-interval")
	}
	if o.peerLearnDelay < 0 || o.peerLearnDelay > time.Second {
		return o, fmt.Errorf("--peer-learn-delay %v: want 0 to 1s", o.peerLearnDelay)
	}
	if o.switchMsgRate <= 0 || o.switchMsgBurst <= 0 {
		return o, errors.New("--switch-msg-rate and --switch-msg-burst must be positive")
	}
	return o, nil
}

func newLogger(o options) (*slog.Logger, error) {
	var level slog.Level
	if err := level.UnmarshalText([]byte(o.logLevel)); err != nil {
		return nil, fmt.Errorf("--log-level: %w", err)
	}
	hopts := &slog.HandlerOptions{Level: level}
	switch o.logFormat {
	case "text":
		return slog.New(slog.NewTextHandler(os.Stderr, hopts)), nil
	case "json":
		return slog.New(slog.NewJSONHandler(os.Stderr, hopts)), nil
	}
	return nil, fmt.Errorf("--log-format: %q is neither text nor json", o.logFormat)
}

func run(args []string) error {
	o, err := parseFlags(args)
	if err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil
		}
		return err
	}
	log, err := newLogger(o)
	if err != nil {
		return err
	}
	if o.cpuProfile != "" {
		stopProfile, err := startCPUProfile(o.cpuProfile)
		if err != nil {
			return err
		}
		defer stopProfile()
	}
	sec, err := o.security.load(o.apiAddr, log)
	if err != nil {
		return err
	}
	db, err := store.OpenBolt(o.dbPath, store.BoltOptions{})
	if err != nil {
		return err
	}
	defer db.Close()
	ctl, err := controller.New(controller.Config{
		Store: db, Logger: log, Version: version,
		EchoInterval: o.echoInterval, DeadTimeout: o.deadTimeout,
		Registry: prometheus.NewRegistry(), StatsInterval: zeroOff(o.statsInterval),
		SwitchMsgRate: o.switchMsgRate, SwitchMsgBurst: o.switchMsgBurst, PeerLearnDelay: zeroOff(o.peerLearnDelay),
	})
	if err != nil {
		return err
	}
	ofl, err := net.Listen("tcp", o.openflowAddr)
	if err != nil {
		return fmt.Errorf("openflow listener: %w", err)
	}
	apil, err := net.Listen("tcp", o.apiAddr)
	if err != nil {
		ofl.Close()
		return fmt.Errorf("api listener: %w", err)
	}
	ofl, apil = sec.wrapListeners(ofl, apil)
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()

	srv := &http.Server{Handler: sec.wrapHandler(ctl.Handler(), log), ReadHeaderTimeout: 10 * time.Second}
	errc := make(chan error, 2)
	go func() { errc <- ctl.ServeOpenFlow(ctx, ofl) }()
	go func() {
		if err := srv.Serve(apil); !errors.Is(err, http.ErrServerClosed) {
			errc <- err
		}
	}()
	log.Info("loris-controller started", "version", version, "openflow", ofl.Addr().String(),
		"api", apil.Addr().String(), "db", o.dbPath, "openflow_tls", sec.openflowTLS != nil,
		"api_tls", sec.apiTLS != nil, "api_auth", sec.tokens != nil)
	select {
	case <-ctx.Done():
		log.Info("shutting down")
	case err = <-errc:
		log.Error("listener failed", "err", err)
	}
	stop()
	sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	srv.Shutdown(sctx)
	ofl.Close()
	ctl.Wait()
	return err
}

// zeroOff maps a flag's "0: off" to the controller's negative duration
// (in Config, 0 takes the default): --port-stats-interval,
// --peer-learn-delay.
func zeroOff(d time.Duration) time.Duration {
	if d <= 0 {
		return -1
	}
	return d
}

// startCPUProfile profiles the process into path until the returned
// function is called.
func startCPUProfile(path string) (func(), error) {
	f, err := os.Create(path)
	if err != nil {
		return nil, fmt.Errorf("--cpu-profile: %w", err)
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		f.Close()
		return nil, fmt.Errorf("--cpu-profile: %w", err)
	}
	return func() {
		pprof.StopCPUProfile()
		f.Close()
	}, nil
}
