package main

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// step is one host command; undo, when set, reverts it and everything
// that depends on it.
type step struct {
	argv []string
	undo []string
}

// plumbing is everything needed to wire one attachment on the host.
type plumbing struct {
	ovs          ovsctl
	bridge       string
	port         string // host end, also the OVS port name
	peer         string // container end before it is renamed
	ifname       string // container end inside the container
	mac          string
	cidr         string
	mtu          int
	ns           netnsTarget
	netdev       bool // userspace datapath: veths need TX checksum offload off
	attachmentID string
	container    string
}

// attachSteps is the ordered plumbing for an attachment. The container end
// is fully configured and the checksum offload switched off before the
// host end joins the bridge, so the switch never sees a half-made port.
// Deleting the host end deletes its peer too, wherever it is, so that
// single undo covers every step up to add-port.
func attachSteps(p plumbing) []step {
	in := p.ns.inside
	mtu := strconv.Itoa(p.mtu)
	steps := []step{
		{argv: []string{"ip", "link", "add", p.port, "type", "veth", "peer", "name", p.peer},
			undo: []string{"ip", "link", "del", p.port}},
		{argv: []string{"ip", "link", "set", p.peer, "netns", p.ns.linkArg()}},
		{argv: in("ip", "link", "set", "dev", p.peer, "name", p.ifname)},
		{argv: in("ip", "link", "set", "dev", p.ifname, "address", p.mac)},
		{argv: in("ip", "link", "set", "dev", p.ifname, "mtu", mtu)},
		{argv: in("ip", "addr", "add", p.cidr, "dev", p.ifname)},
	}
	if p.netdev {
		steps = append(steps, step{argv: in("ethtool", "-K", p.ifname, "tx", "off")})
	}
	steps = append(steps,
		step{argv: in("ip", "link", "set", "dev", p.ifname, "up")},
		step{argv: []string{"ip", "link", "set", "dev", p.port, "mtu", mtu}},
	)
	if p.netdev {
		steps = append(steps, step{argv: []string{"ethtool", "-K", p.port, "tx", "off"}})
	}
	steps = append(steps,
		step{argv: []string{"ip", "link", "set", "dev", p.port, "up"}},
		step{argv: p.ovs.argv(addPortArgs(p.bridge, p.port, p.attachmentID, p.container, p.ifname)...),
			undo: p.ovs.argv(delPortArgs(p.bridge, p.port)...)},
	)
	return steps
}

// runSteps runs steps in order. When one fails it runs the undo of every
// step that succeeded, newest first, and returns the failure together with
// any undo that failed as well.
func runSteps(ctx context.Context, r runner, steps []step) error {
	var undos [][]string
	for _, s := range steps {
		if _, err := r.run(ctx, s.argv[0], s.argv[1:]...); err != nil {
			// Undo even when ctx was cancelled (Ctrl-C mid-attach); the
			// runner still bounds each command.
			undoCtx := context.WithoutCancel(ctx)
			var undoErrs []string
			for i := len(undos) - 1; i >= 0; i-- {
				u := undos[i]
				if _, uerr := r.run(undoCtx, u[0], u[1:]...); uerr != nil {
					undoErrs = append(undoErrs, uerr.Error())
				}
			}
			if len(undoErrs) > 0 {
				return fmt.Errorf("%w; undoing also failed: %s", err, strings.Join(undoErrs, "; "))
			}
			return err
		}
		if s.undo != nil {
			undos = append(undos, s.undo)
		}
	}
	return nil
}

// linkExists asks ip whether a link exists in the current namespace.
func linkExists(ctx context.Context, r runner, name string) (bool, error) {
	_, err := r.run(ctx, "ip", "link", "show", "dev", name)
	if err == nil {
		return true, nil
	}
	if isNoSuchDevice(err) {
		return false, nil
	}
	return false, err
}

// deleteLink removes a link; one already gone is not an error.
func deleteLink(ctx context.Context, r runner, name string) (bool, error) {
	_, err := r.run(ctx, "ip", "link", "del", "dev", name)
	if err == nil {
		return true, nil
	}
	if isNoSuchDevice(err) {
		return false, nil
	}
	return false, err
}

// isNoSuchDevice recognises iproute2's messages for a missing device.
func isNoSuchDevice(err error) bool {
	var ce *commandError
	if !errors.As(err, &ce) {
		return false
	}
	return strings.Contains(ce.output, "does not exist") || strings.Contains(ce.output, "Cannot find device")
}
