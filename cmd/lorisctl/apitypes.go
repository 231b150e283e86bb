package main

import "time"

// These mirror the controller's JSON API. They are decoded from and encoded
// to JSON only, so they are tied to the wire format rather than to the
// controller's internal types.

type host struct {
	Name       string `json:"name"`
	DatapathID string `json:"datapath_id"`
	TunnelIP   string `json:"tunnel_ip"`
	Tunnel     string `json:"tunnel"`
}

type pod struct {
	Name string `json:"name"`
	VNI  uint32 `json:"vni"`
}

type podDetail struct {
	Name    string       `json:"name"`
	VNI     uint32       `json:"vni"`
	Members []attachment `json:"members"`
}

type attachment struct {
	ID        string    `json:"id"`
	Host      string    `json:"host"`
	Container string    `json:"container"`
	IfName    string    `json:"ifname"`
	Port      string    `json:"port"`
	MAC       string    `json:"mac"`
	IP        string    `json:"ip"`
	Pod       string    `json:"pod"`
	Created   time.Time `json:"created"`
}

// attachRequest leaves MAC and pod out when empty so the controller picks
// a MAC and uses the default pod.
type attachRequest struct {
	Host      string `json:"host"`
	Container string `json:"container"`
	IfName    string `json:"ifname"`
	Port      string `json:"port"`
	MAC       string `json:"mac,omitempty"`
	IP        string `json:"ip"`
	Pod       string `json:"pod,omitempty"`
}

type podRequest struct {
	Name string `json:"name"`
	VNI  uint32 `json:"vni,omitempty"`
}

type controllerStatus struct {
	Version  string         `json:"version"`
	Started  time.Time      `json:"started"`
	Switches []switchStatus `json:"switches"`
}

type switchStatus struct {
	Host          string    `json:"host"`
	DatapathID    string    `json:"datapath_id"`
	Connected     bool      `json:"connected"`
	Remote        string    `json:"remote"`
	Since         time.Time `json:"since"`
	Flows         int       `json:"flows"`
	Groups        int       `json:"groups"`
	LastReconcile time.Time `json:"last_reconcile"`
	LastError     string    `json:"last_error"`
}
