package e2e

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/lorispack/loris/controller"
	"github.com/lorispack/loris/e2e/cluster"
	"github.com/lorispack/loris/store"
)

// runLocal runs a command in the root namespace with its combined output.
func runLocal(ctx context.Context, name string, args ...string) (string, error) {
	out, err := exec.CommandContext(ctx, name, args...).CombinedOutput()
	return string(out), err
}

// OpenFlow 1.3 wire constants the fake peers need.
const (
	ofVersion          = 0x04
	ofTypeHello        = 0
	ofTypeEchoRequest  = 2
	ofTypeEchoReply    = 3
	ofTypeFeaturesReq  = 5
	ofTypeFeaturesRep  = 6
	ofTypePacketIn     = 10
	ofTypeMultipartReq = 18
	ofTypeMultipartRep = 19
)

func ofHeader(version, typ uint8, length uint16, xid uint32) []byte {
	b := make([]byte, 8)
	b[0], b[1] = version, typ
	binary.BigEndian.PutUint16(b[2:], length)
	binary.BigEndian.PutUint32(b[4:], xid)
	return b
}

// packetIn is a minimal PACKET_IN: no buffer, an empty OXM match, no data.
// With badMatchLen its match claims far more bytes than the message has.
func packetIn(badMatchLen bool) []byte {
	b := ofHeader(ofVersion, ofTypePacketIn, 34, 0)
	body := make([]byte, 26)
	binary.BigEndian.PutUint32(body[0:], 0xffffffff) // buffer_id: none
	binary.BigEndian.PutUint16(body[16:], 1)         // match type OXM
	matchLen := uint16(4)
	if badMatchLen {
		matchLen = 0xfff0
	}
	binary.BigEndian.PutUint16(body[18:], matchLen)
	return append(b, body...)
}

// readMsg reads one OpenFlow message.
func readMsg(c net.Conn) ([]byte, error) {
	h := make([]byte, 8)
	if _, err := io.ReadFull(c, h); err != nil {
		return nil, err
	}
	n := int(binary.BigEndian.Uint16(h[2:]))
	if n < 8 {
		return nil, fmt.Errorf("message length %d", n)
	}
	m := make([]byte, n)
	copy(m, h)
	_, err := io.ReadFull(c, m[8:])
	return m, err
}

// exchangeHello sends an OpenFlow 1.3 HELLO and waits for the peer's.
func exchangeHello(c net.Conn) error {
	c.SetDeadline(time.Now().Add(5 * time.Second))
	defer c.SetDeadline(time.Time{})
	if _, err := c.Write(ofHeader(ofVersion, ofTypeHello, 8, 1)); err != nil {
		return err
	}
	m, err := readMsg(c)
	if err != nil {
		return err
	}
	if m[1] != ofTypeHello {
		return fmt.Errorf("peer answered with message type %d, not HELLO", m[1])
	}
	return nil
}

// actAsSwitch completes the controller's session setup for datapath dpid:
// HELLO, FEATURES_REPLY and an empty PORT_DESC reply.
func actAsSwitch(c net.Conn, dpid uint64) error {
	if err := exchangeHello(c); err != nil {
		return err
	}
	c.SetDeadline(time.Now().Add(10 * time.Second))
	defer c.SetDeadline(time.Time{})
	features, ports := false, false
	for !features || !ports {
		m, err := readMsg(c)
		if err != nil {
			return err
		}
		xid := binary.BigEndian.Uint32(m[4:])
		var reply []byte
		switch m[1] {
		case ofTypeFeaturesReq:
			reply = ofHeader(ofVersion, ofTypeFeaturesRep, 32, xid)
			body := make([]byte, 24)
			binary.BigEndian.PutUint64(body, dpid)
			body[12] = 1 // one table
			reply = append(reply, body...)
			features = true
		case ofTypeMultipartReq:
			reply = ofHeader(ofVersion, ofTypeMultipartRep, 16, xid)
			body := make([]byte, 8)
			copy(body, m[8:10]) // same multipart type (PORT_DESC)
			reply = append(reply, body...)
			ports = true
		case ofTypeEchoRequest:
			reply = append(ofHeader(ofVersion, ofTypeEchoReply, uint16(len(m)), xid), m[8:]...)
		}
		if reply != nil {
			if _, err := c.Write(reply); err != nil {
				return err
			}
		}
	}
	return nil
}

// closedByPeer reports whether the peer closes c within limit (reading and
// discarding whatever it sends meanwhile).
func closedByPeer(c net.Conn, limit time.Duration) bool {
	c.SetReadDeadline(time.Now().Add(limit))
	_, err := io.Copy(io.Discard, c)
	var ne net.Error
	return !(errors.As(err, &ne) && ne.Timeout())
}

// waitLog waits until the controller's log has a line containing every
// one of parts, and returns it.
func waitLog(t *testing.T, l *lab, timeout time.Duration, parts ...string) string {
	t.Helper()
	var found string
	err := cluster.WaitFor(context.Background(), func() (bool, error) {
		b, _ := os.ReadFile(l.ctl.LogPath)
	lines:
		for _, line := range strings.Split(string(b), "\n") {
			for _, p := range parts {
				if !strings.Contains(line, p) {
					continue lines
				}
			}
			found = line
			return true, nil
		}
		return false, nil
	}, timeout)
	if err != nil {
		t.Fatalf("no controller log line with %q: %v\n%s", parts, err, l.ctl.LogTail(30))
	}
	return found
}

// toggleController removes a bridge's controller and sets it again.
func toggleController(t *testing.T, h *cluster.Host, target string) {
	t.Helper()
	if out, err := h.Vsctl("del-controller", "br-loris"); err != nil {
		t.Fatalf("del-controller on %s: %v\n%s", h.Name, err, out)
	}
	if out, err := h.Vsctl("set-controller", "br-loris", target); err != nil {
		t.Fatalf("set-controller on %s: %v\n%s", h.Name, err, out)
	}
}

func switchOf(st controller.Status, host string) (controller.SwitchStatus, bool) {
	for _, s := range st.Switches {
		if s.Host == host {
			return s, true
		}
	}
	return controller.SwitchStatus{}, false
}

// strayCookie marks a flow the controller never asked for.
const strayCookie = "0xbadc0ffee"

// checkOnlyDesiredFlows asserts that every switch holds exactly as many
// flows as the controller says it installed and no stray flow.
func checkOnlyDesiredFlows(t *testing.T, l *lab) {
	t.Helper()
	st := l.waitConverged()
	for _, h := range l.c.Hosts {
		s, _ := switchOf(st, h.Name)
		flows, err := h.DumpFlows("br-loris")
		if err != nil {
			t.Fatalf("dump-flows on %s: %v", h.Name, err)
		}
		if len(flows) != s.Flows {
			t.Errorf("%s holds %d flows, the controller installed %d:\n%s", h.Name, len(flows), s.Flows, strings.Join(flows, "\n"))
		}
		for _, f := range flows {
			if strings.Contains(f, "cookie="+strayCookie) {
				t.Errorf("%s kept a stray flow: %s", h.Name, f)
			}
		}
		t.Logf("%s: %d flows on the switch, %d installed by the controller", h.Name, len(flows), s.Flows)
	}
}

// TestFaultyOpenFlowPeers connects misbehaving peers to the controller's
// OpenFlow port while real switches are served: each bad peer is
// disconnected with a warning naming it, the real switches keep their
// sessions, and a model change still reaches them and the data plane.
func TestFaultyOpenFlowPeers(t *testing.T) {
	requireE2E(t)
	l := newLab(t, 2, "vxlan")
	h1, h2 := l.c.Hosts[0], l.c.Hosts[1]
	a := l.attach(h1, "fa", "", "10.244.7.1/24")
	b := l.attach(h2, "fb", "", "10.244.7.2/24")
	before := l.waitConverged()
	addr := netip.AddrPortFrom(l.c.ControllerIP, openflowPort).String()

	garbage := make([]byte, 4096)
	rand.Read(garbage)
	garbage[0] = 0x7f // never a valid version
	faults := []struct {
		name  string
		limit time.Duration // how long the controller may take to drop it
		act   func(c net.Conn) error
	}{
		// The garbage claims a frame longer than what is sent, so the
		// controller drops it at its 10 s handshake timeout: allow more.
		{"garbage bytes", 20 * time.Second, func(c net.Conn) error { _, err := c.Write(garbage); return err }},
		{"wrong version", 10 * time.Second, func(c net.Conn) error {
			_, err := c.Write(ofHeader(0x01, ofTypeHello, 8, 1))
			return err
		}},
		{"undersized length", 10 * time.Second, func(c net.Conn) error {
			if err := exchangeHello(c); err != nil {
				return err
			}
			_, err := c.Write(ofHeader(ofVersion, ofTypeEchoRequest, 4, 7))
			return err
		}},
		{"oversized inner length", 10 * time.Second, func(c net.Conn) error {
			if err := actAsSwitch(c, 0xfa0001); err != nil {
				return err
			}
			_, err := c.Write(packetIn(true))
			return err
		}},
		{"length beyond the data sent", 30 * time.Second, func(c net.Conn) error {
			if err := exchangeHello(c); err != nil {
				return err
			}
			_, err := c.Write(append(ofHeader(ofVersion, ofTypeEchoRequest, 0xffff, 9), make([]byte, 100)...))
			return err
		}},
		{"silent after connect", 20 * time.Second, func(c net.Conn) error { return nil }},
		{"message flood", 20 * time.Second, func(c net.Conn) error {
			if err := actAsSwitch(c, 0xfa0002); err != nil {
				return err
			}
			burst := bytes.Repeat(packetIn(false), 1000)
			deadline := time.Now().Add(15 * time.Second)
			for time.Now().Before(deadline) {
				c.SetWriteDeadline(time.Now().Add(2 * time.Second))
				if _, err := c.Write(burst); err != nil {
					return nil // the controller hung up: what we want
				}
			}
			return nil
		}},
	}
	var wg sync.WaitGroup
	results := make([]string, len(faults))
	locals := make([]string, len(faults))
	for i, f := range faults {
		c, err := net.DialTimeout("tcp", addr, 5*time.Second)
		if err != nil {
			t.Fatalf("%s: dial: %v", f.name, err)
		}
		t.Cleanup(func() { c.Close() })
		locals[i] = c.LocalAddr().String()
		wg.Add(1)
		go func() {
			defer wg.Done()
			start := time.Now()
			if err := f.act(c); err != nil {
				results[i] = fmt.Sprintf("peer could not play its part: %v", err)
				return
			}
			if !closedByPeer(c, f.limit) {
				results[i] = fmt.Sprintf("still connected after %v", f.limit)
				return
			}
			results[i] = fmt.Sprintf("ok: dropped after %v", time.Since(start).Round(10*time.Millisecond))
		}()
	}
	wg.Wait()
	for i, f := range faults {
		t.Logf("fault %-28s %s", f.name+":", results[i])
		if !strings.HasPrefix(results[i], "ok") {
			t.Errorf("%s: %s", f.name, results[i])
			continue
		}
		line := waitLog(t, l, 5*time.Second, "level=WARN", "switch="+locals[i])
		t.Logf("  logged: %s", line)
	}

	// The real switches kept their sessions and are still served.
	after := l.waitConverged()
	for _, h := range l.c.Hosts {
		s0, _ := switchOf(before, h.Name)
		s1, _ := switchOf(after, h.Name)
		if !s1.Since.Equal(s0.Since) {
			t.Errorf("%s reconnected during the faults (since %v -> %v)", h.Name, s0.Since, s1.Since)
		}
	}
	c := l.attach(h2, "fc", "", "10.244.7.3/24")
	l.waitConverged()
	for _, pair := range [][2]*cluster.Container{{a, b}, {a, c}, {b, c}} {
		if err := pair[0].Ping(l.ips[pair[1]], 2, 2*time.Second); err != nil {
			t.Errorf("%s -> %s after the faults: %v", pair[0].Name, pair[1].Name, err)
		}
	}
	checkOnlyDesiredFlows(t, l)
}

// TestSwitchFlaps flaps the switches in three ways (ovs-vswitchd killed and
// restarted, the controller port blocked for 30 s, the controller removed
// and set again), changing the model and planting a stray flow while a
// switch is away: each time every switch converges to the desired flows
// and nothing else, and the pods' isolation holds.
func TestSwitchFlaps(t *testing.T) {
	requireE2E(t)
	if _, err := exec.CommandContext(context.Background(), "nft", "--version").CombinedOutput(); err != nil {
		t.Skip("nft (nftables) is not installed")
	}
	l := newLab(t, 2, "vxlan")
	h1, h2 := l.c.Hosts[0], l.c.Hosts[1]
	l.lorisctl(h1, "pod", "create", "red")
	l.lorisctl(h1, "pod", "create", "blue")
	ctrs := []*cluster.Container{
		l.attach(h1, "r1", "red", "10.244.1.1/16"),
		l.attach(h2, "r2", "red", "10.244.1.2/16"),
		l.attach(h1, "b1", "blue", "10.244.2.1/16"),
		l.attach(h2, "b2", "blue", "10.244.2.2/16"),
	}
	l.waitConverged()
	checkMatrix(t, l, ctrs)
	plantStray := func(h *cluster.Host) {
		t.Helper()
		if out, err := h.Ofctl("br-loris", "add-flow", "cookie="+strayCookie+",table=0,priority=1,dl_type=0x88b5,actions=drop"); err != nil {
			t.Fatalf("add-flow on %s: %v\n%s", h.Name, err, out)
		}
	}
	waitDisconnected := func(h *cluster.Host, limit time.Duration) {
		t.Helper()
		err := cluster.WaitFor(context.Background(), func() (bool, error) {
			st, err := l.status()
			if err != nil {
				return false, nil
			}
			s, ok := switchOf(st, h.Name)
			return ok && !s.Connected, nil
		}, limit)
		if err != nil {
			t.Fatalf("%s did not disconnect: %v", h.Name, err)
		}
	}
	n := 0
	newMember := func(h *cluster.Host, pod string) {
		n++
		ctrs = append(ctrs, l.attach(h, fmt.Sprintf("x%d", n), pod, fmt.Sprintf("10.244.%d.%d/16", map[string]int{"red": 1, "blue": 2}[pod], 10+n)))
	}

	t.Run("vswitchd killed and restarted", func(t *testing.T) {
		if err := h2.KillVswitchd(); err != nil {
			t.Fatal(err)
		}
		waitDisconnected(h2, 30*time.Second)
		startVswitchdAgain(t, h2)
		recovered := time.Now()
		checkOnlyDesiredFlows(t, l)
		t.Logf("converged %v after ovs-vswitchd restarted", time.Since(recovered).Round(10*time.Millisecond))
		checkMatrix(t, l, ctrs)
	})

	t.Run("controller port blocked for 30s", func(t *testing.T) {
		table := "loris_h8_block"
		rule := fmt.Sprintf("add table inet %s\nadd chain inet %s out { type filter hook output priority 0; }\nadd rule inet %s out ip daddr %s tcp dport %d drop\n",
			table, table, table, l.c.ControllerIP, openflowPort)
		nft := func(script string) {
			t.Helper()
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			cmd := exec.CommandContext(ctx, "ip", "netns", "exec", h2.NS, "nft", "-f", "-")
			cmd.Stdin = strings.NewReader(script)
			if out, err := cmd.CombinedOutput(); err != nil {
				t.Fatalf("nft in %s: %v\n%s", h2.NS, err, out)
			}
		}
		nft(rule)
		unblocked := false
		unblock := func() {
			if !unblocked {
				unblocked = true
				nft("delete table inet " + table + "\n")
			}
		}
		t.Cleanup(unblock)
		blockedAt := time.Now()
		// The data plane keeps forwarding while the switch is cut off.
		if err := ctrs[0].Ping(l.ips[ctrs[1]], 3, 2*time.Second); err != nil {
			t.Errorf("r1 -> r2 with the controller port blocked: %v", err)
		}
		waitDisconnected(h2, 30*time.Second)
		plantStray(h2)
		newMember(h2, "red") // h2 learns of it only after the block
		if d := 30*time.Second - time.Since(blockedAt); d > 0 {
			time.Sleep(d) // the fault itself lasts 30 s; nothing is being waited for
		}
		unblock()
		recovered := time.Now()
		checkOnlyDesiredFlows(t, l)
		t.Logf("converged %v after the block was lifted (stray flow removed, new member programmed)", time.Since(recovered).Round(10*time.Millisecond))
		checkMatrix(t, l, ctrs)
	})

	t.Run("set-controller toggled", func(t *testing.T) {
		plantStray(h1)
		toggled := time.Now()
		toggleController(t, h1, l.ofAddr)
		toggleController(t, h2, l.ofAddr)
		newMember(h1, "blue")
		recovered := time.Now()
		waitReconnected(t, l, h1, toggled, 30*time.Second)
		waitReconnected(t, l, h2, toggled, 30*time.Second)
		checkOnlyDesiredFlows(t, l)
		t.Logf("converged %v after set-controller was toggled on both hosts", time.Since(recovered).Round(10*time.Millisecond))
		checkMatrix(t, l, ctrs)
	})
}

// TestDatabaseCorruptOrLocked starts the controller on a corrupt database
// and on one another process holds: it must refuse with a clear error and
// leave the file byte for byte as it was.
func TestDatabaseCorruptOrLocked(t *testing.T) {
	if binDir == "" {
		t.Skip("binaries not built (LORIS_E2E=skip)")
	}
	dir := t.TempDir()
	start := func(db string) (string, error) {
		ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
		defer cancel()
		return runLocal(ctx, filepath.Join(binDir, "loris-controller"), "--db", db,
			"--openflow-addr", "127.0.0.1:0", "--api-addr", "127.0.0.1:0")
	}

	corrupt := filepath.Join(dir, "corrupt.db")
	junk := bytes.Repeat([]byte("not a bbolt page "), 1024)
	if err := os.WriteFile(corrupt, junk, 0o600); err != nil {
		t.Fatal(err)
	}
	out, err := start(corrupt)
	if err == nil {
		t.Fatalf("controller started on a corrupt database:\n%s", out)
	}
	if !strings.Contains(out, "not a valid bbolt database") {
		t.Errorf("corrupt database: unclear error:\n%s", out)
	}
	if got, _ := os.ReadFile(corrupt); !bytes.Equal(got, junk) {
		t.Error("the corrupt database file was modified")
	}
	t.Logf("corrupt database: %s", strings.TrimSpace(out))

	locked := filepath.Join(dir, "locked.db")
	db, err := store.OpenBolt(locked, store.BoltOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	holder, err := controller.New(controller.Config{Store: db, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := holder.AddPod("held", 0); err != nil {
		t.Fatal(err)
	}
	before, _ := os.ReadFile(locked)
	began := time.Now()
	out, err = start(locked)
	if err == nil {
		t.Fatalf("controller started on a database another process holds:\n%s", out)
	}
	if !strings.Contains(out, "locked by another process") {
		t.Errorf("locked database: unclear error:\n%s", out)
	}
	if after, _ := os.ReadFile(locked); !bytes.Equal(after, before) {
		t.Error("the locked database file was modified")
	}
	t.Logf("locked database (gave up after %v): %s", time.Since(began).Round(100*time.Millisecond), strings.TrimSpace(out))
}

// runInNS feeds an nftables script to nft inside a network namespace.
func runInNS(ctx context.Context, ns, script string) (string, error) {
	cmd := exec.CommandContext(ctx, "ip", "netns", "exec", ns, "nft", "-f", "-")
	cmd.Stdin = strings.NewReader(script)
	out, err := cmd.CombinedOutput()
	return string(out), err
}

// startVswitchdAgain restarts a killed ovs-vswitchd. A SIGKILLed
// multi-threaded daemon can look gone (its main thread a zombie) while its
// other threads still hold the pid file lock, so a refused start is
// retried for a bounded time.
func startVswitchdAgain(t *testing.T, h *cluster.Host) {
	t.Helper()
	var last error
	err := cluster.WaitFor(context.Background(), func() (bool, error) {
		last = h.StartVswitchd()
		return last == nil, nil
	}, 20*time.Second)
	if err != nil {
		t.Fatalf("restarting ovs-vswitchd on %s: %v (last: %v)", h.Name, err, last)
	}
}

// waitReconnected waits until host's switch has a session newer than
// after and that session has converged.
func waitReconnected(t *testing.T, l *lab, h *cluster.Host, after time.Time, limit time.Duration) {
	t.Helper()
	err := cluster.WaitFor(context.Background(), func() (bool, error) {
		st, err := l.status()
		if err != nil {
			return false, nil
		}
		s, ok := switchOf(st, h.Name)
		return ok && s.Connected && s.Since.After(after) && s.Reconciles > 0 && !s.Pending && s.LastError == "", nil
	}, limit)
	if err != nil {
		t.Fatalf("%s did not reconnect and converge: %v\n%s", h.Name, err, l.ctl.LogTail(20))
	}
}
