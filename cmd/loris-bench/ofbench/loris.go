package ofbench

import (
	"github.com/lorispack/loris/ofproto"
	"github.com/lorispack/loris/policy"
)

// LorisTunnelPort is the tunnel port every loris host's bridge has
// (lorisctl host init adds it), as an extra port of an emulated switch
// (RunConfig.ExtraPorts). With it, loris programs a MAC learned on one
// host on every other host of its pod, as it would in a real cluster;
// without it those hosts have no tunnel and a learn changes nothing on
// them. Its number is above every port SwitchPorts hands out (the
// command line allows at most 60,000).
func LorisTunnelPort() ofproto.Port {
	return ofproto.Port{PortNo: 60001, Name: policy.TunnelPort, CurrSpeed: 10_000_000, MaxSpeed: 10_000_000}
}
