package ofbench

import (
	"context"
	"fmt"
	"net"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/lorispack/loris/ofproto"
)

// answerMode says how the test controller answers a packet-in.
type answerMode int

const (
	answerPacketOut answerMode = iota // PACKET_OUT carrying the frame
	answerFlowMod                     // FLOW_MOD matching the source MAC
	answerNothing
)

// testController is a minimal controller: per connection it asks for
// features and port descriptions (what makes a Switch ready), then answers
// packet-ins as mode says.
type testController struct {
	t        *testing.T
	ln       net.Listener
	mode     answerMode
	features chan *ofproto.FeaturesReply
	flows    chan int // FLOW stats entries the switch reported

	mu       sync.Mutex
	macPorts map[[6]byte]map[uint32]bool // source MAC -> ports it arrived on
	ports    chan []string               // each switch's PORT_DESC, as "number:name"
}

func startTestController(t *testing.T, mode answerMode) *testController {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	tc := &testController{t: t, ln: ln, mode: mode, features: make(chan *ofproto.FeaturesReply, 16), flows: make(chan int, 16), ports: make(chan []string, 16),
		macPorts: map[[6]byte]map[uint32]bool{}}
	done := make(chan struct{})
	var conns []*ofproto.Conn
	connsCh := make(chan *ofproto.Conn, 16)
	go func() {
		defer close(done)
		for {
			nc, err := ln.Accept()
			if err != nil {
				return
			}
			c := ofproto.NewConn(nc, ofproto.ConnOptions{})
			connsCh <- c
			go tc.serve(c)
		}
	}()
	t.Cleanup(func() {
		ln.Close()
		<-done
		close(connsCh)
		for c := range connsCh {
			conns = append(conns, c)
		}
		for _, c := range conns {
			c.Close()
		}
	})
	return tc
}

func (tc *testController) serve(c *ofproto.Conn) {
	go c.Serve(ofproto.HandlerFunc(func(c *ofproto.Conn, h ofproto.Header, m ofproto.Message) {
		pi, ok := m.(*ofproto.PacketIn)
		if !ok {
			return
		}
		port, _ := pi.InPort()
		mac := [6]byte(pi.Data[6:12])
		tc.mu.Lock()
		if tc.macPorts[mac] == nil {
			tc.macPorts[mac] = map[uint32]bool{}
		}
		tc.macPorts[mac][port] = true
		tc.mu.Unlock()
		switch tc.mode {
		case answerPacketOut:
			c.Send(&ofproto.PacketOut{BufferID: ofproto.BufferNone, InPort: port,
				Actions: []ofproto.Action{&ofproto.ActionOutput{Port: ofproto.PortFlood}}, Data: pi.Data})
		case answerFlowMod:
			c.Send(&ofproto.FlowMod{Command: ofproto.FlowModAdd, BufferID: ofproto.BufferNone, OutPort: ofproto.PortAny, OutGroup: ofproto.GroupAny,
				Match: ofproto.Match{Fields: []ofproto.OXM{ofproto.InPort(port), ofproto.EthSrc(net.HardwareAddr(pi.Data[6:12]))}}})
		}
	}))
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	_, m, err := c.Request(ctx, &ofproto.FeaturesRequest{})
	if err != nil {
		return
	}
	tc.features <- m.(*ofproto.FeaturesReply)
	replies, err := c.Multipart(ctx, &ofproto.MultipartRequest{Body: &ofproto.FlowStatsRequest{TableID: ofproto.TableAll, OutPort: ofproto.PortAny, OutGroup: ofproto.GroupAny}})
	if err != nil {
		return
	}
	n := 0
	for _, r := range replies {
		if fr, ok := r.Body.(*ofproto.FlowStatsReply); ok {
			n += len(fr.Flows)
		}
	}
	tc.flows <- n
	replies, err = c.Multipart(ctx, &ofproto.MultipartRequest{Body: &ofproto.PortDescRequest{}})
	if err != nil {
		return
	}
	var ports []string
	for _, r := range replies {
		if pd, ok := r.Body.(*ofproto.PortDescReply); ok {
			for _, p := range pd.Ports {
				ports = append(ports, fmt.Sprintf("%d:%s", p.PortNo, p.Name))
			}
		}
	}
	tc.ports <- ports
	c.Barrier(ctx)
}

func testRun(addr string, switches int, window int) RunConfig {
	return RunConfig{Addr: addr, Switches: switches, PortsPerSwitch: 3, DatapathIDBase: 0x100,
		Warmup: 50 * time.Millisecond, Duration: 300 * time.Millisecond, ReadyQuiet: 50 * time.Millisecond, ReadyTimeout: 10 * time.Second,
		Load: LoadConfig{Window: window, Timeout: 100 * time.Millisecond}}
}

func connect(t *testing.T, cfg RunConfig) []*Switch {
	t.Helper()
	sws, err := Connect(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		for _, s := range sws {
			s.Close()
		}
	})
	return sws
}

func TestSwitchAnswersHandshakeLikeAnEmptySwitch(t *testing.T) {
	tc := startTestController(t, answerNothing)
	sws := connect(t, testRun(tc.ln.Addr().String(), 2, 1))
	got := map[uint64]bool{}
	for range sws {
		select {
		case f := <-tc.features:
			got[f.DatapathID] = true
		case <-time.After(10 * time.Second):
			t.Fatal("no FEATURES_REPLY")
		}
		select {
		case n := <-tc.flows:
			if n != 0 {
				t.Errorf("empty switch reported %d flows", n)
			}
		case <-time.After(10 * time.Second):
			t.Fatal("no FLOW stats reply")
		}
	}
	if !got[0x100] || !got[0x101] {
		t.Errorf("datapath ids %v, want 0x100 and 0x101", got)
	}
	if c := sws[0].Counters(); c.Multiparts < 2 || c.Barriers != 1 {
		t.Errorf("counters %+v: want 2 multiparts and 1 barrier", c)
	}
}

func TestThroughputCountsPacketOutAnswers(t *testing.T) {
	tc := startTestController(t, answerPacketOut)
	cfg := testRun(tc.ln.Addr().String(), 2, 8)
	sws := connect(t, cfg)
	res := Generate(context.Background(), sws, cfg)
	if res.Answered == 0 {
		t.Fatalf("nothing answered: %s", res.Summary())
	}
	if res.Lost != 0 {
		t.Errorf("a controller answering everything lost %d: %s", res.Lost, res.Summary())
	}
	if uint64(len(res.Latencies)) != res.Answered || res.Sent < res.Answered {
		t.Errorf("inconsistent result: %d latencies, sent %d, answered %d", len(res.Latencies), res.Sent, res.Answered)
	}
	if len(res.PacketOutLatencies) != len(res.Latencies) || len(res.FlowModLatencies) != 0 {
		t.Errorf("%d PACKET_OUT and %d FLOW_MOD answers of %d, want all by PACKET_OUT",
			len(res.PacketOutLatencies), len(res.FlowModLatencies), len(res.Latencies))
	}
	if len(res.PerSwitch) != 2 || res.PerSwitch[0] == 0 || res.PerSwitch[1] == 0 {
		t.Errorf("per switch %v: both switches should have been answered", res.PerSwitch)
	}
	if res.Percentile(0.99) <= 0 || res.Percentile(0.5) > res.Percentile(0.99) {
		t.Errorf("p50 %v p99 %v", res.Percentile(0.5), res.Percentile(0.99))
	}
}

func TestFlowModMatchingSourceMACAnswers(t *testing.T) {
	tc := startTestController(t, answerFlowMod)
	cfg := testRun(tc.ln.Addr().String(), 1, 1)
	res := Generate(context.Background(), connect(t, cfg), cfg)
	if res.Answered == 0 || res.Lost != 0 || len(res.FlowModLatencies) != len(res.Latencies) || len(res.PacketOutLatencies) != 0 {
		t.Fatalf("FLOW_MOD answers not counted as such: %s", res.Summary())
	}
}

func TestUnansweredPacketInsAreLostAndFreeTheirSlot(t *testing.T) {
	tc := startTestController(t, answerNothing)
	cfg := testRun(tc.ln.Addr().String(), 1, 2)
	// A second measured with a 100 ms timeout and a window of 2: about 20
	// losses if slots are freed and reused, 2 if they are not. (A shorter
	// run made a slow, loaded machine look like the second case.)
	cfg.Duration = time.Second
	res := Generate(context.Background(), connect(t, cfg), cfg)
	if res.Answered != 0 {
		t.Fatalf("answered %d with a silent controller", res.Answered)
	}
	// The slots must have been freed and reused, so more than one window
	// was lost.
	if res.Lost <= 2 {
		t.Errorf("lost %d, want more than the window (slots not freed?): %s", res.Lost, res.Summary())
	}
}

func TestMACsPerPortRepeatsOnTheSamePort(t *testing.T) {
	tc := startTestController(t, answerPacketOut)
	cfg := testRun(tc.ln.Addr().String(), 1, 1)
	cfg.Load.MACsPerPort = 2
	res := Generate(context.Background(), connect(t, cfg), cfg)
	if res.Answered < 12 {
		t.Fatalf("too few packet-ins to see repetition: %s", res.Summary())
	}
	tc.mu.Lock()
	defer tc.mu.Unlock()
	// 3 ports x 2 MACs each, every MAC always on the same port.
	if len(tc.macPorts) != 6 {
		t.Errorf("%d distinct source MACs, want 6", len(tc.macPorts))
	}
	for mac, ports := range tc.macPorts {
		if len(ports) != 1 {
			t.Errorf("MAC %x arrived on ports %v", mac, ports)
		}
	}
}

func TestNewMACsNeverRepeat(t *testing.T) {
	tc := startTestController(t, answerPacketOut)
	cfg := testRun(tc.ln.Addr().String(), 2, 4)
	res := Generate(context.Background(), connect(t, cfg), cfg)
	tc.mu.Lock()
	defer tc.mu.Unlock()
	// Warm-up packet-ins are not in res, so the controller saw at least
	// as many distinct MACs as were answered in the measured interval.
	if uint64(len(tc.macPorts)) < res.Answered || res.Answered == 0 {
		t.Errorf("%d distinct MACs for %d answered packet-ins", len(tc.macPorts), res.Answered)
	}
}

func TestFrameIsWellFormed(t *testing.T) {
	f := newFrame([6]byte{0xff, 0xff, 0xff, 0xff, 0xff, 0xff})
	f.setSource(SourceMAC(3, 0x10203))
	if len(f) != frameLen {
		t.Fatalf("frame length %d", len(f))
	}
	if ipv4Checksum(f[ipv4Offset:ipv4Offset+ipv4HdrLen]) != 0 {
		t.Error("IPv4 header checksum does not verify")
	}
	if got := [6]byte(f[6:12]); got != [6]byte{0x02, 0, 3, 1, 2, 3} {
		t.Errorf("source %x", got)
	}
	if SourceMAC(1, 0) == SourceMAC(0, 1<<16) || SourceMAC(1, 5) == SourceMAC(2, 5) {
		t.Error("source MACs collide across switches")
	}
}

func TestManyPortsSpanSeveralReplies(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	accepted := make(chan net.Conn, 1)
	go func() {
		nc, err := ln.Accept()
		if err == nil {
			accepted <- nc
		}
	}()
	s, err := Dial(context.Background(), ln.Addr().String(), SwitchConfig{DatapathID: 1, Ports: SwitchPorts(0, 1500)})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	var nc net.Conn
	select {
	case nc = <-accepted:
	case <-time.After(10 * time.Second):
		t.Fatal("no connection")
	}
	c := ofproto.NewConn(nc, ofproto.ConnOptions{})
	defer c.Close()
	go c.Serve(nil)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	replies, err := c.Multipart(ctx, &ofproto.MultipartRequest{Body: &ofproto.PortDescRequest{}})
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, r := range replies {
		n += len(r.Body.(*ofproto.PortDescReply).Ports)
	}
	if n != 1500 || len(replies) < 3 {
		t.Errorf("%d ports in %d replies, want 1500 in 3", n, len(replies))
	}
}

// Extra ports (loris's tunnel port) are described like the others, and
// no packet-in ever comes from one.
func TestExtraPortsReportedButSilent(t *testing.T) {
	tc := startTestController(t, answerPacketOut)
	cfg := testRun(tc.ln.Addr().String(), 1, 4)
	cfg.ExtraPorts = []ofproto.Port{{PortNo: 60001, Name: "tun"}}
	sws := connect(t, cfg)
	select {
	case ports := <-tc.ports:
		if got := strings.Join(ports, " "); got != "1:lb0p0 2:lb0p1 3:lb0p2 60001:tun" {
			t.Fatalf("PORT_DESC %q, want the 3 load ports and the extra one", got)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("no PORT_DESC reply")
	}
	res := Generate(context.Background(), sws, cfg)
	if res.Answered == 0 {
		t.Fatalf("nothing answered: %s", res.Summary())
	}
	tc.mu.Lock()
	defer tc.mu.Unlock()
	for mac, ports := range tc.macPorts {
		if ports[60001] {
			t.Fatalf("a packet-in from %x came in on the extra port", mac)
		}
	}
}

// Procs holds while the load runs, and the previous GOMAXPROCS comes
// back after.
func TestProcsHoldsWhileTheLoadRuns(t *testing.T) {
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(3))
	tc := startTestController(t, answerPacketOut)
	cfg := testRun(tc.ln.Addr().String(), 2, 1)
	cfg.Procs = 1
	sws := connect(t, cfg)
	done := make(chan Result)
	go func() { done <- Generate(context.Background(), sws, cfg) }()
	seen := false
	for !seen {
		select {
		case <-done:
			t.Fatal("the load ran without GOMAXPROCS ever reading 1")
		case <-time.After(time.Millisecond):
			seen = runtime.GOMAXPROCS(0) == 1
		}
	}
	if res := <-done; res.Answered == 0 {
		t.Errorf("nothing answered on one thread: %s", res.Summary())
	}
	if n := runtime.GOMAXPROCS(0); n != 3 {
		t.Errorf("GOMAXPROCS %d after the load, want 3 back", n)
	}
}
