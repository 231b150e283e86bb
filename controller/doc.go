// Package controller runs loris's control plane: it owns the topology model
// (persisted through store), accepts OpenFlow 1.3 connections from host
// bridges, and keeps every connected switch's flow table equal to what
// policy compiles for that host.
//
// Reconciliation is diff-based. When a switch connects, its session reads the
// flows and groups the switch holds, compiles the desired set, and sends only
// the difference, confirmed by a barrier. After every model change each
// session recompiles and again sends only the difference, so unrelated flows
// are never touched and a controller restart with unchanged state sends no
// flow deletions. Flows are compared by (table, priority, canonical match);
// a flow whose cookie or instructions differ is modified in place.
//
// The HTTP JSON API (api.go) is the only way to change the model; lorisctl is
// its client.
package controller
