package policy

import "testing"

// A memo answers the same before and after it turns from a slice into a
// map.
func TestMemo(t *testing.T) {
	var m memo[int, int]
	for n := range 3 * memoLinear {
		if _, ok := m.get(n); ok {
			t.Fatalf("%d found before it was put", n)
		}
		m.put(n, 10*n)
		for k := 0; k <= n; k++ {
			if v, ok := m.get(k); !ok || v != 10*k {
				t.Fatalf("after %d puts: get(%d) = %d, %v; want %d, true", n+1, k, v, ok, 10*k)
			}
		}
	}
	if m.many == nil || m.few != nil {
		t.Fatalf("%d entries still in the slice", 3*memoLinear)
	}
}
