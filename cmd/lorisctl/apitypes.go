package main

import (
	"time"

	"github.com/lorispack/loris/topology"
)

// Hosts, pods and attachments travel as the topology package's types;
// the shapes below exist only in the controller's API.

// podDetail is GET /v1/pods/{name}.
type podDetail struct {
	Name    string                `json:"name"`
	VNI     uint32                `json:"vni"`
	Members []topology.Attachment `json:"members"`
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
	Ports         int       `json:"ports"`
	Flows         int       `json:"flows"`
	Groups        int       `json:"groups"`
	LastReconcile time.Time `json:"last_reconcile"`
	LastError     string    `json:"last_error"`
	Pending       bool      `json:"pending"`
}
