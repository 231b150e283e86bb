package main

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"fmt"
)

// hostDatapathID derives a stable 64-bit datapath id from the host name,
// so re-initialising a host gives the controller the same switch identity.
// The top byte is cleared, as the project specifies, which also keeps the
// id away from the all-ones value some switches treat as invalid.
func hostDatapathID(name string) string {
	sum := sha256.Sum256([]byte("loris-host:" + name))
	v := binary.BigEndian.Uint64(sum[:8]) &^ (0xff << 56)
	return fmt.Sprintf("%016x", v)
}

func attachmentHash(container, ifname string) string {
	sum := sha256.Sum256([]byte(container + "/" + ifname))
	return hex.EncodeToString(sum[:])[:10]
}

// hostPortName is the host end of an attachment's veth and its OVS port
// name: deterministic, so detach and cleanup can find it again.
func hostPortName(container, ifname string) string {
	return "lv" + attachmentHash(container, ifname)
}
