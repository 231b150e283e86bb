package topology

import "maps"

// cowMap is a map the model shares with its snapshots. A snapshot keeps the
// map it was given; the model's next change after that snapshot copies it
// first (the map is small: one entry per host or pod), so the snapshot's map
// is never written again.
type cowMap[K comparable, V any] struct {
	m   map[K]V
	gen uint64 // epoch in which m was built
}

func (c *cowMap[K, V]) get(k K) V { return c.m[k] }

func (c *cowMap[K, V]) own(epoch uint64) {
	if c.gen != epoch || c.m == nil {
		if c.m = maps.Clone(c.m); c.m == nil {
			c.m = map[K]V{}
		}
		c.gen = epoch
	}
}

func (c *cowMap[K, V]) set(k K, v V, epoch uint64) {
	c.own(epoch)
	c.m[k] = v
}

func (c *cowMap[K, V]) delete(k K, epoch uint64) {
	if _, ok := c.m[k]; !ok {
		return
	}
	c.own(epoch)
	delete(c.m, k)
}

// shared returns the map for a snapshot; it must not be written by anyone.
func (c *cowMap[K, V]) shared() map[K]V {
	if c.m == nil {
		c.m = map[K]V{}
	}
	return c.m
}
