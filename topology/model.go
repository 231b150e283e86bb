package topology

import (
	"cmp"
	"fmt"
	"net/netip"
	"slices"
	"time"
)

// Model is the authoritative in-memory topology. It is not safe for
// concurrent use.
type Model struct {
	hosts       map[string]Host
	pods        map[string]Pod
	attachments map[string]*record // by ID

	// Indexes that keep uniqueness checks O(1) at 100k attachments.
	hostByDatapath map[DatapathID]string
	hostByTunnelIP map[netip.Addr]string
	podByVNI       map[uint32]string
	macInPod       map[podMAC]string // attachment ID
	ipInPod        map[podIP]string
	portOnHost     map[hostPort]string

	// MAC learning (binding.go): learned MACs are also in macInPod; each
	// attachment's own record lists what it learned and was refused.
	learned       map[podMAC]Binding
	conflicts     map[attachmentMAC]Conflict
	conflictsOver map[podMAC]map[string]struct{} // IDs refused that MAC

	parts partitions // what snapshots share (partitions.go)

	now func() time.Time
}
type podMAC struct {
	pod string
	mac MAC
}

type podIP struct {
	pod string
	ip  netip.Addr
}

type hostPort struct {
	host, port string
}

// New returns a Model holding only the default pod.
func New() *Model {
	m := newEmpty()
	m.insertPod(Pod{Name: DefaultPod, VNI: DefaultPodVNI})
	return m
}

// newEmpty returns a Model without even the default pod.
func newEmpty() *Model {
	return &Model{
		hosts:          map[string]Host{},
		pods:           map[string]Pod{},
		attachments:    map[string]*record{},
		hostByDatapath: map[DatapathID]string{},
		hostByTunnelIP: map[netip.Addr]string{},
		podByVNI:       map[uint32]string{},
		macInPod:       map[podMAC]string{},
		ipInPod:        map[podIP]string{},
		portOnHost:     map[hostPort]string{},
		learned:        map[podMAC]Binding{},
		conflicts:      map[attachmentMAC]Conflict{},
		conflictsOver:  map[podMAC]map[string]struct{}{},
		parts:          newPartitions(),
		now:            time.Now,
	}
}

// SetClock replaces the clock used to stamp Attachment.Created (tests).
func (m *Model) SetClock(now func() time.Time) { m.now = now }

// FromState rebuilds a Model from persisted state, validating it with the
// same rules as the mutating methods. The default pod is added if missing;
// if present it must have VNI 1.
func FromState(s State) (*Model, error) {
	m := New()
	for _, h := range s.Hosts {
		if _, exists := m.hosts[h.Name]; exists {
			return nil, fmt.Errorf("state: host %q listed twice: %w", h.Name, ErrInvalid)
		}
		if _, _, err := m.AddHost(h); err != nil {
			return nil, fmt.Errorf("state: %w", err)
		}
	}
	for _, p := range s.Pods {
		if p.Name == DefaultPod {
			if p.VNI != DefaultPodVNI {
				return nil, fmt.Errorf("state: pod %q must have VNI %d, has %d: %w", DefaultPod, DefaultPodVNI, p.VNI, ErrInvalid)
			}
			continue
		}
		if p.VNI == 0 {
			return nil, fmt.Errorf("state: pod %q has no VNI: %w", p.Name, ErrInvalid)
		}
		if _, err := m.AddPod(p.Name, p.VNI); err != nil {
			return nil, fmt.Errorf("state: %w", err)
		}
	}
	for _, a := range s.Attachments {
		if a.MAC.IsZero() {
			return nil, fmt.Errorf("state: attachment %q has no MAC: %w", a.ID, ErrInvalid)
		}
		if a.Pod == "" {
			return nil, fmt.Errorf("state: attachment %q has no pod: %w", a.ID, ErrInvalid)
		}
		if _, err := m.Attach(a); err != nil {
			return nil, fmt.Errorf("state: %w", err)
		}
	}
	if err := m.restoreLearned(s); err != nil {
		return nil, fmt.Errorf("state: %w", err)
	}
	return m, nil
}

// State returns a deep copy of the model, sorted. It copies every
// attachment: use it to persist or load, not on every change.
func (m *Model) State() State {
	s := State{
		Hosts:       make([]Host, 0, len(m.hosts)),
		Pods:        make([]Pod, 0, len(m.pods)),
		Attachments: m.parts.all.attachments(),
	}
	for _, h := range m.hosts {
		s.Hosts = append(s.Hosts, h)
	}
	for _, p := range m.pods {
		s.Pods = append(s.Pods, p)
	}
	slices.SortFunc(s.Hosts, func(a, b Host) int { return cmp.Compare(a.Name, b.Name) })
	slices.SortFunc(s.Pods, func(a, b Pod) int { return cmp.Compare(a.Name, b.Name) })
	s.Learned, s.Conflicts = m.learnedState()
	return s
}

// Host returns the named host.
func (m *Model) Host(name string) (Host, bool) {
	h, ok := m.hosts[name]
	return h, ok
}

// Pod returns the named pod.
func (m *Model) Pod(name string) (Pod, bool) {
	p, ok := m.pods[name]
	return p, ok
}
