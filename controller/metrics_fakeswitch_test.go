package controller

import (
	"context"
	"net"
	"sync"
	"testing"
	"time"

	"github.com/lorispack/loris/ofproto"
)

// metricsFakeSwitch is a minimal OpenFlow 1.3 switch for metrics tests,
// built on ofproto.Conn: it answers the controller's requests, keeps the
// flows it is sent, and reports counters the test sets.
type metricsFakeSwitch struct {
	t    *testing.T
	conn *ofproto.Conn
	dpid uint64

	mu        sync.Mutex
	ports     []ofproto.Port
	portStats []ofproto.PortStats
	// flowCounts gives packet counts to flows by cookie in FLOW stats.
	flowCounts map[uint64]uint64
	flows      map[string]ofproto.FlowStats
	// rejectFlowMods makes every FLOW_MOD fail with FLOW_MOD_FAILED/TABLE_FULL.
	rejectFlowMods bool
	flowModsSeen   int
}

func dialMetricsFakeSwitch(t *testing.T, addr string, dpid uint64, ports []ofproto.Port) *metricsFakeSwitch {
	t.Helper()
	sw := &metricsFakeSwitch{t: t, dpid: dpid, ports: ports, flowCounts: map[uint64]uint64{}, flows: map[string]ofproto.FlowStats{}}
	serveFakeSwitch(t, addr, func(c *ofproto.Conn) ofproto.Handler {
		sw.conn = c
		return ofproto.HandlerFunc(sw.handle)
	})
	return sw
}

// serveFakeSwitch connects to the controller at addr and serves, until the
// test ends, the handler that setup returns for the new connection. setup
// runs before the first message is read, so the fake switch can keep the
// connection to reply on.
func serveFakeSwitch(t *testing.T, addr string, setup func(*ofproto.Conn) ofproto.Handler) {
	t.Helper()
	nc, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	conn := ofproto.NewConn(nc, ofproto.ConnOptions{EchoInterval: time.Hour, DeadTimeout: 2 * time.Hour})
	h := setup(conn)
	done := make(chan struct{})
	go func() {
		defer close(done)
		conn.Serve(h)
	}()
	t.Cleanup(func() {
		conn.Close()
		<-done
	})
}

func (sw *metricsFakeSwitch) reply(h ofproto.Header, m ofproto.Message) {
	if err := sw.conn.Reply(h, m); err != nil && sw.conn.Err() == nil {
		sw.t.Errorf("fake switch reply: %v", err)
	}
}

func (sw *metricsFakeSwitch) handle(_ *ofproto.Conn, h ofproto.Header, m ofproto.Message) {
	sw.mu.Lock()
	defer sw.mu.Unlock()
	switch m := m.(type) {
	case *ofproto.FeaturesRequest:
		sw.reply(h, &ofproto.FeaturesReply{DatapathID: sw.dpid, NTables: 254})
	case *ofproto.BarrierRequest:
		sw.reply(h, &ofproto.BarrierReply{})
	case *ofproto.FlowMod:
		sw.flowModsSeen++
		if sw.rejectFlowMods {
			data, _ := ofproto.Marshal(h.XID, m)
			sw.reply(h, &ofproto.ErrorMsg{ErrType: ofproto.ErrTypeFlowModFailed, Code: 1, Data: data[:min(64, len(data))]})
			return
		}
		key := flowKey(m.TableID, m.Priority, m.Match)
		switch m.Command {
		case ofproto.FlowModAdd:
			sw.flows[key] = ofproto.FlowStats{TableID: m.TableID, Priority: m.Priority, Cookie: m.Cookie,
				Match: m.Match, Instructions: m.Instructions}
		case ofproto.FlowModDeleteStrict:
			delete(sw.flows, key)
		}
	case *ofproto.MultipartRequest:
		sw.multipart(h, m)
	}
}

func (sw *metricsFakeSwitch) multipart(h ofproto.Header, m *ofproto.MultipartRequest) {
	var body ofproto.MultipartBody
	switch m.Body.(type) {
	case *ofproto.PortDescRequest:
		body = &ofproto.PortDescReply{Ports: sw.ports}
	case *ofproto.PortStatsRequest:
		body = &ofproto.PortStatsReply{Ports: sw.portStats}
	case *ofproto.GroupDescRequest:
		body = &ofproto.GroupDescReply{}
	case *ofproto.MeterConfigRequest:
		body = &ofproto.MeterConfigReply{}
	case *ofproto.MeterStatsRequest:
		body = &ofproto.MeterStatsReply{}
	case *ofproto.FlowStatsRequest:
		r := &ofproto.FlowStatsReply{}
		for _, f := range sw.flows {
			f.PacketCount = sw.flowCounts[f.Cookie]
			f.ByteCount = 100 * f.PacketCount
			r.Flows = append(r.Flows, f)
		}
		body = r
	default:
		sw.reply(h, &ofproto.ErrorMsg{ErrType: ofproto.ErrTypeBadRequest, Code: 2})
		return
	}
	sw.reply(h, &ofproto.MultipartReply{Body: body})
}

// sendAsync sends an unsolicited message to the controller.
func (sw *metricsFakeSwitch) sendAsync(m ofproto.Message) {
	if _, err := sw.conn.Send(m); err != nil {
		sw.t.Fatal(err)
	}
}

func (sw *metricsFakeSwitch) set(f func(sw *metricsFakeSwitch)) {
	sw.mu.Lock()
	defer sw.mu.Unlock()
	f(sw)
}

// metricsWaitFor polls cond until it holds or the bound passes.
// explain, if given, describes the state when it times out.
func metricsWaitFor(t *testing.T, what string, bound time.Duration, cond func() bool, explain ...func() string) {
	t.Helper()
	deadline := time.Now().Add(bound)
	for !cond() {
		if time.Now().After(deadline) {
			var why string
			for _, e := range explain {
				why += "\n" + e()
			}
			t.Fatalf("timed out after %v waiting for %s%s", bound, what, why)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// serveOpenFlowForTest runs c's OpenFlow listener on loopback until the
// test ends and returns its address.
func serveOpenFlowForTest(t *testing.T, c *Controller) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		c.ServeOpenFlow(ctx, l)
	}()
	t.Cleanup(func() {
		cancel()
		<-done
		c.Wait()
	})
	return l.Addr().String()
}
