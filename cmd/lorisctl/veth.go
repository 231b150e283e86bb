package main

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"
)

// step is one host command; undo, when set, reverts it and everything
// that depends on it.
type step struct {
	argv  []string
	input string // stdin, for ip -batch
	undo  []string
}

// stage is steps that do not depend on each other, run at the same time:
// attach latency is the sum of the stages, not of the commands.
type stage []step

// plumbing is everything needed to wire one attachment on the host.
type plumbing struct {
	ovs          ovsctl
	bridge       string
	port         string // host end, also the OVS port name
	ifname       string // container end, made inside the container
	mac          string
	cidr         string
	mtu          int
	ns           netnsTarget
	netdev       bool // userspace datapath: veths need TX checksum offload off
	attachmentID string
	container    string
}

// attachStages is the plumbing for an attachment, in three stages:
//
//  1. one netlink request creates the veth with both ends' MTU, the
//     container end already in the container's namespace under its final
//     name and MAC (so it never collides with a host interface), and the
//     host end up. It either all happens or nothing does.
//  2. inside the container, address and link up in one ip -batch; TX
//     checksum offload off on both ends (ethtool takes one device a run).
//  3. the host end joins the bridge, with its labels, in one transaction.
//
// The container end is fully configured before the host end joins the
// bridge, so the switch never sees a half-made port. Deleting the host end
// deletes its peer too, wherever it is, so that single undo covers every
// step up to add-port.
func attachStages(p plumbing) []stage {
	mtu := strconv.Itoa(p.mtu)
	create := step{
		argv: []string{"ip", "link", "add", p.port, "mtu", mtu, "up", "type", "veth",
			"peer", "name", p.ifname, "netns", p.ns.linkArg(), "address", p.mac, "mtu", mtu},
		undo: []string{"ip", "link", "del", p.port},
	}
	configure := stage{{
		argv:  p.ns.ipBatch(),
		input: "addr add " + p.cidr + " dev " + p.ifname + "\nlink set dev " + p.ifname + " up\n",
	}}
	if p.netdev {
		configure = append(configure,
			step{argv: p.ns.inside("ethtool", "-K", p.ifname, "tx", "off")},
			step{argv: []string{"ethtool", "-K", p.port, "tx", "off"}},
		)
	}
	join := step{
		argv: p.ovs.argv(addPortArgs(p.bridge, p.port, p.attachmentID, p.container, p.ifname)...),
		undo: p.ovs.argv(delPortArgs(p.bridge, p.port)...),
	}
	return []stage{{create}, configure, {join}}
}

// runStages runs stages in order, the steps of a stage at once. When a
// step fails, the rest of its stage still finishes; then the undo of every
// step that succeeded runs, newest stage first, and the failures are
// returned (in step order) together with any undo that failed as well.
func runStages(ctx context.Context, r runner, stages []stage) error {
	var undos [][]string
	for _, st := range stages {
		errs := make([]error, len(st))
		var wg sync.WaitGroup
		for i, s := range st {
			wg.Go(func() {
				if s.input != "" {
					_, errs[i] = r.runInput(ctx, s.input, s.argv[0], s.argv[1:]...)
				} else {
					_, errs[i] = r.run(ctx, s.argv[0], s.argv[1:]...)
				}
			})
		}
		wg.Wait()
		for i, s := range st {
			if errs[i] == nil && s.undo != nil {
				undos = append(undos, s.undo)
			}
		}
		if err := errors.Join(errs...); err != nil {
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
