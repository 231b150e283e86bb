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
// A change records what it touched (change.go): whole pods, members of a
// pod (a learned MAC), or hosts. Only the sessions of hosts that had or
// have members of a touched pod are woken, and they recompile only that
// pod (policy.CompilePod) or those members (policy.CompileMembers) from
// the snapshot they were last reconciled to (reconcile_plan.go). Rounds
// that only add and delete flows are pipelined behind their barrier and
// confirmed in order (pipeline.go); large plans go as one bundle
// (apply_bundle.go).
//
// MAC learning (learn.go): container ports punt frames from unbound source
// MACs through a per-port meter; each session's learner takes them from a
// bounded queue (the read loop never blocks), binds free MACs, refuses MACs
// another member of the pod holds (a drop flow on that host only), and
// re-injects learned frames once the pod's switches have the flows (on a
// second goroutine, so learning never waits for them). Bindings and
// conflicts are stored right after the switches are told, in group
// commits (deferred.go). A PORT_STATUS DELETE releases the port's learned
// MACs; a disconnect does not, since a restarting vswitchd comes back with
// the same ports. Events (events.go) keep a ring of learns, releases,
// conflicts and switch connects for GET /v1/events (optionally followed as
// JSON lines); GET /v1/macs lists bindings and conflicts.
//
// The HTTP JSON API (api.go) is the only way to change the model; lorisctl is
// its client.
package controller
