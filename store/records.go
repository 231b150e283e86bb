package store

import (
	"cmp"
	"fmt"
	"slices"

	"github.com/lorispack/loris/topology"
)

// The record keys are the natural identities used by topology: host and pod
// names, attachment ids. Empty keys would make records unreachable.

func hostKey(h topology.Host) (string, error) {
	if h.Name == "" {
		return "", fmt.Errorf("store: host with empty name")
	}
	return h.Name, nil
}

func podKey(p topology.Pod) (string, error) {
	if p.Name == "" {
		return "", fmt.Errorf("store: pod with empty name")
	}
	return p.Name, nil
}

func attachmentKey(a topology.Attachment) (string, error) {
	if a.ID == "" {
		return "", fmt.Errorf("store: attachment %s/%s/%s with empty id", a.Host, a.Container, a.IfName)
	}
	return a.ID, nil
}

func sortState(s *topology.State) {
	slices.SortFunc(s.Hosts, func(a, b topology.Host) int { return cmp.Compare(a.Name, b.Name) })
	slices.SortFunc(s.Pods, func(a, b topology.Pod) int { return cmp.Compare(a.Name, b.Name) })
	slices.SortFunc(s.Attachments, func(a, b topology.Attachment) int { return cmp.Compare(a.ID, b.ID) })
	sortLearned(s)
}
