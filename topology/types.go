package topology

import (
	"net/netip"
	"time"
)

// DefaultPod always exists, has VNI DefaultPodVNI and cannot be deleted.
// Attachments that name no pod join it.
const (
	DefaultPod    = "default"
	DefaultPodVNI = 1
)

// MaxVNI is the largest VNI: VXLAN and Geneve carry 24 bits (GRE keys have
// 32, but every pod must be reachable over every tunnel type).
const MaxVNI = 1<<24 - 1

// Host is one container host: an OVS bridge with a tunnel port.
type Host struct {
	Name       string     `json:"name"`
	DatapathID DatapathID `json:"datapath_id"`
	TunnelIP   netip.Addr `json:"tunnel_ip"`
	Tunnel     TunnelType `json:"tunnel"`
}

// Pod is an isolated L2 segment; VNI is its tunnel key on the underlay.
type Pod struct {
	Name string `json:"name"`
	VNI  uint32 `json:"vni"`
}

// Attachment is one container interface plugged into a host's bridge on
// port Port as a member of Pod.
type Attachment struct {
	ID        string       `json:"id"`
	Host      string       `json:"host"`
	Container string       `json:"container"`
	IfName    string       `json:"ifname"`
	Port      string       `json:"port"`
	MAC       MAC          `json:"mac"`
	IP        netip.Prefix `json:"ip"`
	Pod       string       `json:"pod"`
	Created   time.Time    `json:"created"`
}

// State is the serialisable form of a Model: every slice sorted by name
// (hosts, pods) or id (attachments).
type State struct {
	Hosts       []Host       `json:"hosts"`
	Pods        []Pod        `json:"pods"`
	Attachments []Attachment `json:"attachments"`
	// Learned bindings (sorted by pod, MAC) and conflicts (by pod, MAC,
	// attachment); static bindings are the attachments themselves.
	Learned   []Binding  `json:"learned,omitempty"`
	Conflicts []Conflict `json:"conflicts,omitempty"`
}
