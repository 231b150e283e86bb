// Package topology is loris's in-memory model of the network: hosts (OVS
// bridges reachable over an underlay tunnel), pods (isolated L2 segments, one
// VNI each) and attachments (a container interface plugged into a host's
// bridge as a member of one pod).
//
// The Model validates every change before applying it, so a Model is always
// consistent: names are well formed, every attachment refers to an existing
// host and pod, and MACs and IPs are unique within a pod. A failed call
// changes nothing. Errors wrap ErrNotFound, ErrConflict or ErrInvalid so
// callers can map them (for example to HTTP 404/409/400) with errors.Is.
//
// Model is not safe for concurrent use; the controller serialises access.
// Snapshot returns an immutable view that other goroutines (and the pure
// policy compiler) may read freely. Snapshots share storage with the model
// and with each other (persistent per-host and per-pod attachment lists,
// copy-on-write maps, partitions.go), so taking one after a change costs
// O(that change), not O(model): the controller takes one per change.
package topology
