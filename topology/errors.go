package topology

import "errors"

// Sentinel errors. Errors returned by this package wrap exactly one of them.
var (
	// ErrNotFound: the named host, pod or attachment does not exist.
	ErrNotFound = errors.New("not found")
	// ErrConflict: the change clashes with existing state (duplicate name,
	// VNI, MAC, IP, port or datapath id; deleting something still in use).
	ErrConflict = errors.New("conflict")
	// ErrInvalid: the input itself is malformed, whatever the current state.
	ErrInvalid = errors.New("invalid")
)
