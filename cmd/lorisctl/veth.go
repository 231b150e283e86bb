package main

import (
	"context"
	"errors"
	"fmt"
	"net"
	"slices"
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

// prepareStages make the veth, as far as that needs nothing from the
// controller, so that they can run while the controller is asked:
//
//  1. one netlink request creates the veth with both ends' MTU, the
//     container end already in the container's namespace under its final
//     name (so it never collides with a host interface) and down, and the
//     host end up. It either all happens or nothing does.
//  2. TX checksum offload off on both ends (ethtool takes one device a
//     run, so two runs at once).
//
// Deleting the host end deletes its peer too, wherever it is, so that
// single undo covers every step up to add-port.
func prepareStages(p plumbing) []stage {
	mtu := strconv.Itoa(p.mtu)
	create := step{
		argv: []string{"ip", "link", "add", p.port, "mtu", mtu, "up", "type", "veth",
			"peer", "name", p.ifname, "netns", p.ns.linkArg(), "mtu", mtu},
		undo: []string{"ip", "link", "del", p.port},
	}
	stages := []stage{{create}}
	if p.netdev {
		stages = append(stages, stage{
			{argv: p.ns.inside("ethtool", "-K", p.ifname, "tx", "off")},
			{argv: []string{"ethtool", "-K", p.port, "tx", "off"}},
		})
	}
	return stages
}

// finishStages complete the attachment once the controller has recorded
// it, in one stage: inside the container one ip -batch gives the container
// end its MAC and address and only then brings it up, while the host end
// joins the bridge with its labels in one transaction. No frame crosses
// the port before the container end is up, so the switch never carries
// traffic from a half-made interface; and the ovs-vsctl run, the slowest
// step (it waits for ovs-vswitchd to add the port), hides the batch.
func finishStages(p plumbing) []stage {
	configure := step{
		argv: p.ns.ipBatch(),
		input: "link set dev " + p.ifname + " address " + p.mac + "\n" +
			"addr add " + p.cidr + " dev " + p.ifname + "\n" +
			"link set dev " + p.ifname + " up\n",
	}
	join := step{
		argv: p.ovs.argv(addPortArgs(p.bridge, p.port, p.attachmentID, p.container, p.ifname)...),
		undo: p.ovs.argv(delPortArgs(p.bridge, p.port)...),
	}
	return []stage{{configure, join}}
}

// changes runs stages and remembers how to revert what succeeded, across
// runs, so that an attach can make the veth first and finish it later.
type changes struct {
	r     runner
	undos [][]string
}

// run runs stages in order, the steps of a stage at once. When a step
// fails, the rest of its stage still finishes; then everything this and
// earlier runs made is undone, and the failures are returned (in step
// order) together with any undo that failed as well.
func (c *changes) run(ctx context.Context, stages []stage) error {
	for _, st := range stages {
		errs := make([]error, len(st))
		var wg sync.WaitGroup
		for i, s := range st {
			wg.Go(func() {
				if s.input != "" {
					_, errs[i] = c.r.runInput(ctx, s.input, s.argv[0], s.argv[1:]...)
				} else {
					_, errs[i] = c.r.run(ctx, s.argv[0], s.argv[1:]...)
				}
			})
		}
		wg.Wait()
		for i, s := range st {
			if errs[i] == nil && s.undo != nil {
				c.undos = append(c.undos, s.undo)
			}
		}
		if err := errors.Join(errs...); err != nil {
			if uerr := c.undo(ctx); uerr != nil {
				return fmt.Errorf("%w; undoing also failed: %v", err, uerr)
			}
			return err
		}
	}
	return nil
}

// undo reverts everything made so far, newest first. It runs even when
// ctx was cancelled (Ctrl-C mid-attach); the runner still bounds each
// command.
func (c *changes) undo(ctx context.Context) error {
	ctx = context.WithoutCancel(ctx)
	var errs []string
	for i := len(c.undos) - 1; i >= 0; i-- {
		u := c.undos[i]
		if _, err := c.r.run(ctx, u[0], u[1:]...); err != nil {
			errs = append(errs, err.Error())
		}
	}
	c.undos = nil
	if len(errs) > 0 {
		return errors.New(strings.Join(errs, "; "))
	}
	return nil
}

// hostLinkExists reports whether a link exists in lorisctl's own network
// namespace. The kernel is asked directly (one netlink dump, no ip
// process to start) unless the host's programs are faked (app.run set),
// so that such tests see the question as a command.
func (a *app) hostLinkExists(ctx context.Context, r runner, name string) (bool, error) {
	if a.run != nil {
		return linkExists(ctx, r, name)
	}
	links, err := net.Interfaces()
	if err != nil {
		return false, fmt.Errorf("listing network interfaces: %w", err)
	}
	return slices.ContainsFunc(links, func(l net.Interface) bool { return l.Name == name }), nil
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
