package store

import (
	"maps"
	"strings"
	"sync"

	"github.com/lorispack/loris/topology"
)

// Memory is a Store kept in memory, for tests of packages that need one. It
// is safe for concurrent use.
type Memory struct {
	mu     sync.Mutex
	data   memoryData
	closed bool
}

type memoryData struct {
	hosts       map[string]topology.Host
	pods        map[string]topology.Pod
	attachments map[string]topology.Attachment
	learned     map[string]topology.Binding
	conflicts   map[string]topology.Conflict
}

// NewMemory returns an empty in-memory store.
func NewMemory() *Memory {
	return &Memory{data: memoryData{
		hosts:       map[string]topology.Host{},
		pods:        map[string]topology.Pod{},
		attachments: map[string]topology.Attachment{},
		learned:     map[string]topology.Binding{},
		conflicts:   map[string]topology.Conflict{},
	}}
}

func (m *Memory) Load() (topology.State, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.closed {
		return topology.State{}, ErrClosed
	}
	s := topology.State{
		Hosts:       make([]topology.Host, 0, len(m.data.hosts)),
		Pods:        make([]topology.Pod, 0, len(m.data.pods)),
		Attachments: make([]topology.Attachment, 0, len(m.data.attachments)),
		Learned:     make([]topology.Binding, 0, len(m.data.learned)),
		Conflicts:   make([]topology.Conflict, 0, len(m.data.conflicts)),
	}
	for _, h := range m.data.hosts {
		s.Hosts = append(s.Hosts, h)
	}
	for _, p := range m.data.pods {
		s.Pods = append(s.Pods, p)
	}
	for _, a := range m.data.attachments {
		s.Attachments = append(s.Attachments, a)
	}
	for _, b := range m.data.learned {
		s.Learned = append(s.Learned, b)
	}
	for _, c := range m.data.conflicts {
		s.Conflicts = append(s.Conflicts, c)
	}
	sortState(&s)
	return s, nil
}

// Update applies fn to a copy and swaps it in only if fn succeeds.
func (m *Memory) Update(fn func(Tx) error) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.closed {
		return ErrClosed
	}
	work := memoryData{
		hosts:       maps.Clone(m.data.hosts),
		pods:        maps.Clone(m.data.pods),
		attachments: maps.Clone(m.data.attachments),
		learned:     maps.Clone(m.data.learned),
		conflicts:   maps.Clone(m.data.conflicts),
	}
	if err := fn(&memoryTx{data: work}); err != nil {
		return err
	}
	m.data = work
	return nil
}

func (m *Memory) Close() error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.closed = true
	return nil
}

type memoryTx struct{ data memoryData }

func (t *memoryTx) PutHost(h topology.Host) error {
	k, err := hostKey(h)
	if err != nil {
		return err
	}
	t.data.hosts[k] = h
	return nil
}

func (t *memoryTx) DeleteHost(name string) error {
	delete(t.data.hosts, name)
	return nil
}

func (t *memoryTx) PutPod(p topology.Pod) error {
	k, err := podKey(p)
	if err != nil {
		return err
	}
	t.data.pods[k] = p
	return nil
}

func (t *memoryTx) DeletePod(name string) error {
	delete(t.data.pods, name)
	return nil
}

func (t *memoryTx) PutAttachment(a topology.Attachment) error {
	k, err := attachmentKey(a)
	if err != nil {
		return err
	}
	t.data.attachments[k] = a
	return nil
}

func (t *memoryTx) DeleteAttachment(id string) error {
	delete(t.data.attachments, id)
	prefix := attachmentPrefix(id)
	for k := range t.data.learned {
		if strings.HasPrefix(k, prefix) {
			delete(t.data.learned, k)
		}
	}
	for k := range t.data.conflicts {
		if strings.HasPrefix(k, prefix) {
			delete(t.data.conflicts, k)
		}
	}
	return nil
}
