package store

import (
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

// Update applies fn in place and, if fn fails, undoes its writes in
// reverse order, so a transaction costs what it touches rather than a copy
// of the whole store.
func (m *Memory) Update(fn func(Tx) error) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.closed {
		return ErrClosed
	}
	tx := &memoryTx{data: m.data}
	if err := fn(tx); err != nil {
		for i := len(tx.undo) - 1; i >= 0; i-- {
			tx.undo[i]()
		}
		return err
	}
	return nil
}

func (m *Memory) Close() error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.closed = true
	return nil
}

type memoryTx struct {
	data memoryData
	undo []func()
}

// remember records how to restore key k of mp before the transaction
// writes it.
func remember[V any](t *memoryTx, mp map[string]V, k string) {
	old, had := mp[k]
	t.undo = append(t.undo, func() {
		if had {
			mp[k] = old
		} else {
			delete(mp, k)
		}
	})
}

func (t *memoryTx) PutHost(h topology.Host) error {
	k, err := hostKey(h)
	if err != nil {
		return err
	}
	remember(t, t.data.hosts, k)
	t.data.hosts[k] = h
	return nil
}

func (t *memoryTx) DeleteHost(name string) error {
	remember(t, t.data.hosts, name)
	delete(t.data.hosts, name)
	return nil
}

func (t *memoryTx) PutPod(p topology.Pod) error {
	k, err := podKey(p)
	if err != nil {
		return err
	}
	remember(t, t.data.pods, k)
	t.data.pods[k] = p
	return nil
}

func (t *memoryTx) DeletePod(name string) error {
	remember(t, t.data.pods, name)
	delete(t.data.pods, name)
	return nil
}

func (t *memoryTx) PutAttachment(a topology.Attachment) error {
	k, err := attachmentKey(a)
	if err != nil {
		return err
	}
	remember(t, t.data.attachments, k)
	t.data.attachments[k] = a
	return nil
}

func (t *memoryTx) DeleteAttachment(id string) error {
	remember(t, t.data.attachments, id)
	delete(t.data.attachments, id)
	prefix := attachmentPrefix(id)
	for k := range t.data.learned {
		if strings.HasPrefix(k, prefix) {
			remember(t, t.data.learned, k)
			delete(t.data.learned, k)
		}
	}
	for k := range t.data.conflicts {
		if strings.HasPrefix(k, prefix) {
			remember(t, t.data.conflicts, k)
			delete(t.data.conflicts, k)
		}
	}
	return nil
}
