package ofbench

import (
	"context"
	"net"
	"sync"
	"testing"
	"time"
)

// startFloor serves a Floor on a loopback port until stop is called or
// the test ends; stop checks that Serve returned cleanly.
func startFloor(t *testing.T, cfg FloorConfig) (f *Floor, addr string, stop func()) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	f = NewFloor(cfg)
	ctx, cancel := context.WithCancel(context.Background())
	served := make(chan error, 1)
	go func() { served <- f.Serve(ctx, ln) }()
	var once sync.Once
	stop = func() {
		once.Do(func() {
			cancel()
			select {
			case err := <-served:
				if err != nil {
					t.Errorf("Serve after cancel: %v", err)
				}
			case <-time.After(10 * time.Second):
				t.Error("Serve did not return after its context ended")
			}
		})
	}
	t.Cleanup(stop)
	return f, ln.Addr().String(), stop
}

// Every switch is told of every learn: the one that saw the MAC gets
// OwnFlowMods FLOW_MODs and a barrier, each other one FLOW_MOD and a
// barrier; a MAC seen before gets its PACKET_OUT only.
func TestFloorSendsALearnsMessages(t *testing.T) {
	const switches, own, macsPerPort = 3, 4, 2
	f, addr, _ := startFloor(t, FloorConfig{OwnFlowMods: own})
	cfg := testRun(addr, switches, 1)
	cfg.Load.MACsPerPort = macsPerPort
	sws := connect(t, cfg)
	res := Generate(context.Background(), sws, cfg)
	if res.Answered == 0 || res.Lost != 0 {
		t.Fatalf("floor answers: %s", res.Summary())
	}
	// 3 ports per switch (testRun), each cycling through its MACs many
	// times in the run: every MAC was learned, once.
	learnsPerSwitch := uint64(cfg.PortsPerSwitch * macsPerPort)
	if got := f.Learns(); got != switches*learnsPerSwitch {
		t.Fatalf("%d learns, want %d", got, switches*learnsPerSwitch)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	for _, s := range sws {
		if err := s.WaitQuiet(ctx, 100*time.Millisecond); err != nil {
			t.Fatal(err)
		}
	}
	others := (switches - 1) * learnsPerSwitch
	for i, s := range sws {
		c := s.Counters()
		if want := own*learnsPerSwitch + others; c.FlowMods != want {
			t.Errorf("switch %d: %d FLOW_MODs, want %d", i, c.FlowMods, want)
		}
		// The floor sends barriers with learns only.
		if want := learnsPerSwitch + others; c.Barriers != want {
			t.Errorf("switch %d: %d barriers, want %d", i, c.Barriers, want)
		}
		if c.PacketOuts < res.PerSwitch[i] {
			t.Errorf("switch %d: %d PACKET_OUTs for %d answered packet-ins", i, c.PacketOuts, res.PerSwitch[i])
		}
	}
	if len(res.FlowModLatencies)+len(res.PacketOutLatencies) != int(res.Answered) {
		t.Errorf("answers by FLOW_MOD %d + by PACKET_OUT %d != %d answered",
			len(res.FlowModLatencies), len(res.PacketOutLatencies), res.Answered)
	}
}

func TestFloorClosesItsSwitchesWhenStopped(t *testing.T) {
	_, addr, stop := startFloor(t, FloorConfig{})
	sws := connect(t, testRun(addr, 2, 1))
	stop()
	for i, s := range sws {
		select {
		case <-s.Done():
		case <-time.After(10 * time.Second):
			t.Errorf("switch %d still connected after the floor stopped", i)
		}
	}
}
