package topology

import (
	"fmt"
	"regexp"
)

// Host and pod names end up in OVS port names, log lines and URLs, so they
// are restricted to a DNS-label-like alphabet.
var objectName = regexp.MustCompile(`^[a-z0-9][a-z0-9._-]{0,62}$`)

// Container labels come from runtimes (Docker ids are 64 hex digits, other
// runtimes use names with uppercase letters or "ns:name"), hence the looser
// rule and the longer limit.
var containerName = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$`)

// Linux interface names are at most 15 bytes (IFNAMSIZ-1).
var linkName = regexp.MustCompile(`^[A-Za-z0-9._-]{1,15}$`)

func validateObjectName(kind, name string) error {
	if !objectName.MatchString(name) {
		return fmt.Errorf("%s name %q: must match %s: %w", kind, name, objectName, ErrInvalid)
	}
	return nil
}

func validateContainerName(name string) error {
	if !containerName.MatchString(name) {
		return fmt.Errorf("container %q: must match %s: %w", name, containerName, ErrInvalid)
	}
	return nil
}

func validateLinkName(kind, name string) error {
	if !linkName.MatchString(name) || name == "." || name == ".." {
		return fmt.Errorf("%s %q: must be 1-15 characters of [A-Za-z0-9._-]: %w", kind, name, ErrInvalid)
	}
	return nil
}
