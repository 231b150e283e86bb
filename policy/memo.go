package policy

// memo caches lookups for one compile. Most compiles are small (a learn's
// CompileMembers asks for one or two peers): a short slice searched in
// turn costs far less than making a map, which it becomes only past
// memoLinear entries (a whole host's compile asks for every peer of
// every pod).
type memo[K comparable, V any] struct {
	few  []memoEntry[K, V]
	many map[K]V
}

type memoEntry[K comparable, V any] struct {
	k K
	v V
}

const memoLinear = 8

func (m *memo[K, V]) get(k K) (V, bool) {
	if m.many != nil {
		v, ok := m.many[k]
		return v, ok
	}
	for i := range m.few {
		if m.few[i].k == k {
			return m.few[i].v, true
		}
	}
	var zero V
	return zero, false
}

// put adds k, which must not be in m yet (callers put what get missed).
func (m *memo[K, V]) put(k K, v V) {
	if m.many == nil && len(m.few) < memoLinear {
		m.few = append(m.few, memoEntry[K, V]{k, v})
		return
	}
	if m.many == nil {
		m.many = make(map[K]V, 2*memoLinear)
		for _, e := range m.few {
			m.many[e.k] = e.v
		}
		m.few = nil
	}
	m.many[k] = v
}
